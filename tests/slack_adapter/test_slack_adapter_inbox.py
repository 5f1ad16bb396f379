"""The Slack adapter with the durable inbox on: a mention is stored in the inbox before Slack
gets its ack (so a crash between the two cannot lose an acknowledged mention). Slack sends a
mention twice (``message`` and ``app_mention``); the duplicate is acked at once, but the
delivery that was stored is acked only after its append."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from polling import until
from slack_adapter_harness import MODES, running

from botkit import SQLiteStore, TurnContext, create_bot
from botkit.store.streams import StreamId
from botkit.testing import FakeAdapter, Say, ScriptedAgent
from botkit_slack import transport as transport_module
from botkit_slack.emulator import SlackEmulator
from botkit_slack.transport import SocketTransport


class WatchedStore(SQLiteStore):
    """Notes, whenever something is appended to a stream, the Slack deliveries (message ts,
    event type) made and acked so far."""

    slack: SlackEmulator | None = None
    appended: list[tuple[str, set[tuple[str, str]], set[tuple[str, str]]]]

    async def stream_add_once(self, stream: str, data: Any, *, seen_key: str, ttl: float
                              ) -> StreamId | None:
        if self.slack is not None:
            made = {(str(d.payload.get("event", {}).get("ts")),
                     str(d.payload.get("event", {}).get("type"))): d.acked
                    for d in self.slack.deliveries}
            self.appended.append((json.dumps(data, default=str), set(made),
                                  {key for key, acked in made.items() if acked}))
        return await super().stream_add_once(stream, data, seen_key=seen_key, ttl=ttl)


@pytest.mark.parametrize("mode", MODES)
async def test_a_mention_is_stored_before_it_is_acked(mode: str, tmp_path: Path) -> None:
    store = WatchedStore(tmp_path / "state.db")
    store.appended = []
    bot = create_bot(adapters=[FakeAdapter()], agent=ScriptedAgent([], default=Say("stored")),
                     store=store, inbox=True)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    try:
        async with running(mode, bot=bot) as h:
            assert h.bot.durable_intake
            store.slack = h.slack
            asked = await h.mention("hello")
            await h.reply(asked["ts"], "stored")
            stored = [(made, acked) for data, made, acked in store.appended
                      if asked["ts"] in data]
            assert stored, "the mention never went through a stream"
            made, acked = stored[0]  # the first: the inbox (thread events follow)
            mine = {key for key in made if key[0] == asked["ts"]}
            assert mine, "no delivery of the mention was seen"
            assert not mine <= acked  # one delivery of it was still waiting for its ack
            assert any(d.acked for d in h.slack.deliveries
                       if d.payload.get("event", {}).get("ts") == asked["ts"])
    finally:
        await store.close()


async def test_a_draining_http_endpoint_answers_deliveries_with_503() -> None:
    async with running("http") as h:
        await h.adapter.begin_drain()
        asked = await h.mention("hello while stopping")
        await h.slack.drain()
        mine = [d for d in h.slack.deliveries
                if d.payload.get("event", {}).get("ts") == asked["ts"]]
        assert mine
        assert all(d.status == 503 for d in mine)  # Slack retries them elsewhere
        assert not any(d.acked for d in mine)
        assert h.bot_messages(asked["ts"]) == []


async def test_a_draining_socket_mode_adapter_closes_its_connection() -> None:
    async with running("socket") as h:
        assert h.slack.socket_connections
        await h.adapter.begin_drain()
        await until(lambda: not h.slack.socket_connections, "the socket to close")


class GatedStore(SQLiteStore):
    """Inbox appends wait at a gate (a slow store while the bot is stopping). A thread's
    gate: in Socket Mode the append runs on the ack lane's own thread and loop."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.gate = threading.Event()
        self.waiting = 0

    async def stream_add_once(self, stream: str, data: Any, *, seen_key: str, ttl: float
                              ) -> StreamId | None:
        if stream == "inbox":
            self.waiting += 1
            await asyncio.to_thread(self.gate.wait)
        return await super().stream_add_once(stream, data, seen_key=seen_key, ttl=ttl)


def deliveries_of(slack: SlackEmulator, ts: str) -> list[Any]:
    return [d for d in slack.deliveries if d.payload.get("event", {}).get("ts") == ts]


