"""Unit tests: routing decisions, click decoding, history translation and caching, settings,
Slack text, stream rendering and tool records in metadata."""

from __future__ import annotations

import gc
import json
import threading
import weakref
from types import SimpleNamespace
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit.errors import UserError
from botkit.history import build_agent_messages
from botkit.types import Attachment, Conversation, PlatformUser
from botkit_slack.client import http_status, slack_error
from botkit_slack.conversations import Conversations, SlackRoute, conversation_id
from botkit_slack.directory import Directory
from botkit_slack.egress import ToolRow, stream_content
from botkit_slack.emulator import SlackEmulator
from botkit_slack.history import HistoryCache, Identity, translate, translate_all
from botkit_slack.ingress import RespondTo, decide, decode_click
from botkit_slack.ingress.seen import SeenIds
from botkit_slack.metadata import AGENT_EVENT, fit_records
from botkit_slack.render.text import blocks_text, to_plain
from botkit_slack.settings import SlackSettings

BOT = "UBOT"
ME = Identity(user_id=BOT, bot_id="BBOT", team_id="T1",
              user=PlatformUser(id=BOT, name="helpbot", is_bot=True))


def msg(**fields: Any) -> dict[str, Any]:
    return {"type": "message", "user": "UALICE", "channel": "C1", "ts": "100.000001",
            "text": "hi", **fields}


# -- routing ---------------------------------------------------------------------------
@pytest.mark.parametrize(("event", "respond_to", "expected"), [
    (msg(type="app_mention", text=f"<@{BOT}> hi"), {}, ("C1", "100.000001", True)),
    (msg(text=f"<@{BOT}> hi", channel_type="channel"), {}, ("C1", "100.000001", True)),
    (msg(text=f"<@{BOT}|helpbot> hi", thread_ts="99.0"), {}, ("C1", "99.0", True)),
    (msg(type="app_mention", text=f"<@{BOT}> hi"), {"app_mentions": "channel"},
     ("C1", None, True)),
    (msg(type="app_mention", text=f"<@{BOT}> hi"), {"app_mentions": False}, None),
    (msg(channel="D1", channel_type="im"), {}, ("D1", None, True)),
    (msg(channel="D1", channel_type="im", thread_ts="99.0"), {}, ("D1", "99.0", True)),
    (msg(channel="D1", channel_type="im"), {"direct_messages": False}, None),
    (msg(channel_type="channel"), {}, None),  # top-level chatter
    (msg(channel_type="channel", thread_ts="99.0"), {}, None),  # mentions_only
    (msg(channel_type="channel", thread_ts="99.0"), {"thread_replies": "after_bot_reply"},
     ("C1", "99.0", "check")),
    (msg(subtype="file_share", channel="D1", channel_type="im"), {}, ("D1", None, True)),
    (msg(subtype="thread_broadcast", text=f"<@{BOT}> x", thread_ts="99.0"), {},
     ("C1", "99.0", True)),
    (msg(subtype="message_changed", channel_type="im", channel="D1"), {}, None),
    (msg(subtype="channel_join", text=f"<@{BOT}> joined"), {}, None),
    (msg(bot_id="BOTHER", text=f"<@{BOT}> hi"), {}, None),  # another bot
    (msg(user=BOT, bot_id="BBOT", channel="D1", channel_type="im"), {}, None),  # ourselves
    (msg(user=None, text=f"<@{BOT}> hi"), {}, None),
    ({"type": "reaction_added", "user": "UALICE"}, {}, None),
])
def test_decide_routes_only_what_the_bot_should_answer(
        event: dict[str, Any], respond_to: dict[str, Any], expected: Any) -> None:
    decision = decide(event, bot_user_id=BOT, respond_to=RespondTo.of(respond_to))
    if expected is None:
        assert decision is None
        return
    assert decision is not None
    channel, thread, how = expected
    assert (decision.channel, decision.thread) == (channel, thread)
    assert decision.needs_bot_reply is (how == "check")
    assert decision.event_id == f"msg:{channel}:100.000001"


