"""What you need to test a botkit bot: the fakes botkit's own tests use.

    from botkit.testing import FakeAdapter, ScriptedAgent, Rule, Say, running

    async def test_greets():
        fake = FakeAdapter()
        bot = create_bot(adapters=[fake], agent=ScriptedAgent(default=Say("hi!")))
        bot.on_mention(lambda ctx: ctx.thread.run_agent())
        async with running(bot):
            await fake.emit_mention("hello")
        assert fake.texts() == ["hi!"]

The pytest plugin (loaded automatically) adds a ``fake_adapter`` fixture. Check your own
``StateStore`` with ``test_my_store = store_conformance_tests(MyStore)`` (or
``await check_store(MyStore)``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from botkit._lazy import lazy_exports
from botkit.agents.scripted import (
    CallTool,
    Fail,
    Interrupt,
    Rule,
    Say,
    ScriptContext,
    ScriptedAgent,
    ServerTool,
    Truncate,
)
from botkit.bot import Bot

if TYPE_CHECKING:
    from botkit.testing.agui_server import serve_ag_ui
    from botkit.testing.fake_adapter import (
        ALICE,
        BOB,
        BOT,
        FULL_CAPABILITIES,
        FakeAdapter,
        Sent,
    )
    from botkit.testing.store_conformance import check_store, store_conformance_tests

# loaded when first named: a bot that imports ScriptedAgent from here (the helpdesk example)
# does not carry the fake adapter, the conformance suites and the AG-UI test server
# (startup memory)
_FAKES = "botkit.testing.fake_adapter"
_LAZY = {
    "ALICE": _FAKES,
    "BOB": _FAKES,
    "BOT": _FAKES,
    "FULL_CAPABILITIES": _FAKES,
    "FakeAdapter": _FAKES,
    "Sent": _FAKES,
    "check_store": "botkit.testing.store_conformance",
    "serve_ag_ui": "botkit.testing.agui_server",
    "store_conformance_tests": "botkit.testing.store_conformance",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "ALICE",
    "BOB",
    "BOT",
    "FULL_CAPABILITIES",
    "CallTool",
    "Fail",
    "FakeAdapter",
    "Interrupt",
    "Rule",
    "Say",
    "ScriptContext",
    "ScriptedAgent",
    "Sent",
    "ServerTool",
    "Truncate",
    "check_store",
    "running",
    "serve_ag_ui",
    "store_conformance_tests",
]


@contextlib.asynccontextmanager
async def running(bot: Bot) -> AsyncIterator[Bot]:
    """Start ``bot`` for the duration of the block, then stop it (waiting for its work)."""
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
