"""The inbox's records: what an entry holds, why an event got an apology, a drain's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from botkit.store.streams import StreamId

__all__ = ["Apology", "DrainSummary", "Envelope", "InboxStats"]


@dataclass(frozen=True, slots=True)
class Envelope:
    """One inbox entry: the encoded event, its conversation key and when it arrived
    (wall-clock seconds, so the age means the same in every process)."""

    conversation: str
    received: float
    event: Any

    def to_data(self) -> dict[str, Any]:
        return {"c": self.conversation, "t": self.received, "e": self.event}

    @classmethod
    def from_data(cls, data: Any) -> Envelope:
        if not isinstance(data, dict) or not isinstance(data.get("c"), str) or \
                not isinstance(data.get("t"), int | float) or "e" not in data:
            raise ValueError("not an inbox entry")
        return cls(data["c"], float(data["t"]), data["e"])


@dataclass(frozen=True, slots=True)
class Apology:
    """Why an event is answered with an apology instead of a run: it waited longer than
    ``max_age`` (``too_old``), or it was handed out ``max_deliveries`` times without
    finishing (``gave_up``: each attempt ended with its process)."""

    reason: Literal["too_old", "gave_up"]
    age: float
    deliveries: int
    entry: StreamId


@dataclass(frozen=True, slots=True)
class DrainSummary:
    """What a graceful drain did: ``finished`` turns that were running completed,
    ``handed_over`` events were left pending for the next process (``cut`` of them were
    running when the deadline passed)."""

    finished: int
    handed_over: int
    cut: int = 0

    def __str__(self) -> str:
        return f"finished {self.finished}, handed over {self.handed_over}"


@dataclass(frozen=True, slots=True)
class InboxStats:
    """Counters since the inbox started."""

    appended: int
    handled: int
    apologised: int
    failed: int
    claimed: int
    held: int
    running: int