def test_the_message_and_app_mention_pair_share_one_event_id() -> None:
    text = f"<@{BOT}> help"
    pair = [decide(msg(type=t, text=text, channel_type="channel"), bot_user_id=BOT,
                   respond_to=RespondTo()) for t in ("message", "app_mention")]
    assert pair[0] is not None
    assert pair[1] is not None
    assert pair[0].event_id == pair[1].event_id
    assert conversation_id(pair[0].channel, pair[0].thread) == conversation_id(
        pair[1].channel, pair[1].thread) == "C1:100.000001"


def test_respond_to_rejects_unknown_options() -> None:
    with pytest.raises(UserError, match="thread_replies"):
        RespondTo.of({"thread_replies": "always"})
    with pytest.raises(UserError, match="respond_to"):
        RespondTo.of({"mentions": True})


# -- clicks ----------------------------------------------------------------------------
def _click(action: dict[str, Any], **message: Any) -> dict[str, Any]:
    return {"type": "block_actions", "user": {"id": "UALICE"}, "channel": {"id": "C1"},
            "container": {"type": "message", "message_ts": "5.0", "channel_id": "C1"},
            "message": {"ts": "5.0", **message}, "actions": [{"action_ts": "6.0", **action}]}


def test_clicks_decode_json_values_and_find_their_conversation() -> None:
    button = decode_click(_click({"type": "button", "action_id": "a", "value": '{"n": 1}'},
                                 thread_ts="4.0"))
    assert button is not None
    assert (button.value, button.thread, button.message_ts) == ({"n": 1}, "4.0", "5.0")
    assert button.event_id == "act:C1:5.0:6.0:UALICE"
    raw = decode_click(_click({"type": "button", "action_id": "a", "value": "not json"}))
    assert raw is not None
    assert raw.value == "not json"
    assert raw.thread is None
    select = decode_click(_click({"type": "static_select", "action_id": "s",
                                  "selected_option": {"value": "high"}}, thread_ts="5.0"))
    assert select is not None
    assert select.value == "high"
    assert select.thread is None
    assert decode_click({"type": "view_submission"}) is None


# -- history -----------------------------------------------------------------------------
def test_translate_reads_own_metadata_and_keeps_authors() -> None:
    records = [{"id": "a1", "role": "assistant", "toolCalls": [
        {"id": "c1", "type": "function", "function": {"name": "t", "arguments": "{}"}}]},
        {"id": "r1", "role": "tool", "toolCallId": "c1", "content": "done"}]
    own = msg(user=BOT, bot_id="BBOT", text="Sure.", metadata={
        "event_type": AGENT_EVENT, "event_payload": {"agent_messages": records}})
    status = msg(user=BOT, bot_id="BBOT", text="⚠️ oops",
                 metadata={"event_type": "botkit_status", "event_payload": {"status": True}})
    forged = msg(user="UOTHER", bot_id="BOTHER", text="fake", metadata=own["metadata"])
    alice = PlatformUser(id="UALICE", name="Alice")
    person = msg(text=f"<@{BOT}> hello <@UBOB> &amp; <https://x.io|docs>")
    items = [translate(m, ME, author=alice if m is person else None,
                       name_of=lambda uid: "Bob" if uid == "UBOB" else None)
             for m in (person, own, status, forged, msg(subtype="channel_join"))]
    assert items[-1] is None
    p, o, s, f = (i for i in items if i is not None)
    assert p.text == "hello @Bob & docs (https://x.io)"
    assert p.user == alice
    assert o.is_bot
    assert o.agent_messages == tuple(records)
    assert not o.is_status
    assert s.is_status
    assert f.agent_messages == ()
    assert f.user is not None
    assert f.is_bot
    agent = build_agent_messages([p, o, s, f], bot=ME.user)
    assert [m["role"] for m in agent] == ["user", "assistant", "tool", "assistant", "user"]
    assert agent[0]["name"] == "Alice"
    assert agent[-1]["content"] == "fake"


