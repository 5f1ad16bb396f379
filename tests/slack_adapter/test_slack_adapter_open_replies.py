"""Streamed Slack replies and crash recovery: while a reply streams, the adapter has the bot
record it (``owned:reply:…``), and forgets it once the reply is complete; ``close_stream``
ends a message a dead process left open: a native stream with ``chat.stopStream`` and the
notice, a message edited in place (or an expired stream) by an edit adding the notice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from polling import until
from slack_adapter_harness import Harness, running

from botkit import SQLiteStore, TurnContext, create_bot, keys
from botkit.adapter import OpenStream
from botkit.inbox import InboxConfig
from botkit.inbox.closing import NOTICE
from botkit.testing import FakeAdapter, Rule, Say, ScriptedAgent
from botkit.types import Conversation, MessageRef
from botkit_slack.egress import stream_content


def opened_in(h: Harness, thread_ts: str, ts: str | None, since: float = 0.0
              ) -> OpenStream:
    general = h.slack.general
    return OpenStream(id="r1", platform="slack",
                      conversation=Conversation(id=f"{general}:{thread_ts}", channel=general,
                                                thread=thread_ts),
                      ref=None if ts is None else MessageRef(id=ts, channel=general),
                      opened_at=since)


def message(h: Harness, thread_ts: str, ts: str) -> dict[str, Any]:
    [found] = [m for m in h.bot_messages(thread_ts) if m["ts"] == ts]
    return found


async def test_a_native_stream_left_open_is_stopped_with_the_notice() -> None:
    async with running("socket") as h:
        root = await h.slack.user_says("alice", "a question", h.slack.general)
        started: Any = await h.adapter.api.chat_startStream(
            channel=h.slack.general, thread_ts=root["ts"], markdown_text="half an answer",
            recipient_user_id=root["user"], recipient_team_id=h.slack.team_id)
        assert message(h, root["ts"], started["ts"])["streaming_state"] == "in_progress"
        await h.adapter.close_stream(opened_in(h, root["ts"], started["ts"]), NOTICE)
        closed = message(h, root["ts"], started["ts"])
        assert closed["streaming_state"] == "completed"
        assert closed["text"] == "half an answer" + NOTICE


async def test_a_stream_recorded_before_slack_answered_is_found_in_its_thread() -> None:
    """The process died while ``chat.startStream`` was on its way: the record has no ts, so
    the bot's own streams in the thread since the record was made are stopped (an earlier
    complete reply of the bot there is left as it is)."""
    async with running("socket") as h:
        root = await h.slack.user_says("alice", "a question", h.slack.general)
        stream = opened_in(h, root["ts"], None)
        earlier = await h.adapter.egress.post_content(
            stream.conversation, stream_content("an earlier answer", {}, final=True))
        since = float(earlier) + 0.000001
        started: Any = await h.adapter.api.chat_startStream(
            channel=h.slack.general, thread_ts=root["ts"], markdown_text="half an answer",
            recipient_user_id=root["user"], recipient_team_id=h.slack.team_id)
        await h.adapter.close_stream(opened_in(h, root["ts"], None, since), NOTICE)
        closed = message(h, root["ts"], started["ts"])
        assert closed["streaming_state"] == "completed"
        assert closed["text"] == "half an answer" + NOTICE
        assert NOTICE.strip() not in message(h, root["ts"], earlier)["text"]


async def test_a_message_edited_in_place_gets_the_notice_by_an_edit_once() -> None:
    async with running("socket") as h:
        root = await h.slack.user_says("alice", "a question", h.slack.general)
        stream = opened_in(h, root["ts"], "")
        ts = await h.adapter.egress.post_content(
            stream.conversation, stream_content("half an *answer", {}, final=False))
        stream = opened_in(h, root["ts"], ts)
        await h.adapter.close_stream(stream, NOTICE)
        closed = message(h, root["ts"], ts)
        assert closed["text"].startswith("half an")
        assert closed["text"].endswith(NOTICE.strip())
        assert closed["blocks"][-1]["type"] == "context"
        assert NOTICE.strip() in str(closed["blocks"][-1])
        assert "streaming_state" not in closed
        await h.adapter.close_stream(stream, NOTICE)  # closed already: left as it is
        assert message(h, root["ts"], ts) == closed
        await h.adapter.delete(stream.conversation, stream.ref)
        await h.adapter.close_stream(stream, NOTICE)  # gone: nothing to close


async def test_a_streaming_reply_is_recorded_until_it_is_complete(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    agent = ScriptedAgent([Rule("slow", Say("one two three four five six seven eight",
                                            delay=0.3))], default=Say("quick"))
    bot = create_bot(adapters=[FakeAdapter()], agent=agent, store=store,
                     inbox=InboxConfig(heartbeat=0.2, replica_ttl=1.0))

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    async def records() -> list[OpenStream]:
        found = await store.scan(keys.owned(keys.open_reply("")))
        return [OpenStream.from_data(v["data"]) for v in await store.get_many(found) if v]

    try:
        async with running("socket", bot=bot) as h:
            asked = await h.mention("slow please")

            async def with_its_message() -> bool:
                return any(r.ref is not None for r in await records())
            await until(with_its_message, "the streaming reply recorded with its message")
            [stream] = await records()
            reply = await h.reply(asked["ts"], "eight", timeout=20)
            assert stream.ref is not None
            assert stream.ref.id == reply["ts"]
            assert stream.platform == "slack"
            assert stream.conversation.thread == asked["ts"]

            async def forgotten() -> bool:
                return not await records()
            await until(forgotten, "the complete reply forgotten")
    finally:
        await store.close()
