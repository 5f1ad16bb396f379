"""A helpdesk-like bot on a web thread: a tool that asks a choice, an interrupting agent."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ag_ui.core as agui
from langgraph_sdk import get_client

from botkit import Bot, PlatformUser, ToolContext, create_bot, ui
from botkit.store import SQLiteStore, StateStore, store_from_url
from botkit.testing import CallTool, Fail, Interrupt, Rule, Say, ScriptedAgent
from botkit_web import WebAdapter, WebRun, header_user

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


def as_user(user: str) -> dict[str, str]:
    return {"X-User-Id": user}


def said(text: str) -> dict[str, Any]:
    """A LangGraph run body with one user message."""
    return {"input": {"messages": [{"role": "user", "content": text}]}}


async def first_card(adapter: WebAdapter, run: WebRun) -> dict[str, Any]:
    """The first message with buttons the run shows (the helpdesk's ticket choice)."""
    async for event in adapter.follow(run):
        if isinstance(event, agui.CustomEvent) and event.value["controls"]:
            card: dict[str, Any] = event.value
            return card
    raise AssertionError("the run ended without showing a card")


@contextlib.asynccontextmanager
async def replica_here(url: str, make_bot: Callable[[WebAdapter, StateStore], Bot]
                       ) -> AsyncIterator[WebAdapter]:
    """A replica in this process: ``make_bot``'s bot served by ``WebAdapter(port=0)`` on the
    store at ``url`` (which other processes share)."""
    store = store_from_url(url)
    adapter = WebAdapter(port=0, authenticate=header_user())
    bot = make_bot(adapter, store)
    await bot.start()
    try:
        yield adapter
    finally:
        await bot.stop()
        await store.close()


def alice_sdk(url: str) -> Any:
    """The real ``langgraph-sdk`` client, as Alice."""
    return get_client(url=url, headers={"X-User-Id": "alice"})