async def test_translate_all_looks_people_up_once_and_shows_mentions_as_names() -> None:
    async with SlackEmulator() as slack:
        slack.config.rate_limits.enabled = False
        me = Identity(user_id=slack.bot_user_id, bot_id=slack.bot_id,
                      user=PlatformUser(id=slack.bot_user_id, is_bot=True))
        users = Directory(AsyncWebClient(token=slack.bot_token, base_url=slack.base_url))
        users.bot_user_id = me.user_id
        bob = slack.add_user("bobby", real_name="Bobby Tables")
        raws = [msg(user="U0EMUALICE", text=f"<@{me.user_id}> ask <@{bob.id}> &amp; me",
                    ts=f"{i}.000100") for i in range(1, 4)]
        raws.append(msg(user=me.user_id, bot_id=me.bot_id, text="On it.", ts="4.000100"))
        raws.append(msg(user="U0EMUALICE", subtype="channel_join", ts="5.000100"))
        files: list[object] = []

        async def attachments(found: Any) -> tuple[Attachment, ...]:
            files.append(found)
            return ()
        out = await translate_all(raws, me, users, attachments)
        assert [m.text for m in out] == ["ask @Bobby Tables & me"] * 3 + ["On it."]
        assert [m.is_bot for m in out] == [False, False, False, True]
        assert out[0].user is not None
        assert out[0].user.display_name == "Alice Example"
        info = [c.args.get("user") for c in slack.calls_to("users.info")]
        assert sorted(info) == sorted(["U0EMUALICE", bob.id])  # once each, then cached
        assert files == []


async def test_history_pages_through_long_threads_and_then_reads_only_what_is_new() -> None:
    async with SlackEmulator() as slack:
        slack.config.rate_limits.enabled = False
        parent = slack.add_message(slack.general, "start", user="alice")
        for i in range(450):
            slack.add_message(slack.general, f"reply {i}", user="bob", thread_ts=parent["ts"])
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        cache = HistoryCache(client, page_size=200)
        first = await cache.read(slack.general, parent["ts"])
        assert len(first) == 451
        assert first[0]["text"] == "start"
        assert first[-1]["text"] == \
            "reply 449"
        assert len(slack.calls_to("conversations.replies")) == 3
        slack.add_message(slack.general, "one more", user="alice", thread_ts=parent["ts"])
        cache.resync(slack.general, parent["ts"])  # no event told it: read what is new
        since = len(slack.calls)
        again = await cache.read(slack.general, parent["ts"])
        assert [m["text"] for m in again[-2:]] == ["reply 449", "one more"]
        newer = [c for c in slack.calls[since:] if c.method == "conversations.replies"]
        assert len(newer) == 1
        assert newer[0].args["oldest"] == first[-1]["ts"]
        cache.invalidate(slack.general, parent["ts"], first[100]["ts"])
        third = await cache.read(slack.general, parent["ts"])
        assert len(third) == 452
        assert slack.calls_to("conversations.replies")[-1].args["oldest"] == first[99]["ts"]


# -- settings ----------------------------------------------------------------------------
def _settings(**kw: Any) -> SlackSettings:
    base: dict[str, Any] = {"bot_token": None, "app_token": None, "signing_secret": None,
                            "socket_mode": None, "base_url": None, "streaming": "native",
                            "respond_to": None, "host": "127.0.0.1", "port": 0,
                            "path": "/slack/events", "show_tool_status": True,
                            "thinking_status": None, "edit_interval": 1.0,
                            "first_post_delay": 0.5,
                            "rate_limit_retries": 3, "rate_limits": None,
                            "flat_history_limit": 10}
    return SlackSettings.build(**{**base, **kw})


def test_missing_settings_name_the_variables_and_never_the_tokens(
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UserError, match="SLACK_BOT_TOKEN"):
        _settings()
    with pytest.raises(UserError, match=r"SLACK_APP_TOKEN.*SLACK_SIGNING_SECRET") as info:
        _settings(bot_token="xoxb-secret-value")
    assert "secret-value" not in str(info.value)
    with pytest.raises(UserError, match="SLACK_SIGNING_SECRET"):
        _settings(bot_token="xoxb-1", socket_mode=False)
    with pytest.raises(UserError, match="xapp"):
        _settings(bot_token="xapp-1-oops")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-from-env")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    built = _settings()
    assert built.socket_mode
    assert built.base_url == "http://127.0.0.1:9/api/"
    assert "xoxb" not in repr(built)
    assert "xapp" not in repr(built)


