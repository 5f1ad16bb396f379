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
    entries: dict[int, str] = field(default_factory=dict)
    """entry id's ``ms`` (its ``seq`` is always 0 here) -> the JSON text, ids ascending:
    an int key is ~50 B less per entry than a ``StreamId``"""
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
            s.entries[self._stream_counter] = text
            ids.append(StreamId(self._stream_counter, 0))
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
            found = [] if s is None else [StreamEntry(StreamId(i), json.loads(t))
                                          for i, t in s.entries.items() if i > after.ms
                                          ][:count]
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
        last = None if s is None else next(reversed(s.entries), None)
        return None if last is None else StreamId(last)

    async def stream_len(self, stream: str) -> int:
        s = self._streams.get(stream)
        return 0 if s is None else len(s.entries)

    async def stream_group_read(self, stream: str, group: str, consumer: str, *,
                                count: int = 100, block: float | None = None
                                ) -> list[StreamEntry]:
        while True:
            s, g = self._group(stream, group)
            fresh = [i for i in s.entries if i > g.last.ms][:count]
            if fresh:
                now = self._clock()
                ids = [StreamId(i) for i in fresh]
                for entry_id in ids:
                    g.pending[entry_id] = _Pending(consumer, now, 1)
                g.last = ids[-1]
                return [StreamEntry(entry_id, json.loads(s.entries[entry_id.ms]), 1)
                        for entry_id in ids]
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
                if i.seq == 0:  # no entry here has another
                    s.entries.pop(i.ms, None)
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
            text = s.entries.get(i.ms)
            if text is None:
                del g.pending[i]
                continue
            p.consumer, p.since, p.deliveries = consumer, now, p.deliveries + 1
            claimed.append(StreamEntry(i, json.loads(text), p.deliveries))
        return claimed
