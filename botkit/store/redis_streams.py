"""The stream facet of ``RedisStore``: Redis Streams under the store's prefix.

Each entry is one field ``d`` holding canonical JSON. Groups are created on first use
(``XGROUP CREATE … 0 MKSTREAM``). Touching, releasing and claiming go through small Lua
scripts, so checking who holds an entry and changing it is one atomic step; so does the ack
path's dedup-and-append (``stream_add_once``), sent in pipelined batches by a thread of its
own (``redis_ack``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from botkit.store.base import canonical_json
from botkit.store.streams import ZERO, PendingEntry, StreamEntry, StreamId

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from redis.asyncio import Redis

    from botkit.store.redis_ack import AckLane

__all__ = ["ADD_ONCE", "RedisStreams"]

T = TypeVar("T")
FIELD = "d"
_ACK = """local ids = {}
for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
local n = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
if ARGV[2] == '1' then redis.call('XDEL', KEYS[1], unpack(ids)) end
return n"""
ADD_ONCE = """if redis.call('EXISTS', KEYS[2]) == 1 then return false end
local id = redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
redis.call('SET', KEYS[2], 'true', 'PX', ARGV[2])
return id"""
_TOUCH = """for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if p[1] then redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID') end
end
return 1"""
_RELEASE = """for i = 2, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1)
  if p[1] then
    redis.call('XCLAIM', KEYS[1], ARGV[1], p[1][2], 0, ARGV[i], 'IDLE', '1000000000000',
               'JUSTID')
  end
end
return 1"""
_CLAIM = """local res = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4],
                           'COUNT', ARGV[5])
