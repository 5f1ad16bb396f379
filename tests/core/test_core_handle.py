"""What an adapter gets besides ingress: how each agent run ended (``run_ended``), the
checks an answer must pass (``may_answer``, ``check_resume``) and the bot's records
(``BotHandle.records``)."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from botkit import (
    ContextEntry,
    Conversation,
    InteractionExpired,
    InterruptContext,
    RunResult,
    TurnContext,
    UserError,
    create_bot,
    keys,
    ui,
)
from botkit.adapter import AnswerCheck, BotHandle, PlatformRecords
from botkit.agents.scripted import Fail, Interrupt, Rule, Say, ScriptedAgent
from botkit.codec import decode_event, encode_event
from botkit.inbox import Replicas
from botkit.run.interrupts import PendingInterrupt
from botkit.store import SQLiteStore
from botkit.testing import ALICE, BOB, FakeAdapter, running
from botkit.ui.binding import choice_id_of, iter_controls


class Outcomes(FakeAdapter):
    """A fake adapter that keeps every ``run_ended`` call."""

    def __init__(self) -> None:
        super().__init__()
        self.ended: list[tuple[Conversation, RunResult]] = []

    async def run_ended(self, conversation: Conversation, result: RunResult) -> None:
        self.ended.append((conversation, result))


def agent() -> ScriptedAgent:
    return ScriptedAgent([
        Rule("deploy", Say("Checking."), Interrupt({"q": "Deploy?"}, reason="approval")),
        Rule("legacy", Interrupt({"q": "Sure?"}, legacy=True)),
        Rule("break", Fail("the model is down")),
    ], default=Say("done"))


def run_bot(fake: FakeAdapter) -> Any:
    bot = create_bot(adapters=[fake], agent=agent())

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    @bot.on_interrupt()
    async def wait(ctx: InterruptContext) -> None:
        return None
    return bot


# -- run_ended ---------------------------------------------------------------------------
async def test_run_ended_gets_each_run_with_its_id_and_the_interrupts_it_waits_on() -> None:
    fake = Outcomes()
    bot = run_bot(fake)
    async with running(bot):
        await fake.emit_mention("hello")
        await fake.emit_mention("deploy it")
        (_, interrupted) = fake.ended[-1]
        resumed = await bot.records.resume("fake", fake.conversation(), "yes")
        runs = await bot.threads.runs(fake.conversation().id)
    (convo, completed), (_, waiting), (_, after) = fake.ended
    assert convo == fake.conversation()
    assert completed.status == "completed"
    assert completed.text == "done"
    assert completed.thread_id == convo.id
    assert waiting is interrupted
    assert waiting.status == "interrupted"
    (pending,) = waiting.interrupts
    assert pending["reason"] == "approval"
    assert pending["metadata"] == {"payload": {"q": "Deploy?"}}
    assert pending["id"].startswith("int_")
    assert after == resumed
    assert after.status == "completed"
    # the ids are the run history's
    assert {r.run_id for r in runs} == {completed.run_id, waiting.run_id, after.run_id}
    assert len({completed.run_id, waiting.run_id, after.run_id}) == 3


async def test_a_legacy_interrupt_is_named_for_its_run_and_a_failed_run_says_so() -> None:
    fake = Outcomes()
    async with running(run_bot(fake)):
        await fake.emit_mention("legacy")
        await fake.emit_mention("break")
    (_, legacy), (_, failed) = fake.ended
    assert legacy.interrupts == ({"id": f"{legacy.run_id}:interrupt", "reason": "on_interrupt",
                                  "metadata": {"payload": {"q": "Sure?"}}},)
    assert failed.status == "failed"
    assert "the model is down" in (failed.error or "")
    assert failed.interrupts == ()


async def test_a_failing_run_ended_hook_changes_nothing() -> None:
    class Broken(FakeAdapter):
        async def run_ended(self, conversation: Conversation, result: RunResult) -> None:
            raise RuntimeError("hook broke")
    fake = Broken()
    async with running(run_bot(fake)):
        await fake.emit_mention("hello")
    assert fake.texts() == ["done"]


# -- check_resume ------------------------------------------------------------------------
async def test_check_resume_refuses_before_anything_is_claimed() -> None:
    fake = FakeAdapter()
    bot = run_bot(fake)
    cid = fake.conversation().id
    async with running(bot):
        with pytest.raises(InteractionExpired):
            await bot.check_resume(cid, "yes")
        await PendingInterrupt(channel="outcome", event_name="a", payload=None,
                               interrupts=({"id": "i1"}, {"id": "i2"})).save(bot.store, cid)
        with pytest.raises(UserError, match="i1, i2"):
            await bot.check_resume(cid, "yes")
        await bot.check_resume(cid, {"i1": 1, "i2": 2})
        await bot.check_resume(cid, cancel=True)
        assert (await PendingInterrupt.peek(bot.store, cid)).interrupts  # still there


# -- may_answer --------------------------------------------------------------------------
async def test_may_answer_applies_the_choice_rules_without_claiming() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    asked = asyncio.Event()
    answers: list[Any] = []

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        card = ui.Message("Deploy?", ui.Actions(ui.Button("Yes", value=True)))
        task = asyncio.ensure_future(ctx.thread.await_choice(card, allowed_users=[BOB]))
        asked.set()
        answers.append(await task)

    async with running(bot):
        turn = asyncio.ensure_future(fake.emit_mention("go"))
        await asyncio.wait_for(asked.wait(), 5)
        await bot.waiting_for_input(fake.conversation().id)
        (open_choice,) = bot.pending_choices(fake.conversation().id)
        action = next(c.action_id for c in iter_controls(open_choice.message))
        cid = choice_id_of(action or "")
        assert cid is not None
        assert await bot.may_answer(cid, BOB) == AnswerCheck(status="open")
        assert await bot.may_answer(cid, BOB, conversation_id=fake.conversation().id) == \
            AnswerCheck(status="open")
        refused = await bot.may_answer(cid, ALICE)
        assert refused.status == "not_allowed"
        assert refused.message == \
            "Sorry, only Bob can answer this one."
        assert (await bot.may_answer(cid, BOB, conversation_id="elsewhere")).status == "closed"
        assert (await bot.may_answer("nope", BOB)).status == "closed"
        assert answers == []  # nothing was claimed
        await fake.click("Yes", user=BOB)
        await turn
        assert answers == [True]
        assert (await bot.may_answer(cid, BOB)).status == "closed"


# -- records -----------------------------------------------------------------------------
async def test_records_are_the_bots_thread_records_state_and_store() -> None:
    fake = FakeAdapter()
    bot = run_bot(fake)
    assert isinstance(bot, BotHandle)
    records = bot.records
    assert isinstance(records, PlatformRecords)
    convo = Conversation(id="w1", channel="web", thread="w1")
    async with running(bot):
        assert records.store is bot.store
        assert await records.thread_record("w1") is None
        async with records.thread_changes() as changes:
            made = await records.edit_thread_record(
                "w1", lambda old: old or {**records.new_thread_record("w1", "fake", convo,
                                                                       title="Hi"),
                                          "metadata": {"x": 1}})
            change = await asyncio.wait_for(anext(aiter(changes)), 5)
        assert made is not None
        assert made["title"] == "Hi"
        assert made["metadata"] == {"x": 1}
        assert (change.type, change.thread_id) == ("created", "w1")
        assert await records.thread_record("w1") == made
        assert (await bot.threads.get("w1")).title == "Hi"
        await records.set_state("w1", {"n": 1})
        assert await records.read_state("w1") == {"n": 1} == await bot.threads.read_state("w1")
        with pytest.raises(InteractionExpired):
            await records.resume("fake", convo, "yes")


# -- a message's context -----------------------------------------------------------------
async def test_a_messages_context_reaches_the_agent_and_survives_the_codec() -> None:
    fake = FakeAdapter()
    scripted = ScriptedAgent(default=Say("ok"))
    bot = create_bot(adapters=[fake], agent=scripted, context=[("bot", "helpdesk")])

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent(context=[ContextEntry(description="run", value="1")])

    page = ContextEntry(description="page", value="/checkout")
    event = dataclasses.replace(fake.message_event("hi"), context=(page,))
    assert decode_event(encode_event(event)) == event
    assert decode_event(encode_event(event)).context == (page,)
    async with running(bot):
        await bot.dispatch(event)
    assert [(c.description, c.value) for c in scripted.inputs[-1].context] == [
        ("bot", "helpdesk"), ("page", "/checkout"), ("run", "1")]
    with pytest.raises(ValueError, match="context"):
        decode_event({**encode_event(event), "context": [{"description": 1}]})


async def test_heartbeat_names_this_process_and_frees_the_turn_locks_of_stopped_ones(
        tmp_path: Any) -> None:
    store = SQLiteStore(tmp_path / "handle.db")
    first, second = (create_bot(adapters=[FakeAdapter()], store=store) for _ in range(2))
    async with running(first), running(second):
        me = await first.heartbeat()
        assert me == await first.heartbeat()  # the same id, however often asked
        assert await second.replica_alive(me)
        assert not await second.replica_alive("a-process-that-stopped")
        # a process that stopped while holding a turn lock it had recorded under its id
        gone = Replicas(store, "a-process-that-stopped")
        token = await store.acquire_lock(keys.turn_lock("c1"), ttl=3600)
        assert token is not None
        await gone.record(keys.turn_lock("c1"), token)
        live = await store.acquire_lock(keys.turn_lock("c2"), ttl=3600)
        assert live is not None
        await first.heartbeat()
        await Replicas(store, me).record(keys.turn_lock("c2"), live)  # a live one's
        assert await second.release_stopped_turns() == []  # second never named itself
        await second.heartbeat()
        assert await second.release_stopped_turns() == ["c1"]
        assert await store.acquire_lock(keys.turn_lock("c1"), ttl=10) is not None
        assert await store.acquire_lock(keys.turn_lock("c2"), ttl=10) is None
    assert not await second.replica_alive(me)  # a stopped bot says so at once
    await store.close()
