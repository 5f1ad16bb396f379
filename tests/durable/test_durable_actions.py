"""Durable ``on_click`` bindings: module-level handlers are recorded in the store and found
again by a restarted bot or another process; handlers carrying their own data are not."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import durable_helpers as h

from botkit import InteractionContext, MemoryStore, SQLiteStore, TurnContext, create_bot, ui
from botkit._actions import ACTION_TTL, handler_ref, resolve_handler
from botkit.testing import FakeAdapter, running

EXPIRED = "This button has expired or was already used."
TRUSTED = frozenset({"test_durable_actions", "durable_helpers"})
CLICKS: list[str] = []


async def show_card(ctx: TurnContext) -> None:
    """The app's own mention handler: registering it marks this module as the app's."""
    await ctx.thread.post(card(4))


async def approve(ctx: InteractionContext) -> None:
    CLICKS.append(f"{ctx.value} by {ctx.user.display_name if ctx.user else '?'}")
    await ctx.thread.post(f"approved {ctx.value}")


class Handlers:
    @staticmethod
    async def reject(ctx: InteractionContext) -> None:
        await ctx.thread.post("rejected")

    async def method(self, ctx: InteractionContext) -> None:
        return None


def test_only_module_level_functions_are_restorable() -> None:
    def local(ctx: Any) -> None:
        return None

    seven = 7
    assert handler_ref(approve) == "test_durable_actions:approve"
    assert handler_ref(Handlers.reject) == "test_durable_actions:Handlers.reject"
    assert handler_ref(h.resume_run) == "durable_helpers:resume_run"
    assert handler_ref(local) is None
    assert handler_ref(lambda ctx: seven) is None
    assert handler_ref(Handlers().method) is None
    assert handler_ref(functools.partial(approve)) is None
    assert resolve_handler("test_durable_actions:Handlers.reject", TRUSTED) is Handlers.reject
    assert resolve_handler("durable_helpers:resume_run", TRUSTED) is h.resume_run
    assert resolve_handler("no_such_module_here:approve", TRUSTED) is None
    assert resolve_handler("test_durable_actions:missing", TRUSTED) is None
    assert resolve_handler("test_durable_actions:CLICKS", TRUSTED) is None  # not a function
    # a record in a shared store cannot name a function from a module the app did not
    # register handlers from, nor one merely imported into a trusted module
    assert resolve_handler("shutil:rmtree", TRUSTED | {"os"}) is None
    assert resolve_handler("test_durable_actions:approve", set()) is None
    assert resolve_handler("test_durable_actions:handler_ref", TRUSTED) is None


def card(ticket: int, handler: Any = approve) -> ui.Message:
    return ui.Message(ui.Section(f"Ticket {ticket}"),
                      ui.Actions(ui.Button("Approve", value=ticket, on_click=handler)))


async def test_a_module_level_handler_works_after_a_restart(tmp_path: Path) -> None:
    CLICKS.clear()
    fake = FakeAdapter()
    store = SQLiteStore(tmp_path / "state.db")
    first = create_bot(adapters=[fake], store=store)
    first.on_mention(show_card)
    async with running(first):
        await fake.emit_mention("card")
    await store.close()
    store = SQLiteStore(tmp_path / "state.db")
    try:
        second = create_bot(adapters=[fake], store=store)
        second.on_mention(show_card)  # the restarted app registers its handlers again
        async with running(second):
            await fake.click("Approve")
        assert CLICKS == ["4 by Alice"]
        assert fake.texts()[-1] == "approved 4"
    finally:
        await store.close()


async def test_a_closure_is_answered_as_expired_after_a_restart(tmp_path: Path) -> None:
    fake = FakeAdapter()
    store = SQLiteStore(tmp_path / "state.db")
    first = create_bot(adapters=[fake], store=store)
    done: list[int] = []

    @first.on_mention
    async def show(ctx: TurnContext) -> None:
        await ctx.thread.post(card(5, lambda c: done.append(c.value)))
    async with running(first):
        await fake.emit_mention("card")
        assert await store.scan("action:") == []  # nothing another process could restore
    try:
        async with running(create_bot(adapters=[fake], store=store)):
            await fake.click("Approve")
        assert done == []
        assert fake.sent[-1].text == EXPIRED
    finally:
        await store.close()


async def test_a_record_whose_handler_is_gone_is_answered_as_expired() -> None:
    fake = FakeAdapter()
    store = MemoryStore()
    await store.set("action:bk:gone", {"handler": "no_such_module_here:approve", "thread": "x"})
    async with running(create_bot(adapters=[fake], store=store)):
        await fake.emit_interaction("bk:gone", 1)
    assert fake.sent[-1].text == EXPIRED


async def test_records_carry_handler_thread_and_a_ttl() -> None:
    fake = FakeAdapter()
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    bot = create_bot(adapters=[fake], store=store)
    bot.on_mention(lambda ctx: ctx.thread.post(card(6)))
    async with running(bot):
        await fake.emit_mention("card", conversation="C9:t9")
        (key,) = await store.scan("action:")
        assert await store.get(key) == {"handler": "test_durable_actions:approve",
                                        "thread": "C9:t9"}
        now[0] += ACTION_TTL + 1
        assert await store.get(key) is None


async def test_a_handler_forgotten_in_memory_comes_back_from_the_store() -> None:
    CLICKS.clear()
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    bot._runtime.actions.limit = 2
    bot.on_mention(lambda ctx: ctx.thread.post(card(int(ctx.text))))
    async with running(bot):
        for ticket in ("1", "2", "3"):
            await fake.emit_mention(ticket)
        assert len(bot._runtime.actions) == 2
        await fake.click("Approve", message=fake.sent[0].ref)
    assert CLICKS == ["1 by Alice"]


async def test_a_click_reaching_another_bot_on_the_same_store_runs_the_handler() -> None:
    CLICKS.clear()
    store = MemoryStore()
    fake_a, fake_b = FakeAdapter(), FakeAdapter()
    bot_a = create_bot(adapters=[fake_a], store=store)
    bot_b = create_bot(adapters=[fake_b], store=store)
    bot_a.on_mention(lambda ctx: ctx.thread.post(card(8)))
    bot_b.on_mention(show_card)  # the same app runs on both
    async with running(bot_a), running(bot_b):
        await fake_a.emit_mention("card")
        action_id = h.action(fake_a.sent[0], "Approve")[0]
        await fake_b.emit_interaction(action_id, 8, message=fake_a.sent[0].ref)
    assert CLICKS == ["8 by Alice"]
    assert fake_b.texts() == ["approved 8"]