# -- text and rendering ------------------------------------------------------------------
def test_slack_text_helpers() -> None:
    assert to_plain("<!here> see <#C1|general> &lt;b&gt; <mailto:a@b.c|mail>") == \
        "@here see #general <b> mail (a@b.c)"
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Title"}},
              {"type": "section", "text": {"type": "mrkdwn", "text": "Body &amp; more"},
               "fields": [{"type": "mrkdwn", "text": "*A*\n1"}]},
              {"type": "actions", "elements": []},
              {"type": "context", "elements": [{"type": "mrkdwn", "text": "note"}]}]
    assert blocks_text(blocks) == "Title\n\nBody & more\n*A*\n1\n\nnote"


def test_stream_renders_close_open_markdown_until_final() -> None:
    rows = {"c1": ToolRow("create_ticket")}
    partial = stream_content("Working on **it", rows, final=False)
    section = partial["blocks"][0]["text"]["text"]
    assert section.count("*") % 2 == 0
    assert section.endswith("*")
    assert "Using `create_ticket`" in str(partial["blocks"][-1])
    rows["c1"].state = "done"
    final = stream_content("Working on **it**", rows, final=True)
    assert "Used `create_ticket`" in str(final["blocks"][-1])
    assert final["text"] == "Working on *it*"


def test_tool_records_are_shrunk_to_fit_metadata() -> None:
    big = [{"id": "r", "role": "tool", "toolCallId": "c", "content": "x" * 50_000}]
    fitted = fit_records(big)
    assert fitted is not None
    assert len(json.dumps(fitted)) < 8000
    assert fitted[0]["content"].endswith("[truncated]")
    assert fit_records([{"id": str(i), "role": "tool", "toolCallId": str(i), "content": "y"}
                         for i in range(2000)]) is None


# -- robustness of the pure decisions, conversations and settings ---------------------------
@pytest.mark.parametrize("body", [
    {"type": "block_actions", "user": "x", "actions": [{"action_id": "a"}]},
    {"type": "block_actions", "user": {"id": "U1"}, "actions": [3]},
    {"type": "block_actions", "user": {"id": "U1"}, "actions": "a"},
    {"type": "block_actions", "user": {"id": "U1"}, "channel": [], "actions": [{}]},
    {"type": "block_actions", "actions": [{"action_id": "a"}], "channel": {"id": "C1"}},
])
def test_unusable_clicks_decode_to_nothing(body: dict[str, Any]) -> None:
    assert decode_click(body) is None


def test_odd_messages_are_not_answered() -> None:
    for odd in (msg(user=["U1"]), msg(user=""), msg(channel=""), msg(ts="")):
        assert decide(odd, bot_user_id=BOT, respond_to=RespondTo()) is None


def test_conversations_keep_ids_and_routes() -> None:
    conversations = Conversations()
    route = SlackRoute(recipient_user_id="UALICE", recipient_team_id="T1", message_ts="1.0",
                       new_thread=True)
    opened = conversations.open("C1", "1.0", route=route, raw={"type": "app_mention"})
    assert (opened.id, opened.is_direct, dict(opened.raw)) == ("C1:1.0", False,
                                                              {"type": "app_mention"})
    assert conversations.route(opened) == route
    assert conversations.open("D1", None, route=SlackRoute()).is_direct  # the DM rule
    elsewhere = Conversation(id="other", channel="C9", thread="2.0")
    assert conversations.route(elsewhere) == SlackRoute()  # unknown: nothing to go on
    assert conversations.open("C9", "2.0", route=route).id == "C9:2.0"
    conversations.remember(elsewhere)  # the core's id wins for a conversation it knows
    assert conversations.open("C9", "2.0", route=route).id == "other"
    assert not conversations.has_bot_posted("C1", "1.0")
    conversations.bot_posted("C1", "1.0")
    assert conversations.has_bot_posted("C1", "1.0")


def test_conversations_keep_no_slack_payload() -> None:
    # memory: thousands of kept conversations each held its whole Slack event (blocks…)
    conversations = Conversations()
    route = SlackRoute(recipient_user_id="UALICE", message_ts="3.0")
    payload = {"type": "app_mention", "blocks": [{"type": "rich_text"}] * 50}
    opened = weakref.ref(conversations.open("C2", "3.0", route=route, raw=payload))
    remembered = Conversation(id="kept-id", channel="C3", thread=None, raw=payload)
    gone = weakref.ref(conversations.remember(remembered))
    del remembered
    gc.collect()
    assert opened() is None
    assert gone() is None
    assert conversations.route(Conversation(id="x", channel="C2", thread="3.0")) == route
    assert conversations.open("C3", None, route=route).id == "kept-id"


