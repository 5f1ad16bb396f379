"""Approvals survive a restart on SQLite: the bot stops while a tool waits for a click (or an
interrupt waits for Approve); a new bot on the same file takes the click and the agent run
goes on. Where it cannot, the clicker is told and the tool call is closed with an error."""

from __future__ import annotations

import asyncio
from pathlib import Path

import durable_helpers as h
import pytest

from botkit import Bot, SQLiteStore, TurnContext, create_bot, ui
from botkit.cli import load_app
from botkit.testing import ALICE, BOB, FakeAdapter, running

HELPDESK = Path(__file__).resolve().parents[2] / "examples" / "helpdesk.py"
REQUEST_EXPIRED = "This request expired before it was answered; ask again if you still need it."
EXPIRED = "This button has expired or was already used."


@pytest.fixture(autouse=True)
def _fresh() -> None:
    h.PREPARED.clear()


async def ask_then_stop(fake: FakeAdapter, path: Path, text: str, *, clicks: int = 0) -> Bot:
    """Run a bot on ``path`` until its tool shows a card (answering the first ``clicks``
    cards with their first control), then stop it while the tool waits."""
    store = SQLiteStore(path)
    bot = h.make_bot(fake, store)
    await bot.start()
    try:
        async with asyncio.timeout(10):
            task = bot.spawn(bot.dispatch(fake.message_event(text)))
            for answered in range(clicks + 1):
                await fake.wait_for(lambda s, n=answered: len(h.cards(fake)) > n)
                if answered < clicks:
                    card = h.cards(fake)[answered]
                    action_id, value = h.action(card, "Yes")
                    await fake.emit_interaction(action_id, value, message=card.ref)
    finally:
        await bot.stop()
    await task  # the run was suspended, not failed
    await store.close()
    return bot


async def test_a_tool_waiting_for_a_click_survives_a_restart(tmp_path: Path) -> None:
    fake = FakeAdapter()
    first = await ask_then_stop(fake, tmp_path / "state.db", "please open a ticket")
    assert not any("went wrong" in t or "expired" in t for t in fake.texts())
    assert h.tool_records(fake) == []  # nothing half-done reached the history
    store = SQLiteStore(tmp_path / "state.db")
    restarted = h.make_bot(fake, store)
    try:
        async with running(restarted):
            assert (await restarted.threads.get("C1:t1")).status == "interrupted"
            assert await store.scan("replica:") == []  # the stopped bot said it is gone
            await fake.click("Open it")
            assert fake.texts()[-1] == "Done: ticket 'printer' is open"
            history = [r.status for r in await restarted.threads.runs("C1:t1")]
            await fake.emit_mention("hello")
        closed = [s for s in fake.sent if s.kind == "update"]
        assert [s.text.splitlines()[-1] for s in closed] == ["· ✓ Open it (by Alice)"]
        assert h.PREPARED == ["printer", "printer"]  # the tool ran again: replayed
        records = h.tool_records(fake)
        (call,) = [c for r in records for c in r.get("toolCalls", ())]
        results = [r for r in records if r.get("role") == "tool"]
        assert [(r["toolCallId"], r["content"]) for r in results] == [
            (call["id"], "ticket 'printer' is open")]
        assert history == ["completed", "interrupted"]  # newest first: resumed, suspended
        assert await store.scan("choice") == []
        seen = restarted.agent.inputs[-1].messages  # type: ignore[union-attr]
        assert [m.role for m in seen][-4:] == ["assistant", "tool", "assistant", "user"]
        assert first._runtime.choices.relay.replica != restarted._runtime.choices.relay.replica
    finally:
        await store.close()


async def test_an_interrupt_is_resumed_by_a_click_after_a_restart(tmp_path: Path) -> None:
    fake = FakeAdapter()
    store = SQLiteStore(tmp_path / "state.db")
    first = h.make_bot(fake, store)
    async with running(first):
        await fake.emit_mention("reset my password")
    (card,) = h.cards(fake)
    action_id, _ = h.action(card, "Approve")
    assert await store.get(f"action:{action_id}") == {
        "handler": "durable_helpers:resume_run", "thread": "C1:t1"}
    await store.close()
    store = SQLiteStore(tmp_path / "state.db")
    restarted = h.make_bot(fake, store)
    try:
        async with running(restarted):
            assert action_id not in restarted._runtime.actions
            await fake.click("Approve", user=BOB)
            await fake.click("Deny")  # the interrupt is answered: nothing waits any more
        assert fake.texts()[-2] == "Password reset: approved."
        assert "already been answered or has expired" in fake.texts()[-1]
        assert await store.get("interrupt:C1:t1") is None
    finally:
        await store.close()


async def test_answers_given_before_the_restart_are_replayed_in_order(tmp_path: Path) -> None:
    fake = FakeAdapter()
    await ask_then_stop(fake, tmp_path / "state.db", "deploy it", clicks=1)
    assert len(h.cards(fake)) == 2
    store = SQLiteStore(tmp_path / "state.db")
    try:
        async with running(h.make_bot(fake, store)):
            second = h.cards(fake)[1]
            action_id, value = h.action(second, "Tonight")
            await fake.emit_interaction(action_id, value, message=second.ref)
        assert fake.texts()[-1] == "deploy prod: yes, tonight"
        assert len(h.cards(fake)) == 2  # the first question was not asked again
        assert h.PREPARED == ["prod", "prod"]
        assert "· ✓ Tonight (by Alice)" in [s.text.splitlines()[-1] for s in fake.sent
                                           if s.kind == "update"]
    finally:
        await store.close()


