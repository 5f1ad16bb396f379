"""A small bot with every run outcome, shared by the threads tests."""

from __future__ import annotations

from typing import Any

from botkit import (
    Bot,
    InteractionContext,
    InterruptContext,
    StateStore,
    TurnContext,
    create_bot,
    ui,
)
from botkit.testing import CallTool, Fail, FakeAdapter, Interrupt, Rule, Say, ScriptedAgent


class Clock:
    """Unix-like seconds that move one second per reading: distinct, ordered timestamps."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        self.now += 1
        return self.now


def agent() -> ScriptedAgent:
    return ScriptedAgent([
        Rule("ticket", CallTool("create_ticket", {"title": "printer"}), Say("Filed {result}.")),
        Rule("deploy", Interrupt({"question": "Deploy?"}), Say("You said {resume}.")),
        Rule("crash", Fail("model overloaded")),
    ], default=Say("Hello there."))


def make_bot(fake: FakeAdapter, store: StateStore | None = None, **kwargs: Any) -> Bot:
    bot = create_bot(adapters=[fake], agent=agent(), store=store, **kwargs)
    bot.threads._clock = Clock()

    @bot.tool
    def create_ticket(title: str) -> str:
        """Open a ticket."""
        return f"T-1 ({title})"

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    @bot.on_interrupt()
    async def approve(ctx: InterruptContext) -> None:
        async def resume(click: InteractionContext) -> None:
            await click.thread.resume(click.value)

        await ctx.thread.post(ui.Message("Deploy?", ui.Actions(
            ui.Button("Yes", value="yes", on_click=resume))))

    return bot
