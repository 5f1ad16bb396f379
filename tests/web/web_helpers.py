"""A helpdesk-like bot on a web thread: a tool that asks a choice, an interrupting agent."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from botkit import Bot, PlatformUser, ToolContext, create_bot, ui
from botkit.store import SQLiteStore, StateStore
from botkit.testing import CallTool, Fail, Interrupt, Rule, Say, ScriptedAgent
from botkit_web import WebAdapter, header_user

ALICE = PlatformUser(id="alice", name="Alice")
BOB = PlatformUser(id="bob", name="Bob")


def helpdesk_agent() -> ScriptedAgent:
    return ScriptedAgent([
        Rule(r"ticket", CallTool("create_ticket", {"title": "Printer on fire"}),
             Say("Ticket says: {result}")),
        Rule(r"deploy", Interrupt({"question": "Deploy to prod?"}, reason="approval"),
             Say("You said {resume}.")),
        Rule(r"crash", Fail("model overloaded")),
    ], default=Say("Hello {user}, I am the helpdesk."))


def helpdesk_bot(adapter: WebAdapter, store: StateStore) -> Bot:
    bot = create_bot(adapters=[adapter], agent=helpdesk_agent(), store=store, name="helpdesk")

    @bot.tool
    async def create_ticket(title: str, ctx: ToolContext) -> str:
        """Open a ticket once the requester approves it."""
        approved = await ctx.thread.await_choice(
            ui.Message(ui.Section(f"Open a ticket for *{title}*?"),
                       ui.Actions(ui.Button("Open it", value=True, style="primary"),
                                  ui.Button("Cancel", value=False))),
            allowed_users=[ctx.user] if ctx.user else None, timeout=60)
        return "opened HD-7" if approved else "cancelled"

    @bot.on_mention
    async def answer(ctx: object) -> None:
        await ctx.thread.run_agent()  # type: ignore[attr-defined]

    @bot.on_interrupt("*")
    async def ask(ctx: object) -> None:
        await ctx.thread.post("Waiting for your approval.")  # type: ignore[attr-defined]

    return bot


@dataclass
class Running:
    bot: Bot
    adapter: WebAdapter

    @property
    def url(self) -> str:
        assert self.adapter.url is not None
        return self.adapter.url


@contextlib.asynccontextmanager
async def running_helpdesk(tmp_path: Path, **options: object) -> AsyncIterator[Running]:
    """The helpdesk served by ``WebAdapter(port=0)`` on a SQLite store; callers say who
    they are with the ``X-User-Id`` header."""
    adapter = WebAdapter(port=0, authenticate=header_user(), **options)  # type: ignore[arg-type]
    store = SQLiteStore(tmp_path / "web.db")
    bot = helpdesk_bot(adapter, store)
    await bot.start()
    try:
        yield Running(bot, adapter)
    finally:
        await bot.stop()
        await store.close()
