"""offer_choice: a question that is only a store record: the handler returns at once, the
first allowed click closes the card and runs ``on_answer``, here or after a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from polling import until

from botkit import Bot, InteractionContext, TurnContext, UserError, create_bot, ui
from botkit.store.sqlite import SQLiteStore
from botkit.testing import ALICE, BOB, FakeAdapter, Sent, running
from botkit.ui.binding import iter_controls

EXPIRED = "This button has expired or was already used."
heard: list[tuple[str, Any, str]] = []


async def on_answer(ctx: InteractionContext) -> None:
    """Module-level: found again when the click comes after a restart."""
    heard.append((ctx.thread.id, ctx.value, ctx.user.id if ctx.user else ""))
    await ctx.thread.post(f"noted: {ctx.value}")


def card() -> ui.Message:
    return ui.Message(ui.Section("Open a ticket?"), ui.Actions(
        ui.Button("Open it", value={"open": True}), ui.Button("Cancel", value=False)))


def offering(fake: FakeAdapter, store: Any = None, **options: Any) -> Bot:
    bot = create_bot(adapters=[fake], store=store)

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        await ctx.thread.offer_choice(card(), on_answer, **options)

    return bot


def ids(sent: Sent) -> list[str]:
    assert sent.message is not None
    return [c.action_id or "" for c in iter_controls(sent.message)]


@pytest.fixture(autouse=True)
def _answers() -> None:
    heard.clear()


async def test_the_first_click_closes_the_card_and_runs_on_answer_once() -> None:
    fake = FakeAdapter()
    bot = offering(fake)
    async with running(bot), asyncio.timeout(5):
        await fake.emit_mention("ticket")  # returns: nothing waits for the click
        posted = await fake.wait_for_buttons()
        await fake.emit_interaction(ids(posted)[0], {"open": True}, message=posted.ref)
        assert heard == [("C1:t1", {"open": True}, ALICE.id)]
        closed = fake.of_kind("update")[-1]
        assert "✓ Open it (by" in closed.text
        assert closed.message is not None
        assert not list(iter_controls(closed.message))
        await fake.emit_interaction(ids(posted)[1], False, user=BOB, message=posted.ref)
        assert fake.sent[-1].text == EXPIRED
    assert heard == [("C1:t1", {"open": True}, ALICE.id)]
    assert "noted: {'open': True}" in fake.texts("C1:t1")


async def test_only_allowed_people_answer_an_offer() -> None:
    fake = FakeAdapter()
    bot = offering(fake, allowed_users=[BOB])
    async with running(bot), asyncio.timeout(5):
        await fake.emit_mention("ticket")
        posted = await fake.wait_for_buttons()
        await fake.emit_interaction(ids(posted)[1], False, user=ALICE, message=posted.ref)
        assert heard == []
        assert "only" in fake.sent[-1].text
        await fake.emit_interaction(ids(posted)[1], False, user=BOB, message=posted.ref)
    assert heard == [("C1:t1", False, BOB.id)]


async def test_an_unanswered_offer_closes_at_its_deadline() -> None:
    fake = FakeAdapter()
    bot = offering(fake, timeout=0.05)
    async with running(bot), asyncio.timeout(5):
        await fake.emit_mention("ticket")
        posted = await fake.wait_for_buttons()
        await until(lambda: any("No answer in time" in s.text
                                for s in fake.of_kind("update")), "the card closed")
        await fake.emit_interaction(ids(posted)[0], {"open": True}, message=posted.ref)
        assert fake.sent[-1].text == EXPIRED
    assert heard == []


async def test_on_answer_must_be_a_module_level_function() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    failures: list[Exception] = []

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        try:
            await ctx.thread.offer_choice(card(), lambda ctx: None)
        except UserError as exc:
            failures.append(exc)

    async with running(bot), asyncio.timeout(5):
        await fake.emit_mention("ticket")
    assert len(failures) == 1
    assert "module-level" in str(failures[0])
    assert fake.of_kind("post") == []


async def test_a_click_after_a_restart_reaches_on_answer(tmp_path: Path) -> None:
    path = tmp_path / "offers.db"
    first = FakeAdapter()
    async with running(offering(first, SQLiteStore(path), timeout=3600)), \
            asyncio.timeout(5):
        await first.emit_mention("ticket")
        posted = await first.wait_for_buttons()
    # a new process: the same app module, the same store
    second = FakeAdapter()
    async with running(offering(second, SQLiteStore(path))), asyncio.timeout(5):
        await second.emit_interaction(ids(posted)[0], {"open": True}, message=posted.ref)
        assert heard == [("C1:t1", {"open": True}, ALICE.id)]
        assert "✓ Open it" in second.of_kind("update")[-1].text
        await second.emit_interaction(ids(posted)[0], {"open": True}, message=posted.ref)
        assert second.sent[-1].text == EXPIRED
    assert len(heard) == 1
