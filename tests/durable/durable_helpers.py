"""A small agent bot whose approvals must survive restarts and cross processes: a tool that
waits for a click (``open_ticket``), a tool that asks twice (``deploy``), and an interrupt
answered by a module-level ``on_click`` (``resume_run``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botkit import (
    Bot,
    InteractionContext,
    InterruptContext,
    StateStore,
    ToolContext,
    TurnContext,
    create_bot,
    ui,
)
from botkit.testing import CallTool, FakeAdapter, Interrupt, Rule, Say, ScriptedAgent, Sent
from botkit.ui.binding import iter_controls

PREPARED: list[str] = []
"""What tools did before their first ``await_choice`` (a replay does it again)."""


async def open_ticket(title: str, ctx: ToolContext, timeout: float = 3600) -> str:
    """Open a ticket once the requester agrees."""
    PREPARED.append(title)
    card = ui.Message(ui.Header(f"Open a ticket: {title}?"),
                      ui.Actions(ui.Button("Open it", value=True, style="primary"),
                                 ui.Button("Cancel", value=False)))
    allowed = [ctx.user] if ctx.user else None
    if await ctx.thread.await_choice(card, allowed_users=allowed, timeout=timeout):
        return f"ticket {title!r} is open"
    return "cancelled"


async def deploy(env: str, ctx: ToolContext) -> str:
    """Deploy after two confirmations."""
    PREPARED.append(env)
    first = await ctx.thread.await_choice(ui.Message(
        f"Deploy to {env}?", ui.Actions(ui.Button("Yes", value="yes"), ui.Button("No"))))
    second = await ctx.thread.await_choice(ui.Message(
        "Really?", ui.Select([("Right now", "now"), ("Tonight", "tonight")])))
    return f"deploy {env}: {first}, {second}"


def agent() -> ScriptedAgent:
    return ScriptedAgent([
        Rule(r"ticket", CallTool("open_ticket", {"title": "printer"}), Say("Done: {result}")),
        Rule(r"deploy", CallTool("deploy", {"env": "prod"}), Say("{result}")),
        Rule(r"reset", Interrupt({"question": "Reset your password?"}),
             Say("Password reset: {resume}.")),
    ], default=Say("hi"))


async def resume_run(ctx: InteractionContext) -> None:
    await ctx.thread.resume(ctx.value)


async def ask_first(ctx: InterruptContext) -> None:
    await ctx.thread.post(ui.Message(
        ui.Section(str(ctx.payload["question"])),
        ui.Actions(ui.Button("Approve", value="approved", on_click=resume_run),
                   ui.Button("Deny", value="declined", on_click=resume_run))))


async def answer(ctx: TurnContext) -> None:
    await ctx.thread.run_agent()


def make_bot(fake: FakeAdapter, store: StateStore, *, tools: Iterable[Any] = (open_ticket, deploy),
             name: str = "bot") -> Bot:
    bot = create_bot(adapters=[fake], agent=agent(), store=store, tools=list(tools), name=name)
    bot.on_mention(answer)
    bot.on_interrupt("*")(ask_first)
    return bot


def cards(fake: FakeAdapter) -> list[Sent]:
    """Posted messages with controls, oldest first."""
    return [s for s in fake.sent if s.kind == "post" and s.message is not None
            and list(iter_controls(s.message))]


def action(sent: Sent, label: str) -> tuple[str, Any]:
    """The action id and wire value of the control labelled ``label`` on ``sent``."""
    assert sent.message is not None
    for control in iter_controls(sent.message):
        if isinstance(control, ui.Button) and control.label == label:
            assert control.action_id is not None
            return control.action_id, control.label if control.value is None else control.value
        if isinstance(control, ui.Select):
            assert control.action_id is not None
            return control.action_id, next(o.value for o in control.options if o.label == label)
    raise LookupError(label)


def tool_records(fake: FakeAdapter, conversation: str = "C1:t1") -> list[dict[str, Any]]:
    """The agent messages the bot recorded on the platform (tool calls and results)."""
    return [dict(m) for item in fake.history.get(conversation, ()) for m in item.agent_messages]
