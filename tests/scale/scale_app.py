"""The bot the scale-out tests run in several processes. Each process names itself
(``SCALE_REPLICA``) in what it says, so a test can tell which replica asked, answered,
finished a tool call or resumed a run."""

from __future__ import annotations

import os

from botkit import InteractionContext, InterruptContext, ToolContext, TurnContext, create_bot, ui
from botkit.testing import CallTool, Interrupt, Rule, Say, ScriptContext, ScriptedAgent

REPLICA = os.environ.get("SCALE_REPLICA", "?")


def _resumed(script: ScriptContext) -> str:
    return f"Password reset: {script.resume} (resumed by replica {REPLICA})."


agent = ScriptedAgent([
    Rule(r"\bticket\b", CallTool("open_ticket", {"title": "printer"}), Say("{result}")),
    Rule(r"\breset\b", Interrupt({"question": "Reset your password?"}), Say(_resumed)),
], default=Say(lambda s: f"pong from {REPLICA}"))

bot = create_bot(name="scale", agent=agent)


@bot.on_mention
async def answer(ctx: TurnContext) -> None:
    await ctx.thread.run_agent()


@bot.tool
async def open_ticket(title: str, ctx: ToolContext) -> str:
    """Open a ticket once the requester agrees."""
    card = ui.Message(ui.Header(f"Open a ticket: {title}?"),
                      ui.Context(f"asked by replica {REPLICA}"),
                      ui.Actions(ui.Button("Open it", value=True, style="primary"),
                                 ui.Button("Cancel", value=False)))
    allowed = [ctx.user] if ctx.user else None
    if await ctx.thread.await_choice(card, allowed_users=allowed, timeout=600):
        return f"Ticket {title!r} opened by replica {REPLICA}."
    return f"Cancelled on replica {REPLICA}."


async def _resume(ctx: InteractionContext) -> None:
    await ctx.thread.resume(ctx.value)


@bot.on_interrupt("*")
async def ask_first(ctx: InterruptContext) -> None:
    await ctx.thread.post(ui.Message(
        ui.Section(str(ctx.payload["question"])), ui.Context(f"asked by replica {REPLICA}"),
        ui.Actions(ui.Button("Approve", value="approved", on_click=_resume),
                   ui.Button("Deny", value="declined", on_click=_resume))))
