"""The Slack ack path with the durable inbox on: a message is parsed, decided, deduplicated,
stored as it came and acked; who sent it (``users.info``), its text and files, and the
``after_bot_reply`` check come after the ack, in the inbox's consumer. In Socket Mode that
ack path runs on a thread of its own (the ack lane); other envelopes go to Bolt on the
bot's loop. Interactivity that must answer in the ack (a modal submission's field errors)
is handled before it."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from polling import until
from slack_adapter_harness import HELPDESK, MODES, Harness, running
from slack_faults import EdgeProxy
from test_slack_adapter_features import file_tickets, state_values

from botkit import (
    SQLiteStore,
    TurnContext,
    create_bot,
)
from botkit.bot import Bot
from botkit.cli import load_app
from botkit.store import MemoryStore, RedisStore
from botkit.store.streams import StreamEntry
from botkit_slack.transport import SocketTransport


def inbox_bot(folder: Path) -> Bot:
    bot = create_bot(name="helpbot", store=SQLiteStore(folder / "state.db"), inbox=True)
    bot.owns_store = True
    return bot


def acked(h: Harness, ts: str) -> bool:
    """Both deliveries of a mention (``message`` and ``app_mention``) are acked."""
    return {(d.payload.get("event") or {}).get("type") for d in h.slack.deliveries
            if d.acked and (d.payload.get("event") or {}).get("ts") == ts} == \
        {"message", "app_mention"}


@pytest.mark.parametrize("mode", MODES)
async def test_a_mention_is_acked_while_users_info_still_waits(mode: str, tmp_path: Path
                                                                ) -> None:
    bot = inbox_bot(tmp_path)

    @bot.on_mention
    async def hello(ctx: TurnContext) -> None:
        await ctx.thread.post(f"hello {ctx.user.name}, you said {ctx.message.text}")

    async with EdgeProxy("") as proxy, running(mode, bot=bot, proxy=proxy) as h:
        held = proxy.hold("users.info")
        asked = await h.mention("what is new?")
        await until(lambda: acked(h, asked["ts"]), "the mention acked")
        await until(lambda: proxy.waiting["users.info"] > 0, "users.info called")
        assert not h.bot_messages(asked["ts"])  # the turn waits for users.info; the ack did not
        held.set()
        reply = await h.reply(asked["ts"])
        assert reply["text"] == "hello Alice Example, you said what is new?"


async def test_after_bot_reply_is_checked_after_the_ack(tmp_path: Path) -> None:
    bot = inbox_bot(tmp_path)

    @bot.on_message
    async def echo(ctx: TurnContext) -> None:
        await ctx.thread.post(f"echo {ctx.message.text}")

    async with running("socket", bot=bot,
                       respond_to={"thread_replies": "after_bot_reply"}) as h:
        general = h.slack.general
        root = await h.slack.user_says("alice", "anyone around?", general)
        await h.slack.user_says("alice", "before", general, root["ts"])
        await h.mention("first", thread_ts=root["ts"])
        await h.reply(root["ts"], "echo first")
        await h.slack.user_says("alice", "after", general, root["ts"])
        await h.reply(root["ts"], "echo after")
        texts = [m["text"] for m in h.bot_messages(root["ts"])]
        assert texts == ["echo first", "echo after"]  # "before" came before any bot reply


@pytest.mark.parametrize("mode", MODES)
async def test_modal_field_errors_reach_slack_with_the_inbox_on(mode: str, tmp_path: Path
                                                                 ) -> None:
    bot = inbox_bot(tmp_path)
    filed = file_tickets(bot)

    @bot.on_mention
    async def hello(ctx: TurnContext) -> None:
        await ctx.thread.post("hello")

    async with running(mode, bot=bot) as h:
        await h.slack.slash("/ticket", "", user="alice")
        await until(lambda: any(v.get("callback_id") == "new_ticket"
                                for v in h.slack.views.values()), "the modal opened")
        view = next(v for v in h.slack.views.values() if v.get("callback_id") == "new_ticket")
        refused = await h.slack.submit_view(view["id"], state_values("pc"), user="alice")
        assert refused.response == {"response_action": "errors",
                                    "errors": {"title": "A few more words, please."}}
        accepted = await h.slack.submit_view(view["id"], state_values("Printer on fire"),
                                             user="alice")
        assert not accepted.response
        await h.slack.wait_for_message(text="Ticket filed: Printer on fire", from_bot=True,
                                       channel=h.slack.general)
        assert [ticket["title"] for ticket in filed] == ["Printer on fire"]


async def test_an_append_from_another_thread_wakes_the_blocked_consumer(tmp_path: Path
                                                                         ) -> None:
    """The consumer waits in a blocking read on its loop; an append made on another
    thread (the ack lane's) wakes it, long before its next poll would have."""
    store = SQLiteStore(tmp_path / "state.db")
    store.stream_poll = 3600.0  # only a wake-up can end the read within the test
    try:
        reading = asyncio.create_task(store.stream_read("inbox", block=3600.0))
        await until(lambda: getattr(store, "_stream_loop", None) is not None,
                    "the read waiting")
        result: list[Any] = []

        async def on_the_lane() -> None:
            result.append(await store.stream_add_once("inbox", {"n": 1}, seen_key="k",
                                                      ttl=60))
            result.append(await store.stream_add_once("inbox", {"n": 1}, seen_key="k",
                                                      ttl=60))
        lane = threading.Thread(target=lambda: asyncio.run(on_the_lane()))
        lane.start()
        entries: list[StreamEntry] = await asyncio.wait_for(reading, 15)
        await asyncio.to_thread(lane.join)
        assert [e.data for e in entries] == [{"n": 1}]
        assert result[0] is not None
        assert result[1] is None
    finally:
        await store.close()


async def test_helpdesk_on_the_ack_lane(tmp_path: Path) -> None:
    """The helpdesk example with the inbox on SQLite, in Socket Mode: mentions acked on the
    lane, the approval click handed to Bolt on the bot's loop."""
    bot = load_app(str(HELPDESK))
    bot.store = SQLiteStore(tmp_path / "state.db")
    bot.owns_store = True
    bot.use_inbox(True)
    async with running("socket", bot=bot) as h:
        transport = h.adapter.transport
        assert isinstance(transport, SocketTransport)
        assert transport.lane is not None
        asked = await h.mention("my printer is broken")
        thread = asked["ts"]
        await h.reply(thread, "Sorry to hear that")
        card = await h.reply(thread, "New ticket")
        await h.press(card, "Open it")
        await h.reply(thread, "Ticket HD-101 is open: 'my printer is broken'")
        await h.mention("who is bob", thread_ts=thread)
        await h.reply(thread, "Bob Example (@bob) - bob@example.com")
        assert transport.lane.direct.stored >= 2


async def test_a_store_that_writes_only_from_its_loop_gets_the_lanes_deliveries_there(
) -> None:
    """MemoryStore cannot be written from another thread: the lane hands the write to the
    bot's loop, and the mention is answered all the same."""
    bot = create_bot(name="helpbot", store=MemoryStore(), inbox=True)

    @bot.on_mention
    async def hello(ctx: TurnContext) -> None:
        await ctx.thread.post(f"hello {ctx.user.name}")

    async with running("socket", bot=bot) as h:
        transport = h.adapter.transport
        assert isinstance(transport, SocketTransport)
        assert transport.lane is not None
        asked = await h.mention("anyone?")
        reply = await h.reply(asked["ts"])
        assert reply["text"] == "hello Alice Example"


async def test_redis_appends_from_another_thread_over_its_ack_lane(redis_url: str,
                                                                    redis_prefix: str) -> None:
    store = RedisStore(redis_url, prefix=redis_prefix)
    try:
        assert store.adds_from_any_thread

        def on_the_lane() -> list[Any]:
            first = store.add_once_from_any_thread("inbox", {"n": 1}, seen_key="k", ttl=60)
            second = store.add_once_from_any_thread("inbox", {"n": 1}, seen_key="k", ttl=60)
            return [first.result(timeout=15), second.result(timeout=15)]
        first, second = await asyncio.to_thread(on_the_lane)
        assert first is not None
        assert second is None  # a duplicate
        assert [e.data for e in await store.stream_read("inbox")] == [{"n": 1}]
    finally:
        await store.close()
