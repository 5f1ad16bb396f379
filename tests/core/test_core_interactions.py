"""Clicks: on_click binding to opaque content-stable ids, on_interaction, expired buttons."""

from __future__ import annotations

import functools
import json
from typing import Any

from botkit import Capabilities, InteractionContext, TurnContext, create_bot, ui
from botkit.testing import ALICE, BOB, FULL_CAPABILITIES, FakeAdapter, Sent, running
from botkit.ui.binding import bind_handlers, iter_controls

EXPIRED = "This button has expired or was already used."


def controls(sent: Sent) -> list[ui.Control]:
    assert sent.message is not None
    return list(iter_controls(sent.message))


def action_id(sent: Sent, index: int = 0) -> str:
    control_id = controls(sent)[index].action_id
    assert control_id is not None
    return control_id


async def on_approve(ctx: InteractionContext) -> None:
    await ctx.thread.post(f"approved {ctx.action.value['ticket']} by {ctx.user.display_name}")


def ticket_card(ticket: int) -> ui.Message:
    return ui.Message(
        ui.Header(f"Ticket {ticket}"),
        ui.Actions(ui.Button("Approve", value={"ticket": ticket}, on_click=on_approve,
                             style="primary"),
                   ui.Button("Docs", url="https://example.test/docs")),
    )


# -- on_click --------------------------------------------------------------------------


async def test_on_click_handler_receives_the_value_the_user_and_the_message() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    got: list[InteractionContext] = []

    async def approve(ctx: InteractionContext) -> None:
        got.append(ctx)
        await ctx.thread.update(ctx.message, "Approved ✓")  # type: ignore[arg-type]

    @bot.on_mention
    async def show(ctx: TurnContext) -> None:
        await ctx.thread.post(ui.Message(
            "Ship it?", ui.Button("Approve", value={"ticket": 7, "tags": ("a", "b")},
                                  on_click=approve)))

    async with running(bot):
        await fake.emit_mention("card please")
        card = fake.sent[0]
        await fake.click("Approve", user=BOB)
    (ctx,) = got
    assert ctx.action.id == action_id(card)
    assert ctx.action.value == {"ticket": 7, "tags": ["a", "b"]}  # through JSON, as on a platform
    assert ctx.value == ctx.action.value
    assert ctx.user == BOB
    assert ctx.message == card.ref
    assert ctx.thread.id == "C1:t1"
    assert ctx.event.action_id == ctx.action.id
    assert fake.sent[-1].kind == "update"
    assert fake.sent[-1].text == "Approved ✓"


async def test_action_ids_are_opaque_and_only_id_and_value_are_needed() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    bot.on_mention(lambda ctx: ctx.thread.post(ticket_card(42)))
    async with running(bot):
        await fake.emit_mention("show")
        card = fake.sent[0]
        assert len(controls(card)) == 1  # the link button is not a click control
        aid = action_id(card)
        assert aid.startswith("bk:")
        assert len(aid) <= 64
        for secret in ("Approve", "approve", "ticket", "C1:t1"):
            assert secret not in aid
        # a click that carries nothing but the id and the JSON value reaches the handler
        await fake.emit_interaction(aid, json.loads(json.dumps({"ticket": 42})), user=BOB)
    assert fake.texts()[-1] == "approved 42 by Bob"


async def test_link_buttons_are_not_bound() -> None:
    message, handlers = bind_handlers(ticket_card(1), scope="C1:t1")
    buttons = [e for b in message.blocks if isinstance(b, ui.Actions) for e in b.elements]
    approve, docs = buttons
    assert approve.action_id is not None
    assert docs.action_id is None
    assert docs.url
    assert list(handlers) == [approve.action_id]
    assert [c.action_id for c in iter_controls(message)] == [approve.action_id]


