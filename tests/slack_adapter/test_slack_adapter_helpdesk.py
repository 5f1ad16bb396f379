"""The helpdesk example on Slack, end to end: the emulator, the real Bolt and slack_sdk clients,
in Socket Mode and over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from ag_ui.core import BaseEvent, RunAgentInput
from slack_adapter_harness import MODES, Harness, running

from botkit.agents.base import Agent
from botkit_slack import metadata


class Spy:
    """Wraps the bot's agent to keep every run's input (the history it was given)."""

    def __init__(self, inner: Agent) -> None:
        self.inner = inner
        self.inputs: list[RunAgentInput] = []

    def run(self, run_input: RunAgentInput) -> AsyncIterator[BaseEvent]:
        self.inputs.append(run_input)
        return self.inner.run(run_input)


def spy_on(h: Harness) -> Spy:
    assert isinstance(h.bot.agent, Agent)
    spy = Spy(h.bot.agent)
    h.bot.agent = spy
    return spy


def _dump(run_input: RunAgentInput) -> list[dict[str, Any]]:
    return [m.model_dump(by_alias=True, exclude_none=True) for m in run_input.messages]


@pytest.mark.parametrize("mode", MODES)
async def test_helpdesk_answers_in_a_thread_with_tools_files_lookup_and_memory(mode: str) -> None:
    # strict=False until the adapter writes flat tool-history metadata (issue 13 item 1)
    async with running(mode) as h:
        slack = h.slack
        spy = spy_on(h)
        asked = await h.mention("my printer is broken")
        thread = asked["ts"]

        # a streamed reply in the thread (native streaming by default)
        first = await h.reply(thread, "Sorry to hear that")
        assert slack.calls_to("chat.startStream")
        assert slack.calls_to("chat.stopStream")
        starts = slack.calls_to("chat.startStream")[0].args
        assert starts["recipient_user_id"] == "U0EMUALICE"
        assert starts["thread_ts"] == thread

        # create_ticket waits for the requester's click; someone else is refused privately
        card = await h.reply(thread, "New ticket")
        assert [b["type"] for b in card["blocks"]] == ["header", "section", "actions"]
        await h.press(card, "Open it", user="bob")
        refusal = await slack.wait_for_message(ephemeral=True, text="only Alice Example")
        assert refusal["ephemeral_for"] == "U0EMUBOB01"
        await h.press(card, "Open it")
        await h.reply(thread, "Ticket HD-101 is open: 'my printer is broken'")
        closed = slack.message(card["ts"])
        assert "✓ Open it (by Alice Example)" in str(closed["blocks"])
        assert "actions" not in [b["type"] for b in closed["blocks"]]

        # the tool call and its result are stored in message metadata
        stored = [m for m in slack.messages(slack.general, thread)
                  if (m.get("metadata") or {}).get("event_type") == "botkit_agent_messages"]
        assert stored, "tool calls were not recorded in Slack"
        for message in stored:  # in the flat shape Slack documents for event_payload
            payload = message["metadata"]["event_payload"]
            assert all(v is None or isinstance(v, str | int | float | bool)
                       for v in payload.values())
            records, _ = metadata.decode(message["metadata"])
            assert any(r.get("toolCalls") for r in records)
        assert first["ts"] in {m["ts"] for m in stored}

        # a file posted into the thread
        await h.mention("send the report", thread_ts=thread)
        shared = await slack.wait_for_message(lambda m: m.get("subtype") == "file_share",
                                              thread_ts=thread, from_bot=True)
        assert shared["files"][0]["name"] == "helpdesk-report.csv"
        await h.reply(thread, "Here is the weekly report (1 ticket).")

        # a colleague looked up
        await h.mention("who is bob", thread_ts=thread)
        await h.reply(thread, "Bob Example (@bob) - bob@example.com")

        # the next turn's history has the earlier turns, tool calls and results included
        await h.mention("what did I say", thread_ts=thread)
        await h.reply(thread, "You first said: 'my printer is broken'.")
        history = _dump(spy.inputs[-1])
        roles = [m["role"] for m in history]
        assert roles.count("user") == 4
        calls = [c["function"]["name"] for m in history for c in m.get("toolCalls", [])]
        assert calls == ["create_ticket", "send_report", "find_colleague"]
        results = [m["content"] for m in history if m["role"] == "tool"]
        assert any("Ticket HD-101 is open" in r for r in results)
        users = [m for m in history if m["role"] == "user"]
        assert users[0]["content"] == "my printer is broken"
        assert users[0]["name"] == "Alice Example"
        # the bot started the thread: events and its own posts keep its history, tool calls
        # (message metadata) included, so no turn reads it back from Slack
        assert slack.calls_to("conversations.replies") == []


@pytest.mark.parametrize("mode", MODES)
async def test_an_interrupt_asks_first_and_a_second_click_is_answered(mode: str) -> None:
    async with running(mode) as h:
        asked = await h.mention("reset my password")
        thread = asked["ts"]
        card = await h.reply(thread, "Reset the password for your account?")
        # only the requester may approve: bob's click is refused privately, nothing resumes
        await h.press(card, "Approve", user="bob")
        refusal = await h.slack.wait_for_message(
            ephemeral=True, text="Only the person who asked can approve this.")
        assert refusal["ephemeral_for"] == "U0EMUBOB01"
        await h.press(card, "Approve")
        reply = await h.reply(thread, "Password reset: approved.")
        approvals = [m for m in h.slack.messages(thread_ts=thread)
                     if "Password reset" in (m.get("text") or "")]
        assert approvals == [reply]
        await h.press(card, "Approve")  # the run is over: expired
        await h.reply(thread, "already been answered or has expired")


async def test_a_dm_is_answered_flat_and_remembers() -> None:
    async with running("socket") as h:
        dm = h.slack.open_dm("alice")
        said = await h.slack.user_says("alice", "my name is Alice", dm)
        await h.slack.wait_for_message(channel=dm, from_bot=True, text="helpdesk bot",
                                       after=said["ts"])
        asked = await h.slack.user_says("alice", "what did I say", dm)
        reply = await h.slack.wait_for_message(channel=dm, from_bot=True, after=asked["ts"],
                                               text="You first said")
        assert reply["text"].startswith("You first said: 'my name is Alice'")
        assert "thread_ts" not in reply
        histories = h.slack.calls_to("conversations.history")
        assert len(histories) == 1  # read once, then kept current from events
