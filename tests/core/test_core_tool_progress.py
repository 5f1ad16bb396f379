"""Bot tools show as done: the reply stream that announced a call is closed before the bot
runs it, so the run loop tells the adapter when each call finished (``show_progress``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from botkit import Bot, ToolContext, ToolProgress, TurnContext, create_bot
from botkit.testing import CallTool, FakeAdapter, Rule, Say, ScriptedAgent, running
from botkit.types import Conversation


def helpdesk(fake: FakeAdapter, *steps: Any) -> tuple[Bot, list[str]]:
    agent = ScriptedAgent([Rule("go", *steps)])
    bot = create_bot(adapters=[fake], agent=agent)
    order: list[str] = []

    @bot.tool
    async def find_colleague(query: str, ctx: ToolContext) -> str:
        """Look a colleague up."""
        order.append(f"ran with {len(fake.tool_progress())} rows shown")
        return f"{query} is in room 4"

    @bot.tool
    def explode() -> str:
        """Always fails."""
        raise ValueError("the fuse blew")

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()
    return bot, order


async def test_a_bot_tool_shows_as_done_after_it_ran() -> None:
    fake = FakeAdapter()
    bot, order = helpdesk(fake, Say("Looking."), CallTool("find_colleague", {"query": "bob"}),
                          Say("{result}"))
    async with running(bot):
        await fake.emit_mention("go")
    started, done = fake.tool_progress()
    assert started == ToolProgress(tool_call_id=started.tool_call_id, name="find_colleague")
    assert done == ToolProgress(tool_call_id=started.tool_call_id, name="find_colleague",
                                done=True)
    assert order == ["ran with 1 rows shown"]  # done comes after the call, not before
    assert fake.texts() == ["Looking.", "bob is in room 4"]


async def test_failing_and_unknown_tools_show_their_errors() -> None:
    fake = FakeAdapter()
    bot, _ = helpdesk(fake, CallTool("explode"), CallTool("no_such_tool"), Say("after"))
    async with running(bot):
        await fake.emit_mention("go")
    done = [p for p in fake.tool_progress() if p.done]
    assert [(p.name, p.error) for p in done] == [
        ("explode", "explode failed: ValueError: the fuse blew"),
        ("no_such_tool", "unknown tool 'no_such_tool'; available tools: explode, "
                         "find_colleague")]
    assert fake.texts() == ["after"]


class ProgressFails(FakeAdapter):
    async def show_progress(self, conversation: Conversation, progress: ToolProgress) -> None:
        raise RuntimeError("the platform is down")


async def test_an_adapter_failing_to_show_progress_does_not_stop_the_run(
        caplog: pytest.LogCaptureFixture) -> None:
    fake = ProgressFails()
    bot, _ = helpdesk(fake, CallTool("find_colleague", {"query": "ann"}), Say("{result}"))
    with caplog.at_level(logging.ERROR, logger="botkit"):
        async with running(bot):
            await fake.emit_mention("go")
    assert fake.texts() == ["ann is in room 4"]
    assert "could not show tool progress" in caplog.text
