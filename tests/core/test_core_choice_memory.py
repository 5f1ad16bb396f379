"""What a waiting choice keeps in memory: one shared deadline timer, a short stack of
suspended frames, the card once (issue #15: 10,000 waiting choices)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from polling import until

from botkit import ChoiceTimeout, TurnContext, create_bot, ui
from botkit.choices.asking import PendingChoice
from botkit.choices.deadlines import Deadlines
from botkit.testing import FakeAdapter, running
from botkit.ui.binding import iter_controls


def card(question: str) -> ui.Message:
    return ui.Message(ui.Section(question), ui.Actions(ui.Button("Yes", value=True),
                                                       ui.Button("No", value=False)))


async def test_deadlines_expire_in_order_skip_the_discarded_and_stay_compact() -> None:
    expired: list[str] = []
    done = asyncio.Event()

    def expire(choice_id: str) -> None:
        expired.append(choice_id)
        if choice_id == "last":
            done.set()

    waiting: set[str] = set()  # the owner's: which choices still wait

    def ask(choice_id: str, timeout: float) -> None:
        waiting.add(choice_id)
        deadlines.add(choice_id, timeout)

    def answer(choice_id: str) -> None:
        waiting.discard(choice_id)
        deadlines.discard(choice_id)

    deadlines = Deadlines(lambda choice_id: (waiting.discard(choice_id), expire(choice_id)),
                          waiting.__contains__)
    ask("last", 0.08)
    ask("first", 0.01)  # earlier than the armed one: the timer moves
    ask("answered", 0.02)
    ask("second", 0.03)
    answer("answered")
    async with asyncio.timeout(5):
        await done.wait()
    assert expired == ["first", "second", "last"]
    assert len(deadlines) == 0
    assert deadlines._armed is None

    for i in range(1000):  # answered long before their deadline: the heap does not keep them
        ask(f"c{i}", 3600)
        if i:
            answer(f"c{i - 1}")
    assert len(deadlines) == 1
    kept = [i for ids in deadlines._due.values() for i in ids]
    assert len(kept) <= 2 * 1 + 64
    assert len(deadlines._heap) == 1  # asked in the same second, an hour ahead: one list
    answer("c999")
    assert len([i for ids in deadlines._due.values() for i in ids]) <= 64


async def test_waiting_choices_time_out_each_at_its_own_deadline() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    outcome: dict[str, Any] = {}
    timeouts = {"slow": 0.3, "quick": 0.05, "answered": 0.2, "middle": 0.15}

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        try:
            outcome[ctx.text] = await ctx.thread.await_choice(card(ctx.text),
                                                              timeout=timeouts[ctx.text])
        except ChoiceTimeout:
            outcome[ctx.text] = "timed out"
        outcome.setdefault("order", []).append(ctx.text)

    async with running(bot), asyncio.timeout(10):
        tasks = [bot.spawn(bot.dispatch(fake.message_event(text, conversation=f"C1:{text}")))
                 for text in timeouts]
        await until(lambda: len(fake.of_kind("post")) == len(timeouts), "the four cards")
        [answered] = fake.of_kind("post", "C1:answered")
        await fake.click("Yes", conversation="C1:answered", message=answered.ref)
        await asyncio.gather(*tasks)
    assert outcome["answered"] is True
    assert {k: outcome[k] for k in ("quick", "middle", "slow")} == dict.fromkeys(
        ("quick", "middle", "slow"), "timed out")
    assert outcome["order"] == ["answered", "quick", "middle", "slow"]
    closed = [s.text for s in fake.of_kind("update")]
    assert sum("No answer in time" in text for text in closed) == 3


def _stack(task: asyncio.Task[Any]) -> list[str]:
    names: list[str] = []
    awaited: Any = task.get_coro()
    while awaited is not None and hasattr(awaited, "cr_code"):
        names.append(awaited.cr_code.co_qualname)
        awaited = awaited.cr_await
    return names


async def test_a_turn_waiting_for_a_choice_keeps_a_short_stack_and_the_card_once() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    asked = card("Deploy?")

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        await ctx.thread.await_choice(asked, timeout=60)

    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        posted = await fake.wait_for_buttons()
        stack = _stack(task)
        # the message's dispatch and route -> the turn lock -> the handler, which awaits
        # the ``PendingChoice`` itself: no frame of its own (was 13 frames: each wrapper its
        # own coroutine; then 7 with dispatch's, the error policy's and await_choice's; then
        # 4 with ``Choices.ask``'s)
        assert stack == ["Pipeline._message", "TurnGate.run",
                         "test_a_turn_waiting_for_a_choice_keeps_a_short_stack_and_the_card_"
                         "once.<locals>.ask"], stack
        handler = task.get_coro()
        while hasattr(handler.cr_await, "cr_code"):
            handler = handler.cr_await
        pending = handler.cr_await
        assert isinstance(pending, PendingChoice)
        assert pending._step is pending  # the task waits on the choice itself
        assert task._fut_waiter is pending  # no asyncio.Future of its own
        assert bot._runtime.choices.registry.get(pending.id) is pending  # one object
        # what each waiting turn holds (not the bot's singletons) has no per-object dict
        per_turn = {"TurnContext", "MessageEvent", "ChoicePort", "PendingChoice", "_Turn",
                    "Message"}
        held: list[Any] = [pending, pending._surface, pending.card]
        awaited: Any = task.get_coro()
        while awaited is not None and hasattr(awaited, "cr_frame"):
            held += [v for v in awaited.cr_frame.f_locals.values()
                     if type(v).__name__ in per_turn]
            awaited = awaited.cr_await
        assert {type(v).__name__ for v in held} == per_turn
        ctx = next(v for v in held if isinstance(v, TurnContext))
        for value in (*held, ctx.thread, ctx.user, ctx.message.ref, ctx.thread.conversation):
            assert not hasattr(value, "__dict__"), type(value)
        message = posted.message
        for value in (message, *message.blocks, *iter_controls(message),
                      fake.conversation(), posted.ref):
            assert not hasattr(value, "__dict__"), type(value)
        [pending] = bot.thread("fake", fake.conversation()).pending_choices()
        assert pending.message == posted.message  # made again from the card, the same
        assert [c.action_id for c in iter_controls(pending.message)] == \
            [c.action_id for c in iter_controls(posted.message)]
        assert all(c.action_id is None for c in iter_controls(asked))  # the handler's card
        await fake.click("No")
        await task
    assert "✓ No" in fake.of_kind("update")[-1].text


async def test_await_choice_is_a_coroutine_a_task_can_run_and_cancel() -> None:
    """``await_choice`` returns a hand-written coroutine (no frame while it waits): a task
    of its own can run it, an answer ends it, a cancelled wait leaves nothing behind."""
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    outcome: dict[str, Any] = {}

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        asked = ctx.thread.await_choice(card(ctx.text), timeout=60)
        assert asyncio.iscoroutine(asked)
        task = asyncio.create_task(asked)  # not only awaited: a task can drive it
        try:
            outcome[ctx.text] = await task
        except asyncio.CancelledError:
            outcome[ctx.text] = "cancelled"
        with pytest.raises(RuntimeError, match="reuse"):
            await asked  # awaited once, as a coroutine function's

    store = bot._runtime.store
    async with running(bot), asyncio.timeout(5):
        answered = bot.spawn(bot.dispatch(fake.message_event("answer", conversation="C1:a")))
        await fake.wait_for_buttons()
        await fake.click("No", conversation="C1:a")
        await answered
        assert outcome["answer"] is False

        dropped = bot.spawn(bot.dispatch(fake.message_event("drop", conversation="C1:d")))
        await until(lambda: bot.pending_choices("C1:d"), "the second card")
        [pending] = list(bot._runtime.choices.registry.waiting())
        assert await store.get(f"choice:{pending.id}") is not None
        waiting = _waiting_task(pending)
        waiting.cancel()
        await dropped
        assert outcome["drop"] == "cancelled"
        assert bot.pending_choices("C1:d") == []
        assert await store.get(f"choice:{pending.id}") is None  # the record is forgotten
        assert pending.future.cancelled()
        await fake.click("Yes", conversation="C1:d")  # too late: told so
        assert fake.sent[-1].kind in ("ephemeral", "notice")
        assert "expired" in fake.sent[-1].text


def _waiting_task(pending: PendingChoice) -> asyncio.Task[Any]:
    """The task whose coroutine is ``pending`` (what ``ask`` above made)."""
    return next(t for t in asyncio.all_tasks() if t.get_coro() is pending)


async def test_an_answer_claimed_as_the_deadline_passes_is_the_one_returned() -> None:
    """The deadline wakes the wait, but a click claimed the record just before: the wait
    takes that click's answer (it reaches the choice after its deadline), not a timeout."""
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    outcome: list[Any] = []

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        try:
            outcome.append(await ctx.thread.await_choice(card("Deploy?"), timeout=60))
        except ChoiceTimeout:
            outcome.append("timed out")

    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        await fake.wait_for_buttons()
        choices = bot._runtime.choices
        [pending] = choices.registry.waiting()
        assert await bot._runtime.store.pop(f"choice:{pending.id}") is not None  # claimed
        choices._expire(pending.id)  # the deadline, before the click's answer arrives
        assert not pending.future.done()  # an answer may still come
        pending.future.set_result("late")
        await task
    assert outcome == ["late"]
    assert not any("No answer in time" in s.text for s in fake.of_kind("update"))
