"""An in-process ``StateStore``: the default, and what tests use."""

from __future__ import annotations

import asyncio
import copy
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from botkit.store.base import canonical_json, slice_bounds
from botkit.store.memory_streams import MemoryStreams
from botkit.store.streams import StreamId

__all__ = ["MemoryStore"]


def _encoded(value: Any) -> str | None:
    """``value``'s canonical JSON (None: it has none, so it equals no stored value)."""
    try:
        return canonical_json(value)
    except (TypeError, ValueError):
        return None


class MemoryStore(MemoryStreams):
    """Keeps everything in a dict; lost when the process ends.

    Values are kept as their canonical JSON text, as the SQLite store keeps them, so code
    that works here also works on stores that serialize (nobody can mutate stored state
    through a reference they kept; a tuple comes back a list). Text is also what keeps a
    large in-memory state cheap: one string per value, not a tree of dicts for the garbage
    collector to walk, and decoding is faster than a deep copy. Its
    ``PubSub`` reaches the subscribers of this store object, in this process, and so do its
    streams (``botkit.store.streams``): nothing survives the process.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[Any, float | None]] = {}
        """key -> (JSON text, or a list of them for a list; expiry)"""
        self._channels: dict[str, set[asyncio.Queue[Any]]] = {}
        self._init_streams()

    def _live(self, key: str) -> tuple[Any, float | None] | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires = item[1]
        if expires is not None and expires <= self._clock():
            del self._data[key]
            return None
        return item

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    # -- values ------------------------------------------------------------------------
    async def get(self, key: str) -> Any | None:
        item = self._live(key)
        return None if item is None else json.loads(item[0])

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        return [await self.get(k) for k in keys]

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        self._data[key] = (canonical_json(value), self._expiry(ttl))

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)
        self._drop_stream(key)

    async def pop(self, key: str) -> Any | None:
        item = self._live(key)
        if item is None:
            return None
        del self._data[key]
        return json.loads(item[0])

    async def compare_and_set(
        self, key: str, expected: Any | None, value: Any, *, ttl: float | None = None
    ) -> bool:
        item = self._live(key)
        if (item is None) != (expected is None):
            return False
        if item is not None and item[0] != _encoded(expected):
            return False
        self._data[key] = (canonical_json(value), self._expiry(ttl))
        return True

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        item = self._live(key)
        current = 0 if item is None else int(json.loads(item[0]))
        expires = self._expiry(ttl) if ttl is not None else (item[1] if item else None)
        self._data[key] = (canonical_json(current + amount), expires)
        return current + amount

    async def seen(self, key: str, *, ttl: float) -> bool:
        if self._live(key) is not None:
            return True
        self._data[key] = ("true", self._clock() + ttl)
        return False

    async def stream_add_once(self, stream: str, data: Any, *, seen_key: str, ttl: float
                              ) -> StreamId | None:
        if self._live(seen_key) is not None:
            return None
        entry = await self.stream_add(stream, data)  # nothing recorded if this fails
        self._data[seen_key] = ("true", self._clock() + ttl)
        return entry

    async def scan(self, prefix: str) -> list[str]:
        keys = {k for k in list(self._data) if k.startswith(prefix) and self._live(k)}
        return sorted(keys | {k for k in self._stream_keys() if k.startswith(prefix)})

    # -- lists -------------------------------------------------------------------------
    def _list(self, key: str) -> list[str]:
        item = self._live(key)
        return [] if item is None else list(item[0])

    async def list_append(
        self, key: str, value: Any, *, max_len: int | None = None, ttl: float | None = None
    ) -> int:
        item = self._live(key)
        items = [] if item is None else item[0]
        items.append(canonical_json(value))
        if max_len is not None:
            del items[: max(0, len(items) - max_len)]
        expires = self._expiry(ttl) if ttl is not None else (item[1] if item else None)
        if items:
            self._data[key] = (items, expires)
        else:
            self._data.pop(key, None)
        return len(items)

    async def list_range(self, key: str, start: int = 0, stop: int | None = None) -> list[Any]:
        items = self._list(key)
        first, count = slice_bounds(len(items), start, stop)
        return [json.loads(text) for text in items[first:first + count]]

    async def list_len(self, key: str) -> int:
        return len(self._list(key))

    async def list_trim(self, key: str, max_len: int) -> None:
        item = self._live(key)
        if item is None:
            return
        items = item[0]
        del items[: max(0, len(items) - max(0, max_len))]
        if not items:
            del self._data[key]

    async def list_pop_all(self, key: str) -> list[Any]:
        items = self._list(key)
        self._data.pop(key, None)
        return [json.loads(text) for text in items]

    # -- locks -------------------------------------------------------------------------
    async def acquire_lock(self, key: str, *, ttl: float) -> str | None:
        if self._live(key) is not None:
            return None
        token = secrets.token_hex(16)
        self._data[key] = (canonical_json(token), self._clock() + ttl)
        return token

    async def extend_lock(self, key: str, token: str, *, ttl: float) -> bool:
        item = self._live(key)
        if item is None or item[0] != canonical_json(token):
            return False
        self._data[key] = (item[0], self._clock() + ttl)
        return True

    async def release_lock(self, key: str, token: str) -> bool:
        item = self._live(key)
        if item is None or item[0] != canonical_json(token):
            return False
        del self._data[key]
        return True

    # -- pub/sub -----------------------------------------------------------------------
    async def publish(self, channel: str, message: Any) -> int:
        queues = self._channels.get(channel, set())
        for queue in queues:
            queue.put_nowait(copy.deepcopy(message))
        return len(queues)

    async def subscribe(self, channel: str) -> _MemorySubscription:
        return _MemorySubscription(self._channels, channel)

    async def close(self) -> None:
        self._data.clear()
        self._channels.clear()
        self._init_streams()


class _MemorySubscription:
    def __init__(self, channels: dict[str, set[asyncio.Queue[Any]]], channel: str) -> None:
        self._channels = channels
        self._channel = channel
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        channels.setdefault(channel, set()).add(self._queue)

    async def __aiter__(self) -> AsyncIterator[Any]:
        while True:
            yield await self._queue.get()

    async def close(self) -> None:
        queues = self._channels.get(self._channel)
        if queues is not None:
            queues.discard(self._queue)
            if not queues:
                del self._channels[self._channel]
