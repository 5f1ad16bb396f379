"""``Runtime``: what a bot's engines run on, built once by ``Bot`` and handed to them
explicitly (the facade objects, ``Thread``, the click router and the dispatch pipeline,
receive it; engines get only the parts they use). Nothing reaches into the ``Bot`` for
these: a module that needs one is passed the runtime."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botkit._actions import ActionRegistry
from botkit._registry import HandlerRegistry
from botkit._turns import TurnGate
from botkit.adapter import PlatformAdapter
from botkit.choices import Choices
from botkit.store.base import StateStore
from botkit.threads.service import Threads

if TYPE_CHECKING:
    from botkit._dispatch import ErrorPolicy
    from botkit.context import InterruptContext

__all__ = ["Runtime"]


@dataclass(eq=False, kw_only=True)
class Runtime:
    threads: Threads
    """Thread records; also the owner of the store (``threads.store``)."""
    registry: HandlerRegistry
    actions: ActionRegistry
    """Click handlers bound to posted controls (in memory, and durable ones in the store)."""
    choices: Choices
    turns: TurnGate
    errors: ErrorPolicy
    """What a failing handler leads to (``on_error`` handlers, else a notice)."""
    adapter_for: Callable[[str], PlatformAdapter | None]
    """The bot's adapter for a platform name (None: the bot has none)."""
    max_iterations: int
    interrupt_event_names: frozenset[str]
    dedup_ttl: float

    @property
    def store(self) -> StateStore:
        return self.threads.store

    async def handle_interrupt(self, ctx: InterruptContext) -> bool:
        """Run the ``on_interrupt`` handler for ``ctx.event_name`` (False: none matches)."""
        handler = self.registry.interrupt(ctx.event_name)
        if handler is None:
            return False
        await self.errors.run(handler, ctx, ctx.thread)
        return True