def test_same_card_twice_gets_the_same_ids() -> None:
    first, handlers = bind_handlers(ticket_card(1), scope="C1:t1")
    again, _ = bind_handlers(ticket_card(1), scope="C1:t1")
    assert first == again
    assert list(handlers.values()) == [on_approve]


def test_ids_differ_by_conversation_value_label_position_and_handler() -> None:
    def ids(message: ui.Message, scope: str = "C1:t1") -> list[str | None]:
        bound, _ = bind_handlers(message, scope=scope)
        return [c.action_id for c in iter_controls(bound)]

    async def other(ctx: InteractionContext) -> None: ...

    base = ids(ui.Message(ui.Button("Go", value=1, on_click=on_approve)))
    variants = [
        ids(ui.Message(ui.Button("Go", value=1, on_click=on_approve)), scope="C2:t1"),
        ids(ui.Message(ui.Button("Go", value=2, on_click=on_approve))),
        ids(ui.Message(ui.Button("Run", value=1, on_click=on_approve))),
        ids(ui.Message(ui.Button("Go", value=1, on_click=other))),
        ids(ui.Message(ui.Button("x", on_click=other), ui.Button("Go", value=1,
                                                                  on_click=on_approve)))[1:],
    ]
    assert all(v != base for v in variants)
    two = ids(ui.Message(ui.Actions(ui.Button("A", on_click=on_approve),
                                    ui.Button("A", on_click=on_approve))))
    assert two[0] != two[1]  # identical buttons in one row still get distinct ids


async def test_look_alike_buttons_acting_on_different_data_do_not_share_an_id() -> None:
    """Closures (and default args, partials) carry the data a click acts on: two cards
    whose buttons look the same must each run their own handler."""
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    approved: list[object] = []

    def approve(ticket: int, ctx: InteractionContext) -> None:
        approved.append(("partial", ticket))

    @bot.on_mention
    async def show(ctx: TurnContext) -> None:
        for ticket in (1, 2):
            def closure(c: InteractionContext, t: int = ticket) -> None:
                approved.append(("default", t))

            await ctx.thread.post(ui.Message(
                f"Ticket {ticket}",
                ui.Actions(ui.Button("Approve", on_click=closure),
                           ui.Button("OK", on_click=functools.partial(approve, ticket)))))

    async with running(bot):
        await fake.emit_mention("two cards")
        first, second = fake.sent
        assert action_id(first, 0) != action_id(second, 0)
        assert action_id(first, 1) != action_id(second, 1)
        await fake.click("Approve", message=first.ref)
        await fake.click("OK", message=first.ref)
        await fake.click("Approve", message=second.ref)
    assert approved == [("default", 1), ("partial", 1), ("default", 2)]

    # ... while the same data renders to the same id again
    def card(t: int) -> ui.Message:
        return ui.Message(ui.Button("Approve", on_click=lambda c: approved.append(t)))

    one, _ = bind_handlers(card(5), scope="s")
    again, _ = bind_handlers(card(5), scope="s")
    other, _ = bind_handlers(card(6), scope="s")
    ids = [next(iter_controls(m)).action_id for m in (one, again, other)]
    assert ids[0] == ids[1] != ids[2]


async def test_select_on_select_receives_the_picked_value() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    picked: list[Any] = []

    async def on_pick(ctx: InteractionContext) -> None:
        picked.append(ctx.action.value)

    bot.on_mention(lambda ctx: ctx.thread.post(ui.Message(
        ui.Select([("High", "p1"), ("Low", "p3")], placeholder="Priority", on_select=on_pick))))
    async with running(bot):
        await fake.emit_mention("priority?")
        await fake.emit_interaction(action_id(fake.sent[0]), "p3")
    assert picked == ["p3"]


# -- explicit on_interaction -----------------------------------------------------------


