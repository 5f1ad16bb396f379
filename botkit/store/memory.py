"""An in-process ``StateStore``: the default, and what tests use."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from typing import Any

__all__ = ["MemoryStore"]


class MemoryStore:
    """Keeps everything in a dict; lost when the process ends.

    Values are deep-copied in and out, so code that works here also works on stores that
    serialize (nobody can mutate stored state through a reference they kept).
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[Any, float | None]] = {}

    def _live(self, key: str) -> tuple[Any, float | None] | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires = item[1]
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return item

    async def get(self, key: str) -> Any | None:
        item = self._live(key)
        return None if item is None else copy.deepcopy(item[0])

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        expires = None if ttl is None else self._clock() + ttl
        self._data[key] = (copy.deepcopy(value), expires)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def pop(self, key: str) -> Any | None:
        item = self._live(key)
        if item is None:
            return None
        del self._data[key]
        return item[0]

    async def seen(self, key: str, *, ttl: float) -> bool:
        if self._live(key) is not None:
            return True
        self._data[key] = (True, self._clock() + ttl)
        return False

    async def close(self) -> None:
        self._data.clear()
