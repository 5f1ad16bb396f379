"""The stream facet of a ``StateStore``: an append-only log with consumer groups.

Each store uses its engine's own primitive: Redis Streams (XADD, XREAD, XREADGROUP, XACK,
XAUTOCLAIM, XPENDING); SQLite a table in the same database file (one global, increasing id
for every entry of every stream; a pending table holding each delivered entry's consumer,
claim time and delivery count); the memory store the same in-process (lost with the process).

An entry id (``StreamId``) is two integers and orders the entries of a stream; it compares
correctly across processes (never compare the string forms). Its string form ``"<ms>-<seq>"``
is Redis' own (SQLite: ``"<row>-0"``) and round-trips through ``StreamId.parse``.

Consumer groups give at-least-once delivery: ``stream_group_read`` hands out entries nobody in
the group has had; each stays *pending* for the consumer that got it until ``stream_ack``.
``stream_touch`` restarts a pending entry's idle time (the holder's heartbeat);
``stream_claim`` hands the entries idle for at least ``min_idle`` seconds to another consumer
(a dead one's work); ``stream_release`` makes entries claimable at once (a graceful hand-over).

Streams share the key namespace: ``scan`` lists them and ``delete`` removes one, with its
groups. Data is JSON-compatible, like every stored value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = ["PendingEntry", "StreamEntry", "StreamId", "Streams"]


@dataclass(frozen=True, order=True, slots=True)
class StreamId:
    """An entry id: ordered by ``(ms, seq)``; ``str()`` gives the wire form."""

    ms: int
    seq: int = 0

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"

    @classmethod
    def parse(cls, text: str) -> StreamId:
        """``"1700000000000-3"`` (or ``"42"``) as a ``StreamId``; ``ValueError`` otherwise."""
        head, sep, tail = text.strip().partition("-")
        if not head.isdigit() or (sep and not tail.isdigit()) or len(text) > 41:
            raise ValueError(f"not a stream entry id: {text[:50]!r}")
        return cls(int(head), int(tail) if sep else 0)


ZERO = StreamId(0, 0)


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One entry: its id and data. From a consumer group, ``deliveries`` counts how many
    times it has been handed out (1 the first time; more after claims)."""

    id: StreamId
    data: Any
    deliveries: int = 0


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """An entry delivered in a group and not acknowledged yet."""

    id: StreamId
    consumer: str
    idle: float
    deliveries: int


@runtime_checkable
class Streams(Protocol):
    async def stream_add(self, stream: str, data: Any, *, max_len: int | None = None
                         ) -> StreamId:
        """Append ``data``; keep only the newest ``max_len`` entries. The new entry's id."""
        ...

    async def stream_add_many(self, stream: str, items: Sequence[Any], *,
                              max_len: int | None = None) -> list[StreamId]:
        """``stream_add`` of each of ``items``, in order, as one write (one SQLite
        transaction, one Redis ``MULTI``): their ids (none for no items)."""
        ...

    async def stream_add_once(self, stream: str, data: Any, *, seen_key: str, ttl: float
                              ) -> StreamId | None:
        """``seen(seen_key, ttl=ttl)`` and ``stream_add`` as one atomic write (one SQLite
        transaction, one Redis script): append ``data`` and record ``seen_key`` for ``ttl``
        seconds, unless ``seen_key`` is already recorded (a duplicate: None, nothing
        appended). A failed call records nothing, so a retry is not taken for a duplicate.
        The key is the one ``seen`` uses: either way of recording it dedups the other."""
        ...

    async def stream_read(self, stream: str, *, after: StreamId = ZERO, count: int = 100,
                          block: float | None = None) -> list[StreamEntry]:
        """Up to ``count`` entries with ids greater than ``after``, oldest first. With
        ``block`` and nothing there yet, wait up to that many seconds for one."""
        ...

    async def stream_read_many(self, after: Mapping[str, StreamId], *, count: int = 100,
                               block: float | None = None) -> dict[str, list[StreamEntry]]:
        """``stream_read`` of several streams in one call (one ``XREAD`` on Redis): each
        stream's entries after its id, up to ``count`` each, keyed by stream (streams with
        nothing new left out). With ``block`` and nothing in any, wait up to that many
        seconds for an entry in one of them."""
        ...

    async def stream_last_id(self, stream: str) -> StreamId | None:
        """The newest entry's id (None for an empty or missing stream)."""
        ...

    async def stream_len(self, stream: str) -> int: ...

    async def stream_group_read(self, stream: str, group: str, consumer: str, *,
                                count: int = 100, block: float | None = None
                                ) -> list[StreamEntry]:
        """Entries no consumer of ``group`` has had yet (the group is created on first use
        and starts at the beginning of the stream), now pending for ``consumer``."""
        ...

    async def stream_ack(self, stream: str, group: str, ids: Sequence[StreamId], *,
                         delete: bool = False) -> int:
        """Mark entries done in ``group`` (and remove them from the stream when ``delete``).
        How many were pending."""
        ...

    async def stream_pending(self, stream: str, group: str, *, count: int = 1000
                             ) -> list[PendingEntry]:
        """The group's pending entries, oldest first."""
        ...

    async def stream_touch(self, stream: str, group: str, consumer: str,
                           ids: Sequence[StreamId]) -> None:
        """Restart the idle time of entries pending for ``consumer`` (its heartbeat)."""
        ...

    async def stream_release(self, stream: str, group: str, ids: Sequence[StreamId]) -> None:
        """Leave entries pending but claimable at once by any consumer (a hand-over)."""
        ...

    async def stream_claim(self, stream: str, group: str, consumer: str, *, min_idle: float,
                           count: int = 100) -> list[StreamEntry]:
        """Take over up to ``count`` pending entries idle for at least ``min_idle`` seconds,
        oldest first; each one's ``deliveries`` goes up. Entries removed from the stream
        meanwhile are acknowledged and skipped."""
        ...