local out = {res[1]}
for _, e in ipairs(res[2]) do
  if e then
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], e[1], e[1], 1)
    local data = false
    for i = 1, #e[2], 2 do if e[2][i] == 'd' then data = e[2][i + 1] end end
    out[#out + 1] = {e[1], data, p[1] and p[1][4] or 1}
  end
end
return out"""


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _id(raw: Any) -> StreamId:
    return StreamId.parse(_text(raw))


def _entry(raw_id: Any, fields: Any, deliveries: int = 0) -> StreamEntry:
    data = {_text(k): v for k, v in (fields or {}).items()}.get(FIELD)
    return StreamEntry(_id(raw_id), _load(data), deliveries)


def _load(raw: Any) -> Any:
    return None if raw is None else json.loads(_text(raw))


def _ms(seconds: float | None) -> int | None:
    return None if not seconds or seconds <= 0 else max(1, round(seconds * 1000))


def _no_group(exc: Exception) -> bool:
    return "NOGROUP" in str(exc)


class RedisStreams:
    """Mixed into ``RedisStore`` (which provides ``client``, ``ack_client`` and ``_k``)."""

    client: Redis
    ack_lane: AckLane | None
    """The ack path's own thread and connection (``stream_add_once``), for a store made
    from a URL."""

    def _k(self, key: str) -> str:
        raise NotImplementedError

    def _script(self, name: str, body: str) -> Callable[..., Awaitable[Any]]:
        scripts: dict[str, Any] = self.__dict__.setdefault("_stream_scripts", {})
        if name not in scripts:
            scripts[name] = self.client.register_script(body)
        return scripts[name]  # type: ignore[no-any-return]

    async def stream_add(self, stream: str, data: Any, *, max_len: int | None = None
                         ) -> StreamId:
        raw = await self.client.xadd(self._k(stream), {FIELD: canonical_json(data)},
                                     maxlen=max_len, approximate=False)
        return _id(raw)

    async def stream_add_many(self, stream: str, items: Sequence[Any], *,
                              max_len: int | None = None) -> list[StreamId]:
        texts = [canonical_json(data) for data in items]
        if not texts:
            return []
        key, last = self._k(stream), len(texts) - 1
        async with self.client.pipeline(transaction=True) as pipe:
            for i, text in enumerate(texts):  # trimmed once, after the last
                pipe.xadd(key, {FIELD: text}, maxlen=max_len if i == last else None,
                          approximate=False)
            raws = await pipe.execute()
        return [_id(raw) for raw in raws]

    async def stream_add_once(self, stream: str, data: Any, *, seen_key: str, ttl: float
                              ) -> StreamId | None:
        keys, args = self._add_once_call(stream, data, seen_key, ttl)
        if self.ack_lane is not None:  # a round trip on its own thread (``redis_ack``)
            raw = await self.ack_lane.call(keys, args)
        else:
            raw = await self._script("add_once", ADD_ONCE)(keys=keys, args=args)
        return None if raw is None else _id(raw)

    def _add_once_call(self, stream: str, data: Any, seen_key: str, ttl: float
                       ) -> tuple[list[str], list[Any]]:
        """The ``add_once`` script's keys and args (the key is marked after the XADD: a
        script that fails there marks nothing)."""
        return ([self._k(stream), self._k(seen_key)],
                [canonical_json(data), max(1, round(ttl * 1000))])

    @property
    def adds_from_any_thread(self) -> bool:
        """``add_once_from_any_thread`` works: the store has its ack lane (made from a URL)."""
        return self.ack_lane is not None

    def add_once_from_any_thread(self, stream: str, data: Any, *, seen_key: str, ttl: float
                                 ) -> Future[StreamId | None]:
        """``stream_add_once`` for a caller on any thread, over the ack lane's own
        connection (``adds_from_any_thread``; ``RuntimeError`` without the lane)."""
        if self.ack_lane is None:
            raise RuntimeError("this RedisStore has no ack lane (it was given a client)")
        keys, args = self._add_once_call(stream, data, seen_key, ttl)
        result: Future[StreamId | None] = Future()

        def done(reply: Future[Any]) -> None:
            error = reply.exception()
            if error is not None:
                result.set_exception(error)
            else:
                raw = reply.result()
                result.set_result(None if raw is None else _id(raw))
        self.ack_lane.submit(keys, args).add_done_callback(done)
        return result

    async def stream_read(self, stream: str, *, after: StreamId = ZERO, count: int = 100,
                          block: float | None = None) -> list[StreamEntry]:
        reply: Any = await self.client.xread({self._k(stream): str(after)}, count=count,
                                             block=_ms(block))
        return [_entry(i, f) for _, items in (reply or []) for i, f in items]

    async def stream_read_many(self, after: Mapping[str, StreamId], *, count: int = 100,
                               block: float | None = None) -> dict[str, list[StreamEntry]]:
        if not after:
            return {}
        names = {self._k(stream): stream for stream in after}
        reply: Any = await self.client.xread({self._k(s): str(i) for s, i in after.items()},
                                             count=count, block=_ms(block))
        pairs = reply.items() if isinstance(reply, dict) else (reply or [])
        return {names[_text(key)]: [_entry(i, f) for i, f in items]
                for key, items in pairs if items}

    async def stream_last_id(self, stream: str) -> StreamId | None:
        reply = await self.client.xrevrange(self._k(stream), count=1)
        return _id(reply[0][0]) if reply else None

    async def stream_len(self, stream: str) -> int:
        return int(await self.client.xlen(self._k(stream)))

    async def _create_group(self, stream: str, group: str) -> None:
        from redis.exceptions import ResponseError
        try:
            await self.client.xgroup_create(self._k(stream), group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    async def _grouped(self, stream: str, group: str, call: Callable[[], Awaitable[T]],
                       empty: T, *, create: bool = False) -> T:
        """``call``, or ``empty`` when the group is missing (then created if ``create``)."""
        from redis.exceptions import ResponseError
        try:
            return await call()
        except ResponseError as exc:
            if not _no_group(exc):
                raise
        if create:
            await self._create_group(stream, group)
        return empty

    async def stream_group_read(self, stream: str, group: str, consumer: str, *,
                                count: int = 100, block: float | None = None
                                ) -> list[StreamEntry]:
        async def read() -> Any:
            return await self.client.xreadgroup(group, consumer, {self._k(stream): ">"},
                                                count=count, block=_ms(block))
        reply = await self._grouped(stream, group, read, None, create=True)
        if reply is None:
            reply = await read()
        return [_entry(i, f, 1) for _, items in (reply or []) for i, f in items]

    async def stream_ack(self, stream: str, group: str, ids: Sequence[StreamId], *,
                         delete: bool = False) -> int:
        done = 0
        for start in range(0, len(ids), 1000):
            chunk = [str(i) for i in ids[start:start + 1000]]
            done += int(await self._script("ack", _ACK)(
                keys=[self._k(stream)], args=[group, "1" if delete else "0", *chunk]))
        return done

    async def stream_pending(self, stream: str, group: str, *, count: int = 1000
                             ) -> list[PendingEntry]:
        async def read() -> Any:
            return await self.client.xpending_range(self._k(stream), group, min="-",
                                                    max="+", count=count)
        rows: Any = await self._grouped(stream, group, read, [])
        return [PendingEntry(_id(r["message_id"]), _text(r["consumer"]),
                             int(r["time_since_delivered"]) / 1000, int(r["times_delivered"]))
                for r in rows]

    async def stream_touch(self, stream: str, group: str, consumer: str,
                           ids: Sequence[StreamId]) -> None:
        await self._each_chunk(stream, group, "touch", _TOUCH, [group, consumer], ids)

    async def stream_release(self, stream: str, group: str, ids: Sequence[StreamId]) -> None:
        await self._each_chunk(stream, group, "release", _RELEASE, [group], ids)

    async def _each_chunk(self, stream: str, group: str, name: str, body: str,
                          head: list[str], ids: Sequence[StreamId]) -> None:
        script = self._script(name, body)
        for start in range(0, len(ids), 500):
            args = [*head, *(str(i) for i in ids[start:start + 500])]

            async def run(args: list[str] = args) -> Any:
                return await script(keys=[self._k(stream)], args=args)
            await self._grouped(stream, group, run, None)

    async def stream_claim(self, stream: str, group: str, consumer: str, *, min_idle: float,
                           count: int = 100) -> list[StreamEntry]:
        claimed: list[StreamEntry] = []
        cursor = "0-0"
        idle = str(max(0, round(min_idle * 1000)))
        while len(claimed) < count:
            async def claim(start: str = cursor) -> Any:
                return await self._script("claim", _CLAIM)(
                    keys=[self._k(stream)],
                    args=[group, consumer, idle, start, count - len(claimed)])
            reply = await self._grouped(stream, group, claim, None)
            if reply is None:
                return claimed
            claimed.extend(StreamEntry(_id(i), _load(d) if d else None, int(n))
                           for i, d, n in reply[1:])
            cursor = _text(reply[0])
            if cursor == "0-0":
                break
        return claimed
