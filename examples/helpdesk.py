"""A helpdesk bot: streams answers, files tickets after approval, finds colleagues,
posts a report file, and asks before resetting a password. Where the platform has them
(Slack), it also offers suggested prompts when someone opens its assistant pane, shows a
status while it looks things up, marks a filed ticket's request with a reaction, and pages
the on-call engineer when someone reacts to a message with :sos:.

Try it with no credentials:

    scripts/dev run examples/helpdesk.py

then type "my printer is broken", "who is bob", "send the report", "reset my password",
or "what did I say" (it remembers across restarts: the transcript is kept on disk).
The agent here is scripted (offline and deterministic); point the same bot at a real
agent by passing another ``agent=`` to ``create_bot``.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Literal

from botkit import (
    InteractionContext,
    InterruptContext,
    ReactionContext,
    ThreadStartedContext,
    ToolContext,
    TurnContext,
    create_bot,
    ui,
)
from botkit.testing import CallTool, Fail, Interrupt, Rule, Say, ScriptContext, ScriptedAgent
from botkit_console import ConsoleAdapter

HERE = Path(__file__).parent
TICKETS: list[dict[str, str]] = []
_numbers = itertools.count(101)
PROMPTS = [("Broken printer", "my printer is broken"), ("Find someone", "who is bob"),
           ("Weekly report", "send the report"), ("Password", "reset my password")]

def _recall(script: ScriptContext) -> str:
    """Answer from the conversation history the agent was given (rebuilt every turn)."""
    said = [m.content for m in script.run_input.messages
            if m.role == "user" and isinstance(m.content, str)][:-1]
    return f"You first said: {said[0]!r}." if said else "This is the start of our conversation."


agent = ScriptedAgent(
    [
        Rule(r"\b(broken|not working|ticket|issue|fails?)\b",
             Say("Sorry to hear that. I'll open a ticket so the team can look at it.",
                 delay=0.01),
             CallTool("create_ticket", lambda s: {"title": s.user_text[:80]}),
             Say("{result}")),
        Rule(r"\bwho is ([\w.@-]+)",
             CallTool("find_colleague", lambda s: {"query": s.match.group(1) if s.match else ""}),
             Say("{result}")),
        Rule(r"\breport\b",
             CallTool("send_report"),
             Say("{result}")),
        Rule(r"\b(reset|password)\b",
             Interrupt({"action": "reset_password",
                        "question": "Reset the password for your account?"}),
             Say("Password reset: {resume}.")),
        Rule(r"\bescalate\b",
             Interrupt({"question": "Page the on-call engineer?"}, legacy=True),
             Say("Escalation: {resume}.")),
        Rule(r"\b(crash|explode)\b", Fail("the model is overloaded, try again in a minute")),
        Rule(r"what did i (say|ask)", Say(_recall)),
    ],
    default=Say("Hi! I'm the helpdesk bot. I can open a ticket (\"my printer is broken\"), "
                "find a colleague (\"who is bob\"), send the weekly report (\"send the "
                "report\") or reset your password (\"reset my password\").", delay=0.01),
)

bot = create_bot(
    name="helpdesk",
    agent=agent,
    adapters=[ConsoleAdapter(users_file=HERE / "helpdesk_users.json")],
    context=[("Company", "Acme Corp; office hours 9-17 CET")],
)


@bot.on_mention
async def answer(ctx: TurnContext) -> None:
    await ctx.thread.run_agent()


@bot.on_thread_started
async def greet(ctx: ThreadStartedContext) -> None:
    """Someone opened the assistant pane (Slack): offer what the bot can do."""
    if not ctx.context_changed:
        await ctx.thread.set_suggested_prompts(PROMPTS, title="Try one of these")


@bot.on_reaction("sos")
async def page_on_call(ctx: ReactionContext) -> None:
    """:sos: on a message pages the on-call engineer (once: removing it does nothing)."""
    if ctx.added:
        who = ctx.user.display_name if ctx.user else "Someone"
        await ctx.thread.post(f"{who} asked for help here: paging the on-call engineer.")


@bot.tool
async def create_ticket(
    title: str, ctx: ToolContext, priority: Literal["low", "normal", "high"] = "normal"
) -> str:
    """Open a helpdesk ticket, after the requester approves it."""
    requester = ctx.user.display_name if ctx.user else "someone"
    card = ui.Message(
        ui.Header("New ticket"),
        ui.Fields(ui.Field(title, label="Title"), ui.Field(priority, label="Priority"),
                  ui.Field(requester, label="Requester")),
        ui.Actions(ui.Button("Open it", value=True, style="primary"),
                   ui.Button("Cancel", value=False, style="danger")),
    )
    allowed = [ctx.user] if ctx.user else None
    if not await ctx.thread.await_choice(card, allowed_users=allowed, timeout=3600):
        return "The requester cancelled; no ticket was opened."
    number = f"HD-{next(_numbers)}"
    TICKETS.append({"id": number, "title": title, "priority": priority, "by": requester})
    if ctx.message is not None:  # mark the request as ticketed, where reactions exist
        await ctx.thread.react(ctx.message.ref, "ticket")
    return f"Ticket {number} is open: {title!r} ({priority} priority)."


@bot.tool
async def find_colleague(query: str, ctx: ToolContext) -> str:
    """Look a colleague up by name, handle or email."""
    await ctx.thread.set_status("is looking in the directory…")
    person = await ctx.thread.lookup_user(query)
    if person is None:
        return f"I couldn't find anyone matching {query!r}."
    return f"{person.display_name} (@{person.handle}) - {person.email or 'no email'}"


@bot.tool
async def send_report(ctx: ToolContext) -> str:
    """Post this week's ticket report as a CSV file."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["id", "title", "priority", "by"])
    writer.writeheader()
    writer.writerows(TICKETS)
    result = await ctx.thread.post_file(buffer.getvalue().encode(), "helpdesk-report.csv",
                                        title="Weekly helpdesk report")
    if not result.ok:
        return f"I couldn't post the report here: {result.error}"
    count = len(TICKETS)
    return f"Here is the weekly report ({count} ticket{'' if count == 1 else 's'})."