async def test_when_the_tool_is_gone_the_click_expires_and_the_call_gets_an_error(
    tmp_path: Path,
) -> None:
    fake = FakeAdapter()
    await ask_then_stop(fake, tmp_path / "state.db", "open a ticket")
    store = SQLiteStore(tmp_path / "state.db")
    restarted = h.make_bot(fake, store, tools=[h.deploy])  # open_ticket was removed
    try:
        async with running(restarted):
            await fake.click("Open it")
            told = fake.sent[-1]
            await fake.emit_mention("hello")
        assert (told.kind, told.user, told.text) == ("ephemeral", ALICE, REQUEST_EXPIRED)
        assert "⏱ This request expired." in fake.sent[-3].text
        records = h.tool_records(fake)
        (result,) = [r for r in records if r.get("role") == "tool"]
        assert result["error"] == "the tool 'open_ticket' is no longer available"
        assert records[0]["toolCalls"][0]["id"] == result["toolCallId"]
        call, error, hello = restarted.agent.inputs[-1].messages[-3:]  # type: ignore[union-attr]
        assert call.tool_calls[0].id == error.tool_call_id == result["toolCallId"]
        assert (error.role, hello.role, hello.content) == ("tool", "user", "hello")
        assert not any("Done:" in t for t in fake.texts())
    finally:
        await store.close()


async def test_a_click_after_the_timeout_passed_while_down_expires(tmp_path: Path) -> None:
    fake = FakeAdapter()
    await ask_then_stop(fake, tmp_path / "state.db", "open a ticket")
    store = SQLiteStore(tmp_path / "state.db")
    try:
        (key,) = await store.scan("choice:")
        record = await store.get(key)
        await store.set(key, {**record, "deadline": record["deadline"] - 3601})
        async with running(h.make_bot(fake, store)):
            await fake.click("Open it")
        assert fake.sent[-1].text == REQUEST_EXPIRED
        (result,) = [r for r in h.tool_records(fake) if r.get("role") == "tool"]
        assert result["error"] == "nobody answered within 3600 seconds"
        assert h.PREPARED == ["printer"]  # not replayed
    finally:
        await store.close()


async def test_after_a_restart_only_the_allowed_person_can_answer(tmp_path: Path) -> None:
    fake = FakeAdapter()
    await ask_then_stop(fake, tmp_path / "state.db", "open a ticket")
    store = SQLiteStore(tmp_path / "state.db")
    try:
        async with running(h.make_bot(fake, store)):
            await fake.click("Cancel", user=BOB)
            refusal = fake.sent[-1]
            await fake.click("Cancel", user=ALICE)
        assert (refusal.kind, refusal.user) == ("ephemeral", BOB)
        assert refusal.text == "Sorry, only Alice can answer this one."
        assert fake.texts()[-1] == "Done: cancelled"
    finally:
        await store.close()


async def test_a_handlers_choice_ends_when_the_bot_stops(tmp_path: Path) -> None:
    """Outside a tool there is nothing to replay: the handler is told at stop, and a later
    click is answered as expired."""
    fake = FakeAdapter()
    store = SQLiteStore(tmp_path / "state.db")

    def build() -> Bot:
        bot = create_bot(adapters=[fake], store=store)

        @bot.on_mention
        async def ask(ctx: TurnContext) -> None:
            await ctx.thread.await_choice(ui.Message("Go?", ui.Button("Go")))
        return bot

    first = build()
    await first.start()
    task = first.spawn(first.dispatch(fake.message_event("ask me")))
    await fake.wait_for_buttons()
    await first.stop()
    await task
    assert "already been answered or has expired" in fake.texts()[-1]
    assert await store.scan("choice:") == []
    try:
        async with running(build()):
            await fake.click("Go")
        assert fake.sent[-1].text == EXPIRED
    finally:
        await store.close()


async def test_the_helpdesk_example_keeps_both_approvals_across_a_restart(
    tmp_path: Path,
) -> None:
    """examples/helpdesk.py as written: its ticket card (``await_choice`` in a tool) and its
    password-reset Approve button (``on_click=_resume``) work after the bot restarts."""
    fake = FakeAdapter()

    def helpdesk() -> Bot:
        bot = load_app(str(HELPDESK))
        bot.adapters = [fake]
        bot.store = SQLiteStore(tmp_path / "state.db")
        return bot

    first = helpdesk()
    await first.start()
    try:
        task = first.spawn(first.dispatch(fake.message_event("my printer is broken")))
        await fake.wait_for_buttons()
        await fake.emit_mention("reset my password", conversation="C2:t2")
    finally:
        await first.stop()
    await task
    await first.store.close()
    restarted = helpdesk()
    try:
        async with running(restarted):
            await fake.click("Open it")
            await fake.click("Approve", conversation="C2:t2")
        assert fake.texts("C1:t1")[-1] == "Ticket HD-101 is open: 'my printer is broken' " \
            "(normal priority)."
        assert fake.texts("C2:t2")[-1] == "Password reset: approved."
    finally:
        await restarted.store.close()
