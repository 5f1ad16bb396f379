"""The ``StateStore`` protocol: where botkit keeps what must outlive one event.

Values are JSON-compatible (dicts, lists, strings, numbers, booleans, None) so that remote
stores can hold them. Every operation is atomic on its own, across processes where the store
is shared (SQLite file, Redis). Keys form one namespace: a key holds a value, a list, a
counter or a lock; do not use one key for two kinds. ``delete`` removes any kind.

Times are seconds (floats). Botkit's own keys: ``evt:`` (dedup), ``turn:`` (turn locks),
``turnq:`` (queued turns), ``thread:`` (thread records), ``runs:`` (run history),
``state:`` (agent state), ``interrupt:`` (pending interrupts), ``msgids:``, ``action:``
(durable click bindings), ``choice:`` / ``choiceans:`` (pending choices and answers handed
between processes), ``replica:`` (live processes).

A store may also offer ``PubSub`` (memory: within the process; Redis: PUBLISH/SUBSCRIBE).
Botkit uses it only to wake another process sooner; without it, that process polls.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any, Protocol, runtime_checkable

__all__ = ["PubSub", "StateStore", "Subscription", "canonical_json", "json_copy"]

_ATOMS = frozenset({str, int, float, bool, type(None)})


def canonical_json(value: Any) -> str:
    """The one JSON spelling of ``value`` stores compare (``compare_and_set``) and keep."""
    return _CANONICAL.encode(value)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""One encoder for every ``canonical_json`` (``json.dumps`` with options builds one a call)."""


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON-compatible value (dicts, lists, tuples, scalars), several times
    faster than ``copy.deepcopy``; anything else is handed to ``copy.deepcopy``."""
    kind = type(value)
    if kind in _ATOMS:
        return value
    if kind is dict:
        return {k: v if type(v) in _ATOMS else json_copy(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _ATOMS else json_copy(v) for v in value]
    if kind is tuple:
        return tuple(json_copy(v) for v in value)
    return copy.deepcopy(value)


def slice_bounds(length: int, start: int, stop: int | None) -> tuple[int, int]:
    """``list_range`` bounds (Python slice semantics) as ``(first, count)``."""
    first, end, _ = slice(start, stop).indices(length)
    return first, max(0, end - first)


@runtime_checkable
class StateStore(Protocol):
    # -- values ------------------------------------------------------------------------
    async def get(self, key: str) -> Any | None:
        """The value at ``key``, or None when missing or expired."""
        ...

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        """``get`` for several keys at once, in order."""
        ...

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store ``value`` at ``key``, expiring after ``ttl`` seconds when given."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key`` whatever it holds (value, list, counter, lock)."""
        ...

    async def pop(self, key: str) -> Any | None:
        """Remove and return the value at ``key`` in one step (None if missing): exactly one
        of several concurrent callers gets it."""
        ...

    async def compare_and_set(
        self, key: str, expected: Any | None, value: Any, *, ttl: float | None = None
    ) -> bool:
        """Set ``key`` to ``value`` only if it currently holds ``expected`` (compared as
        canonical JSON; ``None`` means "absent"). True when it was set."""
        ...

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add ``amount`` to the integer counter at ``key`` (missing counts as 0) and return
        the new value. ``ttl`` (when given) restarts the counter's expiry."""
        ...

    async def seen(self, key: str, *, ttl: float) -> bool:
        """Record ``key`` for ``ttl`` seconds; True if it was already recorded (dedup)."""
        ...

    async def scan(self, prefix: str) -> list[str]:
        """Every live key starting with ``prefix`` (any kind), sorted."""
        ...

    # -- lists (oldest first) ----------------------------------------------------------
    async def list_append(
        self, key: str, value: Any, *, max_len: int | None = None, ttl: float | None = None
    ) -> int:
        """Append ``value``; keep only the newest ``max_len`` items; return the length.
        ``ttl`` restarts the whole list's expiry; without it the expiry is kept."""
        ...

    async def list_range(self, key: str, start: int = 0, stop: int | None = None) -> list[Any]:
        """Items ``start:stop`` with Python slice semantics (negative counts from the end)."""
        ...

    async def list_len(self, key: str) -> int: ...

    async def list_trim(self, key: str, max_len: int) -> None:
        """Keep only the newest ``max_len`` items (0 empties the list)."""
        ...

    async def list_pop_all(self, key: str) -> list[Any]:
        """Remove the list and return its items in one step."""
        ...

    # -- locks -------------------------------------------------------------------------
    async def acquire_lock(self, key: str, *, ttl: float) -> str | None:
        """Take the lock at ``key`` for ``ttl`` seconds: a token, or None if it is held."""
        ...

    async def extend_lock(self, key: str, token: str, *, ttl: float) -> bool:
        """Restart the lock's ``ttl`` if ``token`` still holds it (heartbeat)."""
        ...

    async def release_lock(self, key: str, token: str) -> bool:
        """Release the lock if ``token`` holds it; never releases someone else's lock."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class Subscription(Protocol):
    """The messages published on one channel after ``subscribe`` returned, in order.
    Iterate it (``async for message in subscription``); ``close`` ends it."""

    def __aiter__(self) -> AsyncIterator[Any]: ...

    async def close(self) -> None: ...


@runtime_checkable
class PubSub(Protocol):
    """The optional facet of a store shared by several processes: fire-and-forget messages
    (JSON values) on named channels. A message reaches the subscribers listening when it
    is published, and no one else; a Redis store puts channels under its prefix."""

    async def publish(self, channel: str, message: Any) -> int:
        """Send ``message`` on ``channel``; how many subscribers received it."""
        ...

    async def subscribe(self, channel: str) -> Subscription:
        """Listen on ``channel`` (already subscribed when this returns)."""
        ...
