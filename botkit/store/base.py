"""The ``StateStore`` protocol: where botkit keeps what must outlive one event.

Values are JSON-compatible (dicts, lists, strings, numbers, booleans, None) so that remote
stores can hold them. Every operation is atomic on its own.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

__all__ = ["StateStore"]


@runtime_checkable
class StateStore(Protocol):
    async def get(self, key: str) -> Any | None:
        """The value at ``key``, or None when missing or expired."""
        ...

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        """Store ``value`` at ``key``, expiring after ``ttl`` seconds when given."""
        ...

    async def delete(self, key: str) -> None: ...

    async def pop(self, key: str) -> Any | None:
        """Remove and return the value at ``key`` in one step (None if missing): exactly one
        of several concurrent callers gets it."""
        ...

    async def seen(self, key: str, *, ttl: float) -> bool:
        """Record ``key`` for ``ttl`` seconds; True if it was already recorded (dedup)."""
        ...

    async def close(self) -> None: ...
