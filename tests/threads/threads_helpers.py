"""A small bot with every run outcome, and a gated parallel bot, shared by the threads
tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from botkit import (
    Bot,
    ContextEntry,
    InteractionContext,
    InterruptContext,
    StateStore,
    TurnContext,
    create_bot,
    ui,
)
from botkit.testing import CallTool, Fail, FakeAdapter, Interrupt, Rule, Say, ScriptedAgent
from botkit.types import Conversation, PlatformUser, ThreadMessage


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


class KeepingAdapter(FakeAdapter):
    """A platform whose messages botkit keeps: any author, stored as given."""

    async def add_message(self, conversation: Conversation, text: str, *, role: str,
                          user: PlatformUser | None) -> ThreadMessage:
        message = ThreadMessage(id=f"k{len(self.history.get(conversation.id, [])) + 1}",
                                text=text, user=user, is_bot=role == "assistant")
        self.history.setdefault(conversation.id, []).append(message)
        return message

    async def delete_message(self, conversation: Conversation, message_id: str) -> bool:
        items = self.history.get(conversation.id, [])
        kept = [m for m in items if m.id != message_id]
        self.history[conversation.id] = kept
        return len(kept) < len(items)


def gated_parallel_bot() -> tuple[FakeAdapter, Bot, dict[str, asyncio.Event], list[str],
                                  asyncio.Event]:
    """A bot on the ``parallel`` policy whose agent runs start when told: a mention's text
    ("older"/"newer") names its gate; ``started`` lists the runs begun, ``progress`` is set
    at each start."""
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], concurrency="parallel")
    gates = {"older": asyncio.Event(), "newer": asyncio.Event()}
    started: list[str] = []
    progress = asyncio.Event()

    class Gated:
        async def run(self, run_input: Any) -> AsyncIterator[Any]:
            text = run_input.context[0].value
            started.append(text)
            progress.set()
            await gates[text].wait()
            async for event in ScriptedAgent(default=Say("done")).run(run_input):
                yield event

    bot.agent = Gated()
    bot.on_mention(lambda ctx: ctx.thread.run_agent(
        context=[ContextEntry(description="turn", value=ctx.text)]))
    return fake, bot, gates, started, progress
