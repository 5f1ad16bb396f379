"""Delivery under stress: Slack retries and Socket Mode redeliveries, 429 storms, streams that
expire mid-reply, Slack errors during a turn, forged requests."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest
from slack_adapter_harness import MODES, running

from botkit_slack.emulator import EmulatorConfig

GREETING_END = 'reset your password ("reset my password").'


@pytest.mark.parametrize("mode", MODES)
async def test_retries_and_redeliveries_produce_one_reply(mode: str) -> None:
    async with running(mode) as h:
        h.slack.config.ack_timeout = 0.0  # every attempt "times out": Slack sends it again
        asked = await h.mention("hello there")
        await h.reply(asked["ts"], GREETING_END)
        await h.slack.drain()
        h.slack.config.ack_timeout = 3.0
        await h.settle()
        attempts = [d for d in h.slack.deliveries
                    if d.payload.get("event", {}).get("ts") == asked["ts"]]
        kinds = {d.payload["event"]["type"] for d in attempts}
        assert kinds == {"message", "app_mention"}
        assert max(d.attempt for d in attempts) == 4  # the first try and 3 retries, each
        if mode == "http":
            assert {d.headers.get("X-Slack-Retry-Num") for d in attempts} >= {"1", "2", "3"}
        assert len(h.bot_messages(asked["ts"])) == 1
        assert len([c for c in h.slack.calls_to("chat.startStream")
                    if c.args["thread_ts"] == asked["ts"]]) == 1
        assert h.adapter.events is not None
        assert h.adapter.events.duplicates >= 7


STORMS = {
    "native": ("chat.startStream", "chat.appendStream", "chat.stopStream"),
    "edits": ("chat.postMessage", "chat.update"),
}


@pytest.mark.parametrize("streaming", sorted(STORMS))
async def test_a_429_storm_loses_nothing(streaming: str) -> None:
    async with running("socket", streaming=streaming) as h:
        storm = (*STORMS[streaming], "users.info")
        for method in storm:
            h.slack.ratelimit_next(method, count=3, retry_after=0)
        asks = [await h.mention(f"hello number {i}", user=("alice", "bob")[i % 2])
                for i in range(6)]
        for asked in asks:
            reply = await h.reply(asked["ts"], GREETING_END, timeout=30)
            assert reply["text"].startswith("Hi! I'm the helpdesk bot.")
            assert len(h.bot_messages(asked["ts"])) == 1
        # follow-ups in threads the bot has not read yet (its own are kept current from
        # events) read their history through a storm too
        roots = [h.slack.add_message(h.slack.general, f"hello number {i}",
                                     user=("alice", "bob")[i % 2]) for i in range(3)]
        h.slack.ratelimit_next("conversations.replies", count=3, retry_after=0)
        again = [await h.mention("what did I say", thread_ts=r["ts"], user=("alice", "bob")[i % 2])
                 for i, r in enumerate(roots)]
        for i, asked in enumerate(again):
            await h.reply(roots[i]["ts"], f"You first said: 'hello number {i}'", after=asked["ts"],
                          timeout=30)
        limited = [c.method for c in h.slack.calls if c.status == 429]
        assert all(limited.count(m) >= 3 for m in (*storm, "conversations.replies")), limited
        assert h.slack.core.faults.pending == []


async def test_native_stream_expiry_falls_back_to_edits_with_the_full_text() -> None:
    config = EmulatorConfig.fast(stream_ttl=0.0)  # every stream is expired once started
    async with running("socket", config=config) as h:
        asked = await h.mention("hello")
        reply = await h.reply(asked["ts"], GREETING_END)
        assert reply["text"].startswith("Hi! I'm the helpdesk bot. I can open a ticket")
        expired = [c for c in h.slack.calls
                   if c.method in ("chat.appendStream", "chat.stopStream")]
        assert expired
        assert expired[0].error == "message_not_in_streaming_state"
        updates = [c for c in h.slack.calls_to("chat.update") if c.args["ts"] == reply["ts"]]
        assert updates
        assert updates[-1].seq > expired[0].seq
        assert "reset my password" in updates[-1].args["text"]


async def test_edits_streaming_shows_tool_progress_and_closes_it() -> None:
    # strict=False until the adapter writes flat tool-history metadata (issue 13 item 1)
    async with running("socket", streaming="edits") as h:
        asked = await h.mention("my printer is broken")
        card = await h.reply(asked["ts"], "New ticket")
        await h.press(card, "Cancel")
        await h.reply(asked["ts"], "no ticket was opened")
        first = h.bot_messages(asked["ts"])[0]
        assert "Used `create_ticket`" in str(first["blocks"])
        assert not h.slack.calls_to("chat.startStream")
        statuses = h.slack.calls_to("assistant.threads.setStatus")
        assert statuses
        assert statuses[0].args["status"] == "is thinking…"
        assert statuses[0].seq < h.slack.calls_to("chat.postMessage")[0].seq


async def test_failures_during_a_turn_are_shown_and_the_bot_keeps_serving() -> None:
    async with running("socket", streaming="edits") as h:
        asked = await h.mention("the printer will explode")
        await h.reply(asked["ts"], "The agent failed: the model is overloaded")
        # one failed post is tried again: the reply is shown
        h.slack.fail_next("chat.postMessage", status=200, error="fatal_error")
        asked = await h.mention("hello")
        await h.reply(asked["ts"], GREETING_END)
        # two: a notice says what went wrong
        h.adapter.settings = replace(h.adapter.settings, first_post_delay=5.0)  # posted once
        h.slack.fail_next("chat.postMessage", status=200, error="fatal_error", count=2)
        asked = await h.mention("hello")
        notice = await h.reply(asked["ts"], "couldn't show the rest of this reply")
        assert "fatal_error" in notice["text"]
        h.adapter.settings = replace(h.adapter.settings, first_post_delay=0.0)
        asked = await h.mention("hello again")
        await h.reply(asked["ts"], GREETING_END)


@pytest.mark.parametrize("forgery", ["bad_signature", "stale_timestamp", "unsigned"])
async def test_a_forged_request_is_refused_with_401(forgery: str) -> None:
    async with running("http") as h:
        h.slack.config.signing_mode = forgery  # type: ignore[assignment]
        asked = await h.mention("hello")
        refused = await h.slack.wait_for_delivery(kind="event")
        assert refused.status == 401
        assert refused.result == "http_error"
        await h.slack.drain()
        assert h.bot_messages(asked["ts"]) == []
        h.slack.config.signing_mode = "valid"
        asked = await h.mention("hello again")
        await h.reply(asked["ts"], GREETING_END)
        assert h.adapter.request_url is not None
        async with aiohttp.ClientSession() as session, session.post(
                h.adapter.request_url, data=b'{"type": "event_callback"}') as response:
            assert response.status == 401
            assert await response.json() == {"error": "invalid request"}