async def test_on_interaction_handles_an_explicit_action_id() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    got: list[InteractionContext] = []

    @bot.on_interaction("deploy")
    async def deploy(ctx: InteractionContext) -> None:
        got.append(ctx)

    bot.on_mention(lambda ctx: ctx.thread.post(
        ui.Message(ui.Button("Deploy", value="prod", action_id="deploy"))))
    async with running(bot):
        await fake.emit_mention("deploy?")
        assert action_id(fake.sent[0]) == "deploy"
        await fake.click("Deploy", user=BOB)
    (ctx,) = got
    assert (ctx.action.id, ctx.action.value, ctx.user) == ("deploy", "prod", BOB)


async def test_on_interaction_is_checked_before_bound_handlers() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    calls: list[str] = []
    bot.on_interaction("go")(lambda ctx: calls.append("explicit"))
    bot.on_mention(lambda ctx: ctx.thread.post(
        ui.Message(ui.Button("Go", action_id="go", on_click=lambda c: calls.append("bound")))))
    async with running(bot):
        await fake.emit_mention("x")
        await fake.click("Go")
    assert calls == ["explicit"]


async def test_a_button_without_handler_keeps_its_explicit_id_when_posted() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    bot.on_mention(lambda ctx: ctx.thread.post(ui.Message(ui.Button("Plain", value=1))))
    async with running(bot):
        await fake.emit_mention("x")
    assert controls(fake.sent[0])[0].action_id is None


# -- unknown / expired -----------------------------------------------------------------


async def test_unknown_action_is_answered_privately_to_the_clicker() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    async with running(bot):
        await fake.emit_interaction("bk:0123456789abcdef", "x", user=BOB)
    (sent,) = fake.sent
    assert sent.kind == "ephemeral"
    assert sent.user == BOB
    assert sent.text == EXPIRED


async def test_unknown_action_without_ephemeral_gets_a_notice_in_the_conversation() -> None:
    caps = Capabilities(**{**FULL_CAPABILITIES.__dict__, "ephemeral": False})
    fake = FakeAdapter(capabilities=caps)
    bot = create_bot(adapters=[fake])
    async with running(bot):
        await fake.emit_interaction("bk:gone", None)
    (sent,) = fake.sent
    assert sent.kind == "post"
    assert sent.message is not None
    assert sent.message.status
    assert EXPIRED in sent.text


async def test_a_button_from_before_a_restart_is_answered_as_expired() -> None:
    fake = FakeAdapter()
    first = create_bot(adapters=[fake])
    first.on_mention(lambda ctx: ctx.thread.post(ticket_card(3)))
    async with running(first):
        await fake.emit_mention("card")
    restarted = create_bot(adapters=[fake])
    async with running(restarted):
        await fake.click("Approve", user=ALICE)
    assert fake.sent[-1].kind == "ephemeral"
    assert fake.sent[-1].text == EXPIRED
    assert "approved" not in " ".join(fake.texts())


async def test_a_raising_click_handler_is_answered_and_the_bot_keeps_serving() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])

    def explode(ctx: InteractionContext) -> None:
        raise KeyError("missing")

    bot.on_mention(lambda ctx: ctx.thread.post(ui.Message(
        ui.Actions(ui.Button("Explode", on_click=explode),
                   ui.Button("Approve", value={"ticket": 1}, on_click=on_approve)))))
    async with running(bot):
        await fake.emit_mention("x")
        await fake.click("Explode")
        await fake.click("Approve")
    assert "something went wrong" in fake.texts()[-2]
    assert fake.texts()[-1] == "approved 1 by Alice"


def test_bound_handlers_are_bounded() -> None:
    from botkit._actions import ActionRegistry

    async def handler(ctx: object) -> None:
        return None

    registry = ActionRegistry(limit=3)
    registry.update({f"bk:{i}": handler for i in range(5)})
    assert len(registry) == 3
    assert "bk:0" not in registry
    assert "bk:1" not in registry
    registry.update({"bk:2": handler})  # re-binding refreshes an id
    registry.update({"bk:9": handler})
    assert "bk:2" in registry
    assert "bk:3" not in registry
