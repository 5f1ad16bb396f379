"""How a run ended: a value (layer 0 in docs/architecture.md), so the adapter contract can
hand it to adapters (``PlatformAdapter.run_ended``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from botkit.types import MessageRef

__all__ = ["RunResult", "RunStatus"]

RunStatus = Literal["completed", "interrupted", "failed", "max_iterations"]


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """How a ``run_agent`` or ``resume`` ended."""

    status: RunStatus
    text: str = ""
    """All assistant text shown in the conversation during the run."""
    replies: tuple[MessageRef, ...] = ()
    error: str | None = None
    iterations: int = 0
    run_id: str | None = None
    """The run's id in the thread's run history (``bot.threads.runs``)."""
    thread_id: str | None = None
    """The conversation it ran in."""
    interrupts: tuple[Mapping[str, Any], ...] = ()
    """When ``interrupted``: what waits for an answer, as AG-UI ``Interrupt`` objects (wire
    keys: ``id``, ``reason``, ``message``, ``metadata`` …). The legacy ``CUSTOM`` interrupt
    has no id: it is given ``"<run_id>:interrupt"``, its name as ``reason`` and its value as
    ``metadata.payload``."""
