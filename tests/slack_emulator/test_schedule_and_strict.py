"""chat.scheduleMessage on the emulator clock; strict metadata and stream shapes; the
non-Marketplace conversations.replies profile."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, FakeClock, SlackEmulator


async def error_of(call) -> dict:
    with pytest.raises(SlackApiError) as raised:
        await call
    return dict(raised.value.response.data)


async def test_scheduled_message_appears_at_post_at(slack: SlackEmulator, client: AsyncWebClient,
                                                    clock: FakeClock):
    now = int(clock.now())
    scheduled = await client.chat_scheduleMessage(channel=slack.general, text="standup!",
                                                  post_at=now + 600)
    assert scheduled["post_at"] == now + 600
    assert scheduled["message"]["text"] == "standup!"
    listed = await client.chat_scheduledMessages_list(channel=slack.general)
    assert [m["id"] for m in listed["scheduled_messages"]] == [scheduled["scheduled_message_id"]]
    assert slack.messages(slack.general) == []
    clock.advance(599)
    assert slack.messages(slack.general) == []
    clock.advance(1)
    (posted,) = slack.messages(slack.general)
    assert posted["text"] == "standup!"
    assert posted["bot_id"] == slack.bot_id
    assert (await client.chat_scheduledMessages_list())["scheduled_messages"] == []


async def test_scheduled_reply_and_delete(slack: SlackEmulator, client: AsyncWebClient,
                                          clock: FakeClock):
    parent = await slack.user_says("alice", "remind me")
    now = int(clock.now())
    kept = await client.chat_scheduleMessage(channel=slack.general, text="reminder",
                                             post_at=now + 60, thread_ts=parent["ts"])
    dropped = await client.chat_scheduleMessage(channel=slack.general, text="never",
                                                post_at=now + 60)
    await client.chat_deleteScheduledMessage(channel=slack.general,
                                             scheduled_message_id=dropped["scheduled_message_id"])
    body = await error_of(client.chat_deleteScheduledMessage(
        channel=slack.general, scheduled_message_id=dropped["scheduled_message_id"]))
    assert body["error"] == "invalid_scheduled_message_id"
    clock.advance(61)
    reply = await slack.wait_for_message(thread_ts=parent["ts"], from_bot=True)
    assert reply["text"] == "reminder"
    assert [m["text"] for m in slack.messages(slack.general)] == ["remind me"]
    assert kept["scheduled_message_id"].startswith("Q")


async def test_schedule_rejects_bad_times(slack: SlackEmulator, client: AsyncWebClient,
                                          clock: FakeClock):
    now = int(clock.now())
    for post_at, error in ((now - 1, "time_in_past"), (now + 121 * 86400, "time_too_far"),
                           ("soon", "invalid_time")):
        body = await error_of(client.chat_scheduleMessage(channel=slack.general, text="x",
                                                          post_at=post_at))
        assert body["error"] == error


async def test_scheduled_message_on_the_system_clock():
    async with SlackEmulator(config=EmulatorConfig.fast()) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        post_at = int(slack.clock.now()) + 1
        await client.chat_scheduleMessage(channel=slack.general, text="tick", post_at=post_at)
        posted = await slack.wait_for_message(text="tick", timeout=5)
        assert float(posted["ts"]) >= post_at


DEEP = {"event_type": "agent_turn",
        "event_payload": {"agent_messages": [{"toolCalls": [{"function": {"name": "f"}}]}]}}
FLAT = {"event_type": "agent_turn",
        "event_payload": {"n": 1, "ok": True, "who": {"id": "U1"}, "calls": [{"name": "f"}]}}


async def test_strict_metadata_shape(slack: SlackEmulator, client: AsyncWebClient):
    assert (await client.chat_postMessage(channel=slack.general, text="x", metadata=FLAT))["ok"]
    for meta in (DEEP, {"event_type": "t", "event_payload": {"a": {"b": {"c": 1}}}},
                 {"event_type": "t", "event_payload": {"a": [1, 2]}}):
        body = await error_of(client.chat_postMessage(channel=slack.general, text="x",
                                                      metadata=meta))
        assert body["error"] == "invalid_metadata_format", meta
    dm = slack.open_dm("alice")
    question = await slack.user_says("alice", "q", channel=dm)
    started = await client.chat_startStream(channel=dm, thread_ts=question["ts"],
                                            markdown_text="a")
    body = await error_of(client.chat_stopStream(channel=dm, ts=started["ts"], metadata=DEEP))
    assert body["error"] == "invalid_metadata_format"


async def test_lenient_emulator_accepts_deep_metadata_and_mixed_stream_calls(clock: FakeClock):
    async with SlackEmulator(config=EmulatorConfig.fast(strict=False), clock=clock) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        posted = await client.chat_postMessage(channel=slack.general, text="x", metadata=DEEP)
        assert posted["message"]["metadata"] == DEEP
        dm = slack.open_dm("alice")
        question = await slack.user_says("alice", "q", channel=dm)
        started = await client.chat_startStream(channel=dm, thread_ts=question["ts"],
                                                markdown_text="A",
                                                chunks=[{"type": "markdown_text", "text": "B"}])
        assert slack.message(started["ts"])["text"] == "AB"


TASK = {"type": "task_update", "id": "t1", "title": "Search", "status": "in_progress"}


async def test_stream_calls_with_both_markdown_text_and_chunks_are_refused(
        slack: SlackEmulator, client: AsyncWebClient):
    dm = slack.open_dm("alice")
    question = await slack.user_says("alice", "q", channel=dm)
    body = await error_of(client.chat_startStream(channel=dm, thread_ts=question["ts"],
                                                  markdown_text="A", chunks=[TASK]))
    assert body["error"] == "invalid_arguments"
    assert "mutually exclusive" in body["detail"]
    started = await client.chat_startStream(channel=dm, thread_ts=question["ts"], chunks=[TASK])
    ts = started["ts"]
    for call in (client.chat_appendStream, client.chat_stopStream):
        body = await error_of(call(channel=dm, ts=ts, markdown_text="B", chunks=[TASK]))
        assert body["error"] == "invalid_arguments"
    await client.chat_appendStream(channel=dm, ts=ts, markdown_text="B")
    await client.chat_appendStream(channel=dm, ts=ts, chunks=[{**TASK, "status": "complete"}])
    done = await client.chat_stopStream(channel=dm, ts=ts, markdown_text="C")
    assert done["message"]["text"] == "BC"


async def test_non_marketplace_profile_limits_replies_to_one_a_minute(
        slack: SlackEmulator, client: AsyncWebClient, clock: FakeClock):
    parent = await slack.user_says("alice", "thread")
    for n in range(20):
        slack.add_message(slack.general, f"r{n}", user="bob", thread_ts=parent["ts"])
    assert (await client.conversations_replies(channel=slack.general, ts=parent["ts"]))["ok"]
    assert (await client.conversations_replies(channel=slack.general, ts=parent["ts"]))["ok"]
    slack.non_marketplace = True
    first = await client.conversations_replies(channel=slack.general, ts=parent["ts"], limit=100)
    assert len(first["messages"]) == 15  # limit capped at 15
    body = await error_of(client.conversations_replies(channel=slack.general, ts=parent["ts"]))
    assert body["error"] == "ratelimited"
    clock.advance(60)
    assert (await client.conversations_replies(channel=slack.general, ts=parent["ts"]))["ok"]
    slack.non_marketplace = False
    assert (await client.conversations_replies(channel=slack.general, ts=parent["ts"]))["ok"]
    assert (await client.conversations_replies(channel=slack.general, ts=parent["ts"]))["ok"]