async def _resume(ctx: InteractionContext) -> None:
    """Resume the run with the answer, but only for the person who asked: the requester's id
    travels in the button's value (set by the bot, so a click cannot change it)."""
    value = ctx.value if isinstance(ctx.value, dict) else {}
    requester = value.get("for")
    if requester is not None and (ctx.user is None or ctx.user.id != requester):
        if ctx.user is not None:
            await ctx.thread.post_ephemeral(
                ctx.user, "Only the person who asked can approve this.")
        return
    await ctx.thread.resume(value.get("answer", ctx.value))


@bot.on_interrupt("*")
async def ask_first(ctx: InterruptContext) -> None:
    """Show the agent's question with Approve/Deny buttons; a click resumes the run."""
    payload = ctx.payload if isinstance(ctx.payload, dict) else {}
    question = payload.get("question") or payload.get("message") or "The agent needs approval."
    # Agents that approve tool calls (AG-UI 1.0, e.g. pydantic-ai) want {"approved": bool};
    # others take any value.
    wants_object = any("approved" in (i.get("responseSchema") or {}).get("properties", {})
                       for i in ctx.interrupts)
    yes, no = ({"approved": True}, {"approved": False}) if wants_object else (
        "approved", "declined")
    requester = ctx.user.id if ctx.user is not None else None
    await ctx.thread.post(ui.Message(
        ui.Section(str(question)),
        ui.Actions(
            ui.Button("Approve", value={"answer": yes, "for": requester}, style="primary",
                      on_click=_resume),
            ui.Button("Deny", value={"answer": no, "for": requester}, style="danger",
                      on_click=_resume)),
    ))
