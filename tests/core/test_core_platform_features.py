"""Reactions, status, suggested prompts, titles, modals, scheduling, DMs and cancelling a
choice: the capability-gated API on the FakeAdapter, full and with nothing supported."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest

from botkit import (
    Capabilities,
    ChoiceCancelled,
    CommandContext,
    InteractionContext,
    ModalCloseContext,
    ModalSubmitContext,
    ReactionContext,
    ThreadStartedContext,
    TurnContext,
    UserError,
    create_bot,
    ui,
)
from botkit.testing import ALICE, BOB, FakeAdapter, running

NOTHING = Capabilities()
SOON = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=1)


async def test_reactions_reach_handlers_filtered_by_emoji() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    every: list[tuple[str, bool, str]] = []
    eyes: list[str] = []

    @bot.on_reaction
    async def any_reaction(ctx: ReactionContext) -> None:
        every.append((ctx.emoji, ctx.added, ctx.message.id))

    @bot.on_reaction(":eyes:")
    async def looked(ctx: ReactionContext) -> None:
        eyes.append(ctx.user.id if ctx.user else "")
        await ctx.thread.react(ctx.message, "white_check_mark")

    async with running(bot):
        ref = fake.conversation().id
        message = (await fake.emit_mention("hi")).ref
        await fake.emit_reaction("eyes", message, user=BOB)
        await fake.emit_reaction("tada", message, added=False)
    assert every == [("eyes", True, message.id), ("tada", False, message.id)]
    assert eyes == [BOB.id]
    [reacted] = fake.of_kind("react", ref)
    assert (reacted.text, reacted.ref) == ("white_check_mark", message)


async def test_gated_calls_record_on_a_full_platform() -> None:
    fake = FakeAdapter()
    results: dict[str, Any] = {}

    async def body(ctx: TurnContext) -> None:
        t = ctx.thread
        results["react"] = await t.react(ctx.message.ref, ":eyes:")
        results["unreact"] = await t.unreact(ctx.message.ref, "eyes")
        results["status"] = await t.set_status("is looking…", loading_messages=["Reading"])
        results["prompts"] = await t.set_suggested_prompts(
            ["Reset my password", ("Printer", "my printer is broken")], title="Try")
        await t.set_title("Printer trouble")
        results["scheduled"] = await t.schedule(ui.Message("Reminder"), post_at=SOON)

    bot = create_bot(adapters=[fake])
    bot.on_mention(body)
    async with running(bot):
        await fake.emit_mention("hi")
        record = await bot.threads.get("C1:t1")
    assert results == {"react": True, "unreact": True, "status": True, "prompts": True,
                       "scheduled": results["scheduled"]}
    assert results["scheduled"]
    assert [s.kind for s in fake.sent] == ["react", "unreact", "status", "prompts", "title",
                                           "schedule"]
    assert fake.of_kind("status")[0].prompts == (("Reading", "Reading"),)
    assert fake.of_kind("prompts")[0].prompts == (
        ("Reset my password", "Reset my password"), ("Printer", "my printer is broken"))
    assert fake.of_kind("schedule")[0].post_at == SOON
    assert fake.of_kind("schedule")[0].text == "Reminder"
    assert record.title == "Printer trouble"


async def test_gated_calls_degrade_where_the_platform_lacks_them() -> None:
    fake = FakeAdapter(capabilities=NOTHING)
    results: list[Any] = []

    async def body(ctx: TurnContext) -> None:
        t = ctx.thread
        results.extend([await t.react(ctx.message.ref, "eyes"),
                        await t.unreact(ctx.message.ref, "eyes"),
                        await t.set_status("busy"), await t.set_suggested_prompts(["a"]),
                        await t.schedule("later", post_at=SOON)])
        await t.set_title("still named in bot.threads")
        results.append(await ctx.bot.open_dm(ALICE))

    bot = create_bot(adapters=[fake])
    bot.on_mention(body)
    async with running(bot):
        await fake.emit_mention("hi")
        record = await bot.threads.get("C1:t1")
    assert results == [False, False, False, False, None, None]
    assert [s.kind for s in fake.sent] == []
    assert record.title == "still named in bot.threads"


async def test_a_failing_platform_call_degrades_too() -> None:
    class Refusing(FakeAdapter):
        async def add_reaction(self, *args: Any) -> None:
            raise RuntimeError("already_reacted")

    fake = Refusing()
    seen: list[bool] = []

    async def body(ctx: TurnContext) -> None:
        seen.append(await ctx.thread.react(ctx.message.ref, "eyes"))

    await _turn(fake, body)
    assert seen == [False]


async def test_misuse_is_named() -> None:
    fake = FakeAdapter()
    errors: list[str] = []

    async def body(ctx: TurnContext) -> None:
        for call in (lambda: ctx.thread.react(ctx.message.ref, "::"),
                     lambda: ctx.thread.schedule("x", post_at=datetime.datetime(2000, 1, 1)),
                     lambda: ctx.thread.set_suggested_prompts([("", "x")])):
            with pytest.raises(UserError) as info:
                await call()
            errors.append(str(info.value))

    await _turn(fake, body)
    assert "emoji name" in errors[0]
    assert "future" in errors[1]
    assert "title and a message" in errors[2]
    with pytest.raises(UserError, match="on_modal_submit"):
        create_bot(adapters=[fake]).on_modal_submit(lambda ctx: None)  # type: ignore[arg-type]


async def test_open_dm_gives_a_thread_that_posts() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    async with running(bot):
        thread = await bot.open_dm("U_BOB")
        assert thread is not None
        await thread.post("hello Bob")
    assert thread.conversation.is_direct
    assert [s.kind for s in fake.sent] == ["dm", "post"]
    assert fake.sent[1].conversation.channel == "D_U_BOB"


async def test_thread_started_handlers_see_the_context() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    seen: list[tuple[Any, bool]] = []

    @bot.on_thread_started
    async def greet(ctx: ThreadStartedContext) -> None:
        seen.append((dict(ctx.context), ctx.context_changed))
        if not ctx.context_changed:
            await ctx.thread.set_suggested_prompts(["Reset my password"])

    async with running(bot):
        await fake.emit_thread_started(context={"channel_id": "C9"})
        await fake.emit_thread_started(context={"channel_id": "C7"}, context_changed=True)
    assert seen == [({"channel_id": "C9"}, False), ({"channel_id": "C7"}, True)]
    assert [s.kind for s in fake.sent] == ["prompts"]


def ticket_modal() -> ui.Modal:
    return ui.Modal(
        "Tell us what broke.",
        ui.TextInput("title", "Title", max_length=80),
        ui.SelectInput("priority", "Priority", ["low", "high"], initial="low"),
        ui.Checkboxes("notify", "Notify", [("Team", "team"), ("Me", "me")]),
        ui.DatePicker("due", "Due", optional=True),
        title="New ticket", callback_id="new_ticket", metadata="from-command")


async def test_a_modal_opens_from_a_command_and_its_submission_is_validated() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    opened: list[bool] = []
    submitted: list[dict[str, Any]] = []
    closed: list[str] = []

    @bot.on_command("ticket")
    async def ticket(ctx: CommandContext) -> None:
        opened.append(await ctx.open_modal(ticket_modal()))

    @bot.on_modal_submit("new_ticket")
    async def create(ctx: ModalSubmitContext) -> None:
        if len(ctx.values["title"]) < 5:
            ctx.invalid("title", "A few more words, please.")
            return
        submitted.append({**ctx.values, "meta": ctx.metadata})
        await ctx.thread.post(f"Ticket: {ctx.values['title']}")

    @bot.on_modal_close("new_ticket")
    async def gone(ctx: ModalCloseContext) -> None:
        closed.append(ctx.callback_id)

    due = datetime.date(2026, 12, 24)
    async with running(bot):
        await fake.emit_command("/ticket")
        assert await fake.submit_modal({"title": "pc"}) == {
            "title": "A few more words, please."}
        assert await fake.submit_modal({"title": "Printer on fire", "priority": "high",
                                        "notify": ["team"], "due": due}) == {}
        await fake.close_modal()
    assert opened == [True]
    assert fake.of_kind("modal")[0].modal == ticket_modal()
    assert submitted == [{"title": "Printer on fire", "priority": "high", "notify": ["team"],
                          "due": due, "meta": "from-command"}]
    assert fake.texts() == ["Ticket: Printer on fire"]
    assert closed == ["new_ticket"]


async def test_a_modal_from_a_click_and_where_modals_are_missing() -> None:
    for capabilities, expected in ((FakeAdapter().capabilities, True), (NOTHING, False)):
        fake = FakeAdapter(capabilities=capabilities)
        bot = create_bot(adapters=[fake])
        opened: list[bool] = []

        async def open_form(ctx: InteractionContext, opened: list[bool] = opened) -> None:
            opened.append(await ctx.open_modal(ticket_modal()))

        async def body(ctx: TurnContext) -> None:
            await ctx.thread.post(ui.Button("Open form", on_click=open_form))

        bot.on_mention(body)
        async with running(bot):
            await fake.emit_mention("hi")
            await fake.click("Open form")
        assert opened == [expected]


def test_modal_inputs_need_names_and_a_callback_id() -> None:
    with pytest.raises(ValueError, match="non-empty name"):
        ui.TextInput("", "Title")
    with pytest.raises(ValueError, match="callback_id"):
        ui.Modal(ui.TextInput("a", "A"), title="T", callback_id="")
    with pytest.raises(ValueError, match="share a name"):
        ui.Modal(ui.TextInput("a", "A"), ui.DatePicker("a", "B"), title="T", callback_id="x")
    assert [i.name for i in ticket_modal().inputs] == ["title", "priority", "notify", "due"]


async def test_cancelling_a_pending_choice_closes_it_and_raises_in_the_waiter() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    outcome: list[str] = []

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        try:
            await ctx.thread.await_choice(ui.Message("Deploy?", ui.Button("Yes", value=1)))
        except ChoiceCancelled as exc:
            outcome.append(str(exc))

    async with running(bot):
        event = fake.message_event("deploy")
        task = bot.spawn(bot.dispatch(event))
        await bot.waiting_for_input("C1:t1")
        thread = bot.thread("fake", fake.conversation())
        [pending] = thread.pending_choices()
        assert await thread.cancel_choices("Deploy called off.", choice_id="other") == 0
        assert await thread.cancel_choices("Deploy called off.",
                                           choice_id=pending.id) == 1
        await asyncio.wait_for(task, 5)
        assert thread.pending_choices() == []
        with pytest.raises(LookupError):
            await fake.click("Yes")  # the card is closed: no button any more
    assert outcome == ["Deploy called off."]
    assert "Deploy called off." in fake.texts()[-1]


async def test_an_uncaught_cancel_is_logged_not_answered() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        await ctx.thread.await_choice(ui.Button("Yes", value=1))

    async with running(bot):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        await bot.waiting_for_input("C1:t1")
        await bot.thread("fake", fake.conversation()).cancel_choices()
        await asyncio.wait_for(task, 5)
    assert [s.kind for s in fake.sent] == ["post", "update"]  # the card, then closed


async def _turn(fake: FakeAdapter, body: Any) -> None:
    bot = create_bot(adapters=[fake])
    bot.on_mention(body)
    async with running(bot):
        await fake.emit_mention("hi")
