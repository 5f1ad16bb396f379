"""The history-cache updates the ack lane makes for the bot's loop: queued on the lane,
handed over after the ack in one wake-up of the bot's loop for all queued meanwhile (a
wake-up is a socket write, where the lane gives up the GIL), run there in order, and run
before the inbox's consumer rebuilds a delivery."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from polling import until
from slack_adapter_harness import running

from botkit import SQLiteStore, TurnContext, create_bot
from botkit_slack.ingress.direct import LoopHandoff
from botkit_slack.transport import SocketTransport


async def test_calls_queued_on_another_thread_run_in_order_after_one_wakeup() -> None:
    loop = asyncio.get_running_loop()
    handoff, ran = LoopHandoff(), []

    def lane() -> None:  # as the ack lane: three envelopes, each handed over after its ack
        for n in range(3):
            handoff.add(lambda n=n: ran.append(n))
            handoff.hand_over(loop)
    thread = threading.Thread(target=lane)
    thread.start()
    thread.join()  # the bot's loop is held meanwhile: busy, as under load
    await until(lambda: len(ran) == 3, "the queued calls ran")
    assert ran == [0, 1, 2]
    assert handoff.wakeups == 1, "one wake-up while the first was pending"
    handoff.add(lambda: ran.append(3))
    handoff.hand_over(loop)
    await until(lambda: len(ran) == 4, "a call queued after the run")
    assert handoff.wakeups == 2


async def test_a_failing_call_does_not_stop_the_others() -> None:
    handoff, ran = LoopHandoff(), []
    handoff.add(lambda: ran.append("a"))
    handoff.add(lambda: 1 / 0)  # type: ignore[func-returns-value]
    handoff.add(lambda: ran.append("c"))
    handoff.run_pending()
    assert ran == ["a", "c"]


async def test_queued_updates_run_before_a_delivery_is_rebuilt(tmp_path: Path) -> None:
    bot = create_bot(name="helpbot", store=SQLiteStore(tmp_path / "state.db"), inbox=True)
    bot.owns_store = True

    @bot.on_mention
    async def hello(ctx: TurnContext) -> None:
        await ctx.thread.post("hi")

    async with running("socket", bot=bot) as h:
        transport = h.adapter.transport
        assert isinstance(transport, SocketTransport)
        assert transport.lane is not None
        direct = transport.lane.direct
        ran: list[str] = []
        direct.for_bot_loop.add(lambda: ran.append(threading.current_thread().name))
        assert await h.adapter.events.rebuild({}) is None  # no event: nothing to build
        assert ran == [threading.current_thread().name], "run first, on the bot's loop"
        asked = await h.mention("hello")
        assert (await h.reply(asked["ts"]))["text"] == "hi"
