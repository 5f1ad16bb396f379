"""The stream facet of ``MemoryStore``: the same contract in one process (not durable)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botkit.store.base import canonical_json
from botkit.store.streams import ZERO, PendingEntry, StreamEntry, StreamId

__all__ = ["MemoryStreams"]


@dataclass
class _Pending:
    consumer: str
    since: float
    deliveries: int


@dataclass
class _Group:
    last: StreamId = ZERO
    pending: dict[StreamId, _Pending] = field(default_factory=dict)


@dataclass
class _Stream:
    entries: dict[StreamId, str] = field(default_factory=dict)  # ids ascending
    groups: dict[str, _Group] = field(default_factory=dict)


class MemoryStreams:
    """Mixed into ``MemoryStore``: streams kept in a dict, ids from one counter."""

    _clock: Callable[[], float]

    def _init_streams(self) -> None:
        self._streams: dict[str, _Stream] = {}
        self._stream_counter = 0
        self._stream_added = asyncio.Event()

    def _stream_keys(self) -> list[str]:
        return list(self._streams)

    def _drop_stream(self, key: str) -> None:
        self._streams.pop(key, None)

    def _group(self, stream: str, group: str) -> tuple[_Stream, _Group]:
        s = self._streams.setdefault(stream, _Stream())
        return s, s.groups.setdefault(group, _Group())

    async def _wait_for_add(self, block: float | None) -> bool:
        if not block or block <= 0:
            return False
        added = self._stream_added
        try:
            await asyncio.wait_for(added.wait(), block)
        except TimeoutError:
            return False
        return True

    async def stream_add(self, stream: str, data: Any, *, max_len: int | None = None
                         ) -> StreamId:
        return self._add_texts(stream, [canonical_json(data)], max_len)[0]

    async def stream_add_many(self, stream: str, items: Sequence[Any], *,
                              max_len: int | None = None) -> list[StreamId]:
        return self._add_texts(stream, [canonical_json(data) for data in items], max_len)

    def _add_texts(self, stream: str, texts: list[str], max_len: int | None
                   ) -> list[StreamId]:
        if not texts:
            return []
        s = self._streams.setdefault(stream, _Stream())
        ids = []
        for text in texts:
            self._stream_counter += 1
            entry_id = StreamId(self._stream_counter, 0)
            s.entries[entry_id] = text
            ids.append(entry_id)
        if max_len is not None:  # the oldest first (was a copy of every id per append)
            while len(s.entries) > max(max_len, 0):
                del s.entries[next(iter(s.entries))]
        self._stream_added.set()
        self._stream_added = asyncio.Event()
        return ids

    async def stream_read(self, stream: str, *, after: StreamId = ZERO, count: int = 100,
                          block: float | None = None) -> list[StreamEntry]:
        while True:
            s = self._streams.get(stream)
            found = [] if s is None else [StreamEntry(i, json.loads(t))
                                          for i, t in s.entries.items() if i > after][:count]
            if found or not await self._wait_for_add(block):
                return found

    async def stream_read_many(self, after: Mapping[str, StreamId], *, count: int = 100,
                               block: float | None = None) -> dict[str, list[StreamEntry]]:
        while True:
            found = {name: entries for name, cursor in after.items()
                     if (entries := await self.stream_read(name, after=cursor, count=count))}
            if found or not await self._wait_for_add(block):
                return found

    async def stream_last_id(self, stream: str) -> StreamId | None:
        s = self._streams.get(stream)
        return next(reversed(s.entries), None) if s is not None else None

    async def stream_len(self, stream: str) -> int:
        s = self._streams.get(stream)
        return 0 if s is None else len(s.entries)

    async def stream_group_read(self, stream: str, group: str, consumer: str, *,
                                count: int = 100, block: float | None = None
                                ) -> list[StreamEntry]:
        while True:
            s, g = self._group(stream, group)
            fresh = [i for i in s.entries if i > g.last][:count]
            if fresh:
                now = self._clock()
                for i in fresh:
                    g.pending[i] = _Pending(consumer, now, 1)
                g.last = fresh[-1]
                return [StreamEntry(i, json.loads(s.entries[i]), 1) for i in fresh]
            if not await self._wait_for_add(block):
                return []

    async def stream_ack(self, stream: str, group: str, ids: Sequence[StreamId], *,
                         delete: bool = False) -> int:
        s = self._streams.get(stream)
        if s is None:
            return 0
        g = s.groups.get(group)
        done = 0 if g is None else sum(g.pending.pop(i, None) is not None for i in ids)
        if delete:
            for i in ids:
                s.entries.pop(i, None)
        return done

    async def stream_pending(self, stream: str, group: str, *, count: int = 1000
                             ) -> list[PendingEntry]:
        s = self._streams.get(stream)
        g = None if s is None else s.groups.get(group)
        if g is None:
            return []
        now = self._clock()
        return [PendingEntry(i, p.consumer, max(0.0, now - p.since), p.deliveries)
                for i, p in sorted(g.pending.items())[:count]]

    async def stream_touch(self, stream: str, group: str, consumer: str,
                           ids: Sequence[StreamId]) -> None:
        s = self._streams.get(stream)
        g = None if s is None else s.groups.get(group)
        if g is None:
            return
        now = self._clock()
        for i in ids:
            p = g.pending.get(i)
            if p is not None and p.consumer == consumer:
                p.since = now

    async def stream_release(self, stream: str, group: str, ids: Sequence[StreamId]) -> None:
        s = self._streams.get(stream)
        g = None if s is None else s.groups.get(group)
        for i in ids:
            p = None if g is None else g.pending.get(i)
            if p is not None:
                p.since = float("-inf")

    async def stream_claim(self, stream: str, group: str, consumer: str, *, min_idle: float,
                           count: int = 100) -> list[StreamEntry]:
        s, g = self._group(stream, group)
        now = self._clock()
        claimed: list[StreamEntry] = []
        for i, p in sorted(g.pending.items()):
            if len(claimed) >= count:
                break
            if now - p.since < min_idle:
                continue
            if i not in s.entries:
                del g.pending[i]
                continue
            p.consumer, p.since, p.deliveries = consumer, now, p.deliveries + 1
            claimed.append(StreamEntry(i, json.loads(s.entries[i]), p.deliveries))
        return claimed
