"""The Slack adapter with the durable inbox on: a mention is stored in the inbox before Slack
gets its ack (so a crash between the two cannot lose an acknowledged mention). Slack sends a
mention twice (``message`` and ``app_mention``); the duplicate is acked at once, but the
delivery that was stored is acked only after its append."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from slack_adapter_harness import MODES, running

from botkit import SQLiteStore, TurnContext, create_bot
from botkit.store.streams import StreamId
from botkit.testing import FakeAdapter, Say, ScriptedAgent
from botkit_slack.emulator import SlackEmulator


class WatchedStore(SQLiteStore):
    """Notes, whenever something is appended to a stream, the Slack deliveries (message ts,
    event type) made and acked so far."""

    slack: SlackEmulator | None = None
    appended: list[tuple[str, set[tuple[str, str]], set[tuple[str, str]]]]

    async def stream_add(self, stream: str, data: Any, *, max_len: int | None = None
                         ) -> StreamId:
        if self.slack is not None:
            made = {(str(d.payload.get("event", {}).get("ts")),
                     str(d.payload.get("event", {}).get("type"))): d.acked
                    for d in self.slack.deliveries}
            self.appended.append((json.dumps(data, default=str), set(made),
                                  {key for key, acked in made.items() if acked}))
        return await super().stream_add(stream, data, max_len=max_len)


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
        async with asyncio.timeout(5):
            while h.slack.socket_connections:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