def test_slack_settings_is_the_one_list_of_options() -> None:
    names = SlackSettings.option_names()
    assert "credentials_error" not in names
    assert {"bot_token", "respond_to", "streaming", "suggested_prompts"} <= set(names)
    with pytest.raises(UserError, match=r"no option colour \(options: bot_token, "):
        SlackSettings.build(colour="red", defer_credentials=True)
    built = SlackSettings.build(bot_token="xoxb-1", app_token="xapp-1")
    assert built.respond_to == RespondTo()
    assert built.edit_interval == 1.0


def test_slack_errors_are_named_whatever_the_body() -> None:
    def failed(response: object) -> SlackApiError:
        return SlackApiError("failed", response)

    assert slack_error(failed(SimpleNamespace(data={"error": "ratelimited"}, status_code=429))) \
        == "ratelimited"
    assert slack_error(failed(SimpleNamespace(data="upstream error", status_code=502))) \
        == "http_502"  # text/plain kept as a string
    assert slack_error(failed(SimpleNamespace(data={}, status_code=503))) == "http_503"
    assert slack_error(failed(SimpleNamespace(status=502))) == "http_502"  # aiohttp's own
    assert http_status(failed(SimpleNamespace(status=502))) == 502
    assert slack_error(TimeoutError()) == "TimeoutError"


def test_history_and_the_directory_pace_with_the_adapters_configured_limits() -> None:
    """A new ``RateLimiter`` has no pacers yet (``len`` 0, falsy): it must still be the
    one history reads and user lookups share, with the limits the app configured."""
    from botkit_slack.adapter import SlackAdapter

    adapter = SlackAdapter(bot_token="xoxb-test", app_token="xapp-test",
                           rate_limits={"conversations.replies": (6000, 500)})
    assert adapter.history.limiter is adapter.limiter
    assert adapter.users.limiter is adapter.limiter
    pacer = adapter.history.limiter.pacer("conversations.replies")
    assert pacer is not None
    assert pacer.burst == 499


def test_a_conversation_this_process_never_received_is_answered_to_who_asked() -> None:
    """A turn handed over by the durable inbox from a stopped process: the route comes from
    the Slack message the conversation carries (native streams need the recipient)."""
    conversations = Conversations()
    handed_over = Conversation(id="C1:1.0", channel="C1", thread="1.0",
                               raw={"user": "U7", "team": "T9", "ts": "1.0"})
    route = conversations.route(handed_over)
    assert (route.recipient_user_id, route.recipient_team_id) == ("U7", "T9")
    clicked = Conversation(id="C1", channel="C1", raw={"user": {"id": "U7"}})
    assert conversations.route(clicked) == SlackRoute()


def test_seen_ids_catch_a_redelivery_within_the_window_and_forget_on_request() -> None:
    seen = SeenIds(limit=3)
    assert seen.first_sight("Ev1", ttl=60)
    assert not seen.first_sight("Ev1", ttl=60)
    assert seen.duplicates == 1
    seen.forget("Ev1")  # not stored after all: its redelivery is new
    assert seen.first_sight("Ev1", ttl=60)
    for key in ("Ev2", "Ev3", "Ev4", "Ev5"):
        assert seen.first_sight(key, ttl=60)
    assert seen.first_sight("Ev1", ttl=60)  # the oldest went when the limit was passed


def test_seen_ids_from_two_threads_let_each_id_through_once() -> None:
    seen = SeenIds()
    firsts: list[str] = []
    start = threading.Barrier(4)

    def deliver() -> None:
        start.wait()
        for n in range(2000):
            if seen.first_sight(f"Ev{n}", ttl=60):
                firsts.append(f"Ev{n}")

    workers = [threading.Thread(target=deliver) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(firsts) == sorted(f"Ev{n}" for n in range(2000))
    assert seen.duplicates == 3 * 2000
