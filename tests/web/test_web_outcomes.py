"""A web run's outcome is the core's word on its agent runs (``PlatformAdapter.run_ended``),
not a guess from the thread record: what the handler ran decides, whatever message it ran
on."""

from __future__ import annotations

from typing import Any

from web_helpers import ALICE

from botkit import TurnContext, create_bot
from botkit.store import MemoryStore
from botkit.testing import Interrupt, Rule, Say, ScriptedAgent, running
from botkit_web import WebAdapter


def prompting_bot(adapter: WebAdapter, prompt: str) -> Any:
    agent = ScriptedAgent([
        Rule("approve", Interrupt({"question": "Deploy?"}, reason="approval"), Say("ok")),
        Rule("legacy", Interrupt({"question": "Sure?"}, legacy=True), Say("fine")),
    ], default=Say("hello"))
    bot = create_bot(adapters=[adapter], agent=agent, store=MemoryStore())

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        # the agent answers a prompt of the handler's, not the person's message
        await ctx.thread.run_agent(prompt=prompt)

    bot.on_interrupt()(lambda ctx: None)
    return bot


async def test_an_interrupt_of_a_prompted_run_interrupts_the_web_run() -> None:
    adapter = WebAdapter()
    bot = prompting_bot(adapter, "please approve")
    async with running(bot):
        tid = await adapter.create_thread("prompted", user=ALICE)
        run = await adapter.run(tid, "go ahead", user=ALICE)
        core_runs = await bot.threads.runs(tid)
        assert run.status == "interrupted"  # read as "success" from the thread record
        (interrupt,) = run.interrupts
        assert interrupt.reason == "approval"
        assert interrupt.id.startswith("int_")
        assert [r.status for r in core_runs] == ["interrupted"]
        resumed = await adapter.engine.wait(await adapter.turns.resume(tid, True, user=ALICE))
        assert resumed.status == "success"


async def test_a_legacy_interrupt_is_named_for_the_core_run() -> None:
    adapter = WebAdapter()
    bot = prompting_bot(adapter, "legacy question")
    async with running(bot):
        tid = await adapter.create_thread("legacy", user=ALICE)
        run = await adapter.run(tid, "go ahead", user=ALICE)
        (core_run,) = await bot.threads.runs(tid)
    assert run.status == "interrupted"
    (interrupt,) = run.interrupts
    assert interrupt.id == f"{core_run.run_id}:interrupt"
    assert interrupt.reason == "on_interrupt"
    assert interrupt.metadata == {"payload": {"question": "Sure?"}}
