"""``Runtime``: what a bot's engines run on, built once by ``Bot`` and handed to them
explicitly (the facade objects, ``Thread`` and the dispatch pipeline, read it; engines get
only the parts they use)."""

from __future__ import annotations

from dataclasses import dataclass

from botkit._actions import ActionRegistry
from botkit._registry import HandlerRegistry
from botkit._turns import TurnGate
from botkit.choices import Choices
from botkit.store.base import StateStore
from botkit.threads.service import Threads

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
    max_iterations: int
    interrupt_event_names: frozenset[str]
    dedup_ttl: float

    @property
    def store(self) -> StateStore:
        return self.threads.store
