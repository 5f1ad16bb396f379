"""The inbox's records: what an entry holds, why an event got an apology, a drain's outcome."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from botkit.store.streams import StreamId

__all__ = ["Apology", "DrainSummary", "Envelope", "InboxConfig", "InboxStats"]


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
    running when the deadline passed), ``closed_streams`` replies were ended with a notice."""

    finished: int
    handed_over: int
    cut: int = 0
    closed_streams: int = 0

    def __str__(self) -> str:
        return (f"finished {self.finished}, handed over {self.handed_over}, "
                f"closed {self.closed_streams} streams")


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


@dataclass(frozen=True, kw_only=True)
class InboxConfig:
    """``create_bot(inbox=InboxConfig(...))``: the durable inbox and graceful drain.

    ``drain_deadline``: seconds running turns get to finish on stop. ``max_age``: an event
    older than this when its turn would start gets an apology instead. ``max_deliveries``:
    after this many attempts (each ended with its process) an event gets an apology.
    ``claim_after``: seconds after which an entry whose holder stopped touching it is taken
    over even if its process still beats. ``heartbeat`` / ``replica_ttl``: how often this
    process says it is alive, and how long after its last beat it counts as dead.
    """

    drain_deadline: float = 20.0
    max_age: float = 600.0
    max_deliveries: int = 3
    claim_after: float = 60.0
    heartbeat: float = 1.0
    replica_ttl: float = 4.0

    def __post_init__(self) -> None:
        from botkit.errors import UserError
        for name in ("drain_deadline", "max_age", "claim_after", "heartbeat", "replica_ttl"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0 or \
                    (value == 0 and name != "drain_deadline"):
                raise UserError(f"InboxConfig.{name} must be a positive number of seconds, "
                                f"not {value!r}")
        if not self.heartbeat < self.replica_ttl:
            raise UserError("InboxConfig.heartbeat must be shorter than replica_ttl")
        if not isinstance(self.max_deliveries, int) or self.max_deliveries < 1:
            raise UserError("InboxConfig.max_deliveries must be an integer >= 1")
