"""How a run ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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