def stored_bot(store: SQLiteStore) -> Any:
    bot = create_bot(adapters=[FakeAdapter()], agent=ScriptedAgent([], default=Say("stored")),
                     store=store, inbox=True)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()
    return bot


async def test_a_draining_socket_refuses_new_envelopes_and_acks_those_in_hand(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Stopping, the adapter stops taking envelopes first, lets the one being stored be
    acked, and only then closes the socket: nothing is written to a closing socket."""
    caplog.set_level(logging.DEBUG, logger="botkit.slack")
    store = GatedStore(tmp_path / "state.db")
    try:
        async with running("socket", bot=stored_bot(store)) as h:
            first = await h.mention("stored while stopping")
            await until(lambda: store.waiting >= 1, "the mention's append")
            draining = asyncio.create_task(h.adapter.begin_drain())
            transport = h.adapter.transport
            assert isinstance(transport, SocketTransport)
            await until(lambda: transport.handler.refusing, "the adapter refusing envelopes")
            assert not draining.done()  # it waits for the envelope in hand
            second = await h.mention("sent after the stop began")
            await until(lambda: transport.handler.refused >= 1, "the new envelope refused")
            store.gate.set()
            await draining
            await h.slack.drain()
            assert any(d.acked for d in deliveries_of(h.slack, first["ts"]))
            assert not any(d.acked for d in deliveries_of(h.slack, second["ts"]))
            await h.reply(first["ts"], "stored")
            assert store.waiting == 1  # the refused one never reached the bot
    finally:
        store.gate.set()
        await store.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


async def test_an_ack_that_meets_the_closing_socket_is_one_info_line(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The envelope in hand outlasts the drain's wait: its ack meets the closed socket. It
    was stored, Slack never saw its ack (so sends it again), and the log has one INFO line,
    no traceback."""
    caplog.set_level(logging.INFO, logger="botkit.slack")
    monkeypatch.setattr(transport_module, "DRAIN_ACKS", 0.01)
    store = GatedStore(tmp_path / "state.db")
    try:
        async with running("socket", bot=stored_bot(store)) as h:
            asked = await h.mention("stored after the socket closed")
            await until(lambda: store.waiting >= 1, "the mention's append")
            await h.adapter.begin_drain()
            store.gate.set()
            await until(lambda: any("met the closing socket" in r.getMessage()
                                    for r in caplog.records), "the lost race logged")
            await h.reply(asked["ts"], "stored")  # it was stored, so it is answered
            await h.slack.drain()
            lost = {r.args[0] for r in caplog.records if "met the closing socket" in r.msg
                    and isinstance(r.args, tuple)}
            raced = [d for d in deliveries_of(h.slack, asked["ts"]) if d.envelope_id in lost]
            assert raced
            assert not any(d.acked for d in raced)  # Slack sends it again
    finally:
        store.gate.set()
        await store.close()
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


class FailsOnce(SQLiteStore):
    """The first inbox append fails (the store is briefly unreachable)."""

    failures = 1

    async def stream_add_once(self, stream: str, data: Any, *, seen_key: str, ttl: float
                              ) -> StreamId | None:
        if stream == "inbox" and self.failures > 0:
            self.failures -= 1
            raise ConnectionError("the store went away")
        return await super().stream_add_once(stream, data, seen_key=seen_key, ttl=ttl)


@pytest.mark.parametrize("mode", MODES)
async def test_a_mention_that_could_not_be_stored_is_not_acked_and_comes_again(
        mode: str, tmp_path: Path) -> None:
    """Storing the delivery failed: Bolt gets the error, so Slack gets no ack and sends the
    mention again (and this process does not take that for a duplicate); it is answered
    once."""
    store = FailsOnce(tmp_path / "state.db")
    try:
        async with running(mode, bot=stored_bot(store)) as h:
            asked = await h.mention("stored on the second try")
            await h.reply(asked["ts"], "stored")
            await h.slack.drain()
            mine = deliveries_of(h.slack, asked["ts"])
            assert store.failures == 0
            assert any(not d.acked for d in mine), "the delivery that failed was not acked"
            assert [m["text"] for m in h.bot_messages(asked["ts"])] == ["stored"]
    finally:
        await store.close()
