"""A bot for the console progress tests: its agent thinks a moment before answering and
uses two bot tools, one of which fails."""

from __future__ import annotations

from botkit import TurnContext, create_bot
from botkit.testing import CallTool, Rule, Say, ScriptedAgent

agent = ScriptedAgent(
    [
        Rule(r"room of (\w+)", CallTool("find_room", lambda s: {"name": s.match[1] if s.match
                                                                 else ""}),
             Say("{result}", delay=0.05)),
        Rule(r"\bfuse\b", CallTool("blow_fuse"), Say("The fuse tool answered.")),
    ],
    default=Say("Ask me for someone's room.", delay=0.2),
)
bot = create_bot(name="rooms", agent=agent)


@bot.tool
def find_room(name: str) -> str:
    """Where someone sits."""
    return f"{name.title()} is in room 4."


@bot.tool
def blow_fuse() -> str:
    """Always fails."""
    raise RuntimeError("the fuse blew [red]twice[/]")


@bot.on_mention
async def answer(ctx: TurnContext) -> None:
    await ctx.thread.run_agent()
