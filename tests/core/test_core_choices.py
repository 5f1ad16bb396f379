"""await_choice: a click on THAT message's controls by an allowed user, with a timeout."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from botkit import (
    Bot,
    Capabilities,
    ChoiceTimeout,
    Conversation,
    InteractionExpired,
    MessageRef,
    TurnContext,
    UserError,
    create_bot,
    ui,
)
from botkit.testing import ALICE, BOB, FULL_CAPABILITIES, FakeAdapter, Sent, running
from botkit.ui.binding import iter_controls

EXPIRED = "This button has expired or was already used."


def approval(question: str = "Deploy to prod?") -> ui.Message:
    return ui.Message(ui.Section(question), ui.Actions(
        ui.Button("Yes", value={"approved": True, "env": ("prod", 1)}, style="primary"),
        ui.Button("No", value=False, style="danger")))


def ids(sent: Sent) -> list[str]:
    assert sent.message is not None
    return [c.action_id or "" for c in iter_controls(sent.message)]


def make_bot(fake: FakeAdapter, body: Any) -> tuple[Bot, list[Any]]:
    """A bot whose mention handler runs ``body(ctx)`` and records what it returned/raised."""
    bot = create_bot(adapters=[fake])
    results: list[Any] = []

    @bot.on_mention
    async def handle(ctx: TurnContext) -> None:
        try:
            results.append(await body(ctx))
        except Exception as exc:
            results.append(exc)
            raise

    return bot, results


async def test_await_choice_returns_the_clicked_value_and_closes_the_card() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(approval()))
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        card = await fake.wait_for_buttons()
        assert all(i.startswith("bk:choice:") for i in ids(card))
        await fake.click("Yes", user=BOB)
        await task
    assert results == [{"approved": True, "env": ["prod", 1]}]  # a JSON round trip
    closed = fake.sent[-1]
    assert closed.kind == "update"
    assert closed.ref == card.ref
    assert closed.message is not None
    assert list(iter_controls(closed.message)) == []
    assert "Deploy to prod?" in closed.text
    assert "✓ Yes (by Bob)" in closed.text
    assert bot.pending_choices("C1:t1") == []


async def test_a_button_without_value_answers_with_its_label() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(
        ui.Message("Pick a colour", ui.Actions(ui.Button("Red"), ui.Button("Blue")))))
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("colour")))
        await fake.wait_for_buttons()
        await fake.click("Blue")
        await task
    assert results == ["Blue"]


async def test_a_select_answers_with_the_option_value() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(
        ui.Message("Priority?", ui.Select([("High", "p1"), ("Low", "p3")]))))
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("prio")))
        card = await fake.wait_for_buttons()
        await fake.emit_interaction(ids(card)[0], "p1", message=card.ref)
        await task
    assert results == ["p1"]
    assert "✓ High (by Alice)" in fake.sent[-1].text


async def test_a_disallowed_user_is_refused_politely_and_the_choice_stays_pending() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(
        approval(), allowed_users=[ALICE]))
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        await fake.wait_for_buttons()
        await fake.click("Yes", user=BOB)
        refusal = fake.sent[-1]
        assert refusal.kind == "ephemeral"
        assert refusal.user == BOB
        assert refusal.text == "Sorry, only Alice can answer this one."
        assert not task.done()
        assert len(bot.pending_choices("C1:t1")) == 1
        await fake.click("No", user=ALICE)
        await task
    assert results == [False]
    assert "✓ No (by Alice)" in fake.sent[-1].text


async def test_allowed_users_may_be_given_as_ids() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(
        approval(), allowed_users=["U_BOB"]))
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        await fake.wait_for_buttons()
        await fake.click("Yes", user=ALICE)
        assert "only U_BOB can answer" in fake.sent[-1].text
        await fake.click("No", user=BOB)
        await task
    assert results == [False]


async def test_refusal_without_ephemeral_is_a_notice() -> None:
    caps = Capabilities(**{**FULL_CAPABILITIES.__dict__, "ephemeral": False})
    fake = FakeAdapter(capabilities=caps)
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(
        approval(), allowed_users=[ALICE]))
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        await fake.wait_for_buttons()
        await fake.click("Yes", user=BOB)
        notice = fake.sent[-1]
        assert notice.kind == "post"
        assert notice.message is not None
        assert notice.message.status
        assert "only Alice can answer" in notice.text
        await fake.click("Yes", user=ALICE)
        await task
    assert results[0]["approved"] is True


@pytest.mark.parametrize("order", [("A", "B"), ("B", "A")])
async def test_two_pending_choices_in_one_conversation_resolve_independently(
    order: tuple[str, str],
) -> None:
    fake = FakeAdapter()

    async def body(ctx: TurnContext) -> Any:
        return await asyncio.gather(
            ctx.thread.await_choice(ui.Message("Choice A", ui.Button("A-1", value="a1"),
                                               ui.Button("A-2", value="a2"))),
            ctx.thread.await_choice(ui.Message("Choice B", ui.Button("B-1", value="b1"),
                                               ui.Button("B-2", value="b2"))))

    bot, results = make_bot(fake, body)
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("two questions")))
        await fake.wait_for(lambda s: "Choice A" in s.text and s.kind == "post")
        await fake.wait_for(lambda s: "Choice B" in s.text and s.kind == "post")
        assert len(bot.pending_choices("C1:t1")) == 2
        first, second = order
        await fake.click(f"{first}-2", user=BOB)
        assert not task.done()
        assert len(bot.pending_choices("C1:t1")) == 1
        await fake.click(f"{second}-1", user=ALICE)
        await task
    expected = {"A": "a2" if first == "A" else "a1", "B": "b2" if first == "B" else "b1"}
    assert results == [[expected["A"], expected["B"]]]


async def test_a_click_on_another_messages_controls_is_refused() -> None:
    fake = FakeAdapter()

    async def body(ctx: TurnContext) -> Any:
        return await asyncio.gather(ctx.thread.await_choice(ui.Message("A", ui.Button("ok-a"))),
                                    ctx.thread.await_choice(ui.Message("B", ui.Button("ok-b"))))

    bot, results = make_bot(fake, body)
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("x")))
        card_a = await fake.wait_for(lambda s: s.text.startswith("A"))
        card_b = await fake.wait_for(lambda s: s.text.startswith("B"))
        # A's control id, but reported as clicked on B's message
        await fake.emit_interaction(ids(card_a)[0], "ok-a", user=BOB, message=card_b.ref)
        assert fake.sent[-1].kind == "ephemeral"
        assert fake.sent[-1].text == EXPIRED
        # ... and a click from another conversation is refused too
        await fake.emit_interaction(ids(card_a)[0], "ok-a", conversation="C2:t9",
                                    message=card_a.ref)
        assert fake.sent[-1].text == EXPIRED
        assert len(bot.pending_choices("C1:t1")) == 2
        await fake.click("ok-a", message=card_a.ref)
        await fake.click("ok-b", message=card_b.ref)
        await task
    assert results == [["ok-a", "ok-b"]]


async def test_a_second_click_after_the_answer_is_told_it_expired() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(approval()))
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        card = await fake.wait_for_buttons()
        await fake.click("Yes")
        await task
        await fake.emit_interaction(ids(card)[1], False, user=BOB, message=card.ref)
    assert results[0]["approved"] is True
    assert fake.sent[-1].kind == "ephemeral"
    assert fake.sent[-1].text == EXPIRED


class SlowUpdates(FakeAdapter):
    """Editing a message takes a round trip (as on a real platform)."""

    async def update(self, conversation: Conversation, ref: MessageRef,
                     message: ui.Message) -> MessageRef:
        await asyncio.sleep(0)
        return await super().update(conversation, ref, message)


async def test_two_simultaneous_clicks_resolve_the_choice_once() -> None:
    fake = SlowUpdates()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(approval()))
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        card = await fake.wait_for_buttons()
        yes, no = ids(card)
        await asyncio.gather(
            fake.emit_interaction(yes, {"approved": True}, user=ALICE, message=card.ref),
            fake.emit_interaction(no, False, user=BOB, message=card.ref))
        await task
    assert results == [{"approved": True}]
    late = [s for s in fake.sent if s.kind == "ephemeral"]
    assert [(s.user, s.text) for s in late] == [(BOB, EXPIRED)]
    assert sum("✓" in s.text for s in fake.sent if s.kind == "update") == 1


async def test_timeout_raises_choice_timeout_and_closes_the_card() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(approval(), timeout=0.01))
    async with running(bot), asyncio.timeout(5):
        await fake.emit_mention("deploy")
        card = next(s for s in fake.sent if s.kind == "post")
        await fake.emit_interaction(ids(card)[0], True, message=card.ref)
    (error,) = results
    assert isinstance(error, ChoiceTimeout)
    assert "0.01 seconds" in str(error)
    closed = next(s for s in fake.sent if s.kind == "update")
    assert closed.ref == card.ref
    assert "No answer in time" in closed.text
    assert closed.message is not None
    assert list(iter_controls(closed.message)) == []
    assert fake.sent[-1].text == EXPIRED  # the late click is answered, not dropped
    assert bot.pending_choices("C1:t1") == []


async def test_a_handler_can_catch_the_timeout() -> None:
    fake = FakeAdapter()

    async def body(ctx: TurnContext) -> str:
        try:
            return str(await ctx.thread.await_choice(approval(), timeout=0.01))
        except ChoiceTimeout:
            await ctx.thread.post("Nobody answered; not deploying.")
            return "timed out"

    bot, results = make_bot(fake, body)
    async with running(bot):
        await fake.emit_mention("deploy")
    assert results == ["timed out"]
    assert fake.texts()[-1] == "Nobody answered; not deploying."


@pytest.mark.parametrize("content", [
    "just text",
    ui.Message(ui.Header("no controls")),
    ui.Message(ui.Button("Docs", url="https://example.test")),
])
async def test_await_choice_without_controls_is_a_user_error(content: Any) -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    async with running(bot):
        thread = bot.thread("fake", fake.conversation())
        with pytest.raises(UserError, match="at least one Button or Select"):
            await thread.await_choice(content)
    assert fake.sent == []


async def test_stopping_the_bot_ends_a_pending_choice_with_a_notice() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(approval()))
    async with asyncio.timeout(5):
        await bot.start()
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        await fake.wait_for_buttons()
        await bot.stop()
        await task
    assert isinstance(results[0], InteractionExpired)
    assert "already been answered or has expired" in fake.sent[-1].text


async def test_wait_until_pending_returns_once_a_choice_is_shown() -> None:
    fake = FakeAdapter()
    bot, results = make_bot(fake, lambda ctx: ctx.thread.await_choice(approval()))
    async with running(bot), asyncio.timeout(5):
        waiter = asyncio.ensure_future(bot.waiting_for_input("C1:t1"))
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        await waiter
        (pending,) = bot.pending_choices("C1:t1")
        assert pending.ref == fake.sent[0].ref
        await fake.click("No")
        await task
    assert results == [False]
