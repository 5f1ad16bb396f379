"""Over HTTP with one workspace, Events API events reach the bot without Bolt
(``ingress.events_api``); Bolt is imported and built on the first click, modal or command,
and that first one works as later ones do."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from slack_adapter_harness import HELPDESK, running
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.ignoring_self_events import IgnoringSelfEvents
from slack_bolt.request.internals import extract_user_id

from botkit.cli import load_app
from botkit.types import PlatformUser
from botkit_slack.history import Identity
from botkit_slack.ingress.events_api import EventsApi, acting_user

BOT_USER, BOT_ID = "UBOT", "BBOT"


def test_serving_loads_neither_bolt_nor_the_oauth_machinery() -> None:
    """What ``botkit run --adapter slack`` imports before serving (a fresh interpreter)."""
    code = ("import sys\n"
            "import botkit_slack.adapter, botkit_slack.serve, botkit_slack.cli_plugin\n"
            "from botkit_slack import SlackAdapter, SlackOAuth, SlackSettings\n"
            "print(sorted({m.split('.')[0] if m.startswith('slack_bolt') else m\n"
            "              for m in sys.modules if m.startswith(('slack_bolt',\n"
            "              'slack_sdk.oauth', 'botkit_slack.oauth', 'botkit_slack.teams'))}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert loaded == "[]"


async def test_events_are_answered_before_bolt_exists_and_the_first_click_builds_it() -> None:
    async with running("http") as h:
        asked = await h.mention("reset my password")
        card = await h.reply(asked["ts"], "Reset the password for your account?")
        # a reaction is an event too: the helpdesk pages the on-call engineer
        await h.slack.react("bob", card, "sos")
        await h.reply(asked["ts"], "asked for help here: paging the on-call engineer")
        assert h.adapter.app is None  # no Bolt so far
        await h.press(card, "Approve")  # the first envelope Bolt is needed for
        await h.reply(asked["ts"], "Password reset: approved.")
        assert h.adapter.app is not None
        await h.press(card, "Approve")  # a later one, on the same app
        await h.reply(asked["ts"], "already been answered or has expired")


async def test_a_slash_command_as_the_first_envelope_bolt_is_needed_for() -> None:
    async with running("http") as h:
        delivery = await h.slack.slash("/nope", "x", user="alice")
        assert delivery.status == 200
        assert any("does not handle /nope" in str(r) for r in h.slack.responses)
        asked = await h.mention("hello")  # events still go without Bolt
        await h.reply(asked["ts"], "helpdesk bot")


async def test_with_the_inbox_on_events_still_go_without_bolt() -> None:
    """Messages are stored before their ack (``DirectIntake``); the assistant pane reaches
    ``on_thread_started`` and reactions ``on_reaction``, all without building Bolt."""
    bot = load_app(str(HELPDESK))
    bot.use_inbox(True)
    async with running("http", bot=bot) as h:
        assert h.bot.durable_intake
        asked = await h.mention("hello")
        reply = await h.reply(asked["ts"], "helpdesk bot")
        channel, thread = await h.slack.start_assistant_thread("alice")
        await h.slack.wait_for_call("assistant.threads.setSuggestedPrompts")  # its greet
        prompts = h.slack.assistant_state(channel, thread)["prompts"]
        assert prompts["title"] == "Try one of these"
        await h.slack.react("bob", reply, "sos")
        await h.reply(asked["ts"], "asked for help here: paging the on-call engineer")
        assert h.adapter.app is None


def _body(event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": event}


SELF_CASES: dict[str, dict[str, Any]] = {
    "a person's message": {"type": "message", "user": "UALICE", "text": "hi", "ts": "1.1"},
    "the bot's message": {"type": "message", "user": BOT_USER, "text": "hi", "ts": "1.2"},
    "a message with the bot's bot_id": {"type": "message", "subtype": "bot_message",
                                        "bot_id": BOT_ID, "ts": "1.3"},
    "another bot's message": {"type": "message", "subtype": "bot_message", "bot_id": "BOTHER",
                              "ts": "1.4"},
    "the bot's edit": {"type": "message", "subtype": "message_changed",
                       "message": {"user": BOT_USER, "ts": "1.5"}},
    "a person's delete": {"type": "message", "subtype": "message_deleted",
                          "previous_message": {"user": "UALICE", "ts": "1.6"}},
    "the bot's reaction": {"type": "reaction_added", "user": BOT_USER, "reaction": "ticket",
                           "item": {"type": "message", "channel": "C1", "ts": "1.7"}},
    "the bot joining a channel": {"type": "member_joined_channel", "user": BOT_USER,
                                  "channel": "C1"},
    "a user object": {"type": "team_join", "user": {"id": BOT_USER}},
}


@pytest.mark.parametrize("case", SELF_CASES)
def test_the_bots_own_events_are_dropped_as_bolt_drops_them(case: str) -> None:
    body = _body(SELF_CASES[case])
    identity = Identity(user_id=BOT_USER, bot_id=BOT_ID, team_id="T1",
                        user=PlatformUser(id=BOT_USER, name="helpdesk", is_bot=True))
    events: Any = type("Events", (), {"identity": identity})()
    bolt = IgnoringSelfEvents._is_self_event(
        AuthorizeResult(enterprise_id=None, team_id="T1", bot_user_id=BOT_USER,
                        bot_id=BOT_ID), extract_user_id(body), body["event"].get("bot_id"),
        body)
    assert acting_user(body) == extract_user_id(body)
    assert EventsApi(events).from_self(body) == bolt


async def test_the_bots_own_reply_echoed_back_is_acked_before_its_body_is_walked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack echoes every message the bot posts back to it as a ``message`` event: it is
    acked as soon as it is parsed (no walk over its fields, nothing handed on); a person's
    events are checked and handled as before."""
    from botkit_slack import transport

    checked: list[str] = []
    check = transport.payload_problem

    def counted(body: Any) -> str | None:
        event = body.get("event") if isinstance(body, dict) else None
        checked.append(str(event.get("user")) if isinstance(event, dict) else "")
        return check(body)

    monkeypatch.setattr(transport, "payload_problem", counted)
    async with running("http") as h:
        asked = await h.mention("reset my password")
        await h.reply(asked["ts"])
        await h.slack.drain()
        bot_user = h.slack.bot_user_id
        echoes = [d for d in h.slack.deliveries if d.kind == "event" and
                  d.payload.get("event", {}).get("user") == bot_user]
    assert echoes  # the emulator echoed the reply, as Slack does
    assert all(d.acked and d.status == 200 for d in echoes)
    assert len([u for u in checked if u != bot_user]) >= 2  # the mention, the message
    assert bot_user not in checked
