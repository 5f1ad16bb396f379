"""An in-process ``StateStore``: the default, and what tests use."""

from __future__ import annotations

import asyncio
import copy
import json
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from botkit.store.base import canonical_json, slice_bounds
from botkit.store.memory_streams import MemoryStreams
from botkit.store.streams import StreamId

__all__ = ["MemoryStore"]


SWEEP_MIN = 1024
"""The fewest timed writes between two passes freeing expired keys."""
LOCK_MARK = "~"
"""A lock is kept as its token itself, which starts with this (no JSON text does): the
turn holding it for hours and the store share one string."""


def _encoded(value: Any) -> str | None:
    """``value``'s canonical JSON (None: it has none, so it equals no stored value)."""
    try:
        return canonical_json(value)
    except (TypeError, ValueError):
        return None


def _decoded(text: str) -> Any:
    """A stored value: JSON text, or a lock's token."""
    return text if text.startswith(LOCK_MARK) else json.loads(text)


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
        self._data: dict[str, Any] = {}
        """key -> JSON text (a list of them for a list)"""
        self._expires: dict[str, float] = {}
        """key -> when it expires, only for keys with a TTL (no tuple per key)"""
        self._timed_writes = 0
        self._sweep_after = SWEEP_MIN
        self._soonest = math.inf
        """No key with a TTL expires before this (a sweep before it would free nothing)."""
        self._channels: dict[str, set[asyncio.Queue[Any]]] = {}
        self._init_streams()

    def _live(self, key: str) -> Any | None:
        """``key``'s text (or list), None when it is missing or has expired."""
        expires = self._expires.get(key)
        if expires is not None and expires <= self._clock():
            self._forget(key)
            return None
        return self._data.get(key)

    def _forget(self, key: str) -> None:
        self._data.pop(key, None)
        self._expires.pop(key, None)

    def _put(self, key: str, value: Any, ttl: float | None) -> None:
        """Store ``value`` (a text or a list); ``ttl`` None: it never expires."""
        self._data[key] = value
        if ttl is None:
            self._expires.pop(key, None)
        else:
            now = self._clock()
            self._expires[key] = expires = now + ttl
            self._sweep_now_and_then(now, expires)

    def _sweep_now_and_then(self, now: float, expires: float) -> None:
        """Free expired keys nobody reads again: a pass over the keys with a TTL once as
        many timed writes came as such keys were left by the last pass (at least
        ``SWEEP_MIN``), so each write pays a constant share of the passes; none before
        the soonest expiry written since."""
        if expires < self._soonest:
            self._soonest = expires
        self._timed_writes += 1
        if self._timed_writes < self._sweep_after or now < self._soonest:
            return
        expired = [key for key, when in self._expires.items() if when <= now]
        for key in expired:
            self._forget(key)
        self._soonest = min(self._expires.values(), default=math.inf)
        self._timed_writes = 0
        self._sweep_after = max(SWEEP_MIN, len(self._expires))

    # -- values ------------------------------------------------------------------------
    async def get(self, key: str) -> Any | None:
        text = self._live(key)
        return None if text is None else _decoded(text)

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        return [await self.get(k) for k in keys]

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        self._put(key, canonical_json(value), ttl)

    async def delete(self, key: str) -> None:
        self._forget(key)
        self._drop_stream(key)

    async def pop(self, key: str) -> Any | None:
        text = self._live(key)
        if text is None:
            return None
        self._forget(key)
        return _decoded(text)

    async def compare_and_set(
        self, key: str, expected: Any | None, value: Any, *, ttl: float | None = None
    ) -> bool:
        text = self._live(key)
        if (text is None) != (expected is None):
            return False
        if text is not None and text != (expected if text.startswith(LOCK_MARK)
                                         else _encoded(expected)):
            return False
        self._put(key, canonical_json(value), ttl)
        return True

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        text = self._live(key)
        current = 0 if text is None else int(_decoded(text))
        self._keep_expiry(key, canonical_json(current + amount), ttl)
        return current + amount

    def _keep_expiry(self, key: str, value: Any, ttl: float | None) -> None:
        """Store ``value``: with ``ttl`` a new expiry, without it the key's current one."""
        if ttl is None:
            self._data[key] = value
        else:
            self._put(key, value, ttl)

    async def seen(self, key: str, *, ttl: float) -> bool:
        if self._live(key) is not None:
            return True
        self._put(key, "true", ttl)
        return False

    async def stream_add_once(self, stream: str, data: Any, *, seen_key: str, ttl: float
                              ) -> StreamId | None:
        if self._live(seen_key) is not None:
            return None
        entry = await self.stream_add(stream, data)  # nothing recorded if this fails
        self._put(seen_key, "true", ttl)
        return entry

    async def scan(self, prefix: str) -> list[str]:
        keys = {k for k in list(self._data) if k.startswith(prefix) and self._live(k)}
        return sorted(keys | {k for k in self._stream_keys() if k.startswith(prefix)})

    # -- lists -------------------------------------------------------------------------
    def _list(self, key: str) -> list[str]:
        items = self._live(key)
        return [] if items is None else list(items)

    async def list_append(
        self, key: str, value: Any, *, max_len: int | None = None, ttl: float | None = None
    ) -> int:
        items = self._live(key)
        if items is None:
            items = []
        items.append(canonical_json(value))
        if max_len is not None:
            del items[: max(0, len(items) - max_len)]
        if items:
            self._keep_expiry(key, items, ttl)
        else:
            self._forget(key)
        return len(items)

    async def list_range(self, key: str, start: int = 0, stop: int | None = None) -> list[Any]:
        items = self._list(key)
        first, count = slice_bounds(len(items), start, stop)
        return [json.loads(text) for text in items[first:first + count]]

    async def list_len(self, key: str) -> int:
        return len(self._list(key))

    async def list_trim(self, key: str, max_len: int) -> None:
        items = self._live(key)
        if items is None:
            return
        del items[: max(0, len(items) - max(0, max_len))]
        if not items:
            self._forget(key)

    async def list_pop_all(self, key: str) -> list[Any]:
        items = self._list(key)
        self._forget(key)
        return [json.loads(text) for text in items]

    # -- locks -------------------------------------------------------------------------
    async def acquire_lock(self, key: str, *, ttl: float) -> str | None:
        if self._live(key) is not None:
            return None
        token = LOCK_MARK + secrets.token_hex(8)  # 64 random bits
        self._put(key, token, ttl)
        return token

    async def extend_lock(self, key: str, token: str, *, ttl: float) -> bool:
        text = self._live(key)
        if text is None or text != token:
            return False
        self._put(key, text, ttl)
        return True

    async def release_lock(self, key: str, token: str) -> bool:
        text = self._live(key)
        if text is None or text != token:
            return False
        self._forget(key)
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
        self._expires.clear()
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
