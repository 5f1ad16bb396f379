"""``RedisStore``: the store for several processes (``redis.asyncio``; ``botkit[redis]``).

Every key is stored under ``prefix`` (default ``"botkit:"``) so several bots can share one
Redis. Values are canonical JSON strings; read-modify-write operations are Lua scripts or
``SET NX PX``, so they are atomic across processes. ``publish``/``subscribe`` are Redis
PUBLISH/SUBSCRIBE on channels under the same prefix; the ``stream_*`` methods are Redis Streams
(``botkit.store.redis_streams``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from botkit.errors import UserError
from botkit.store.base import canonical_json
from botkit.store.redis_ack import AckLane
from botkit.store.redis_streams import ADD_ONCE, RedisStreams

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub as RedisPubSub

__all__ = ["RedisStore"]

_POP = """local v = redis.call('GET', KEYS[1])
if v then redis.call('DEL', KEYS[1]) end
return v"""
_CAS = """local cur = redis.call('GET', KEYS[1])
if ARGV[4] == '1' then
  if cur then return 0 end
elseif cur ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else redis.call('SET', KEYS[1], ARGV[2]) end
return 1"""
_INCR = """local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return v"""
_APPEND = """local n = redis.call('RPUSH', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  local keep = tonumber(ARGV[2])
  if keep <= 0 then redis.call('DEL', KEYS[1]) return 0 end
  redis.call('LTRIM', KEYS[1], -keep, -1)
  n = redis.call('LLEN', KEYS[1])
end
if ARGV[3] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return n"""
_POP_ALL = """local items = redis.call('LRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
return items"""
_EXTEND = """if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0"""
_RELEASE = """if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0"""


def _ms(ttl: float | None) -> str:
    return "" if ttl is None else str(max(1, round(ttl * 1000)))


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _load(raw: Any) -> Any:
    return None if raw is None else json.loads(_text(raw))


def _glob_escape(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


class RedisStore(RedisStreams):
    """A ``StateStore`` on Redis. Pass ``url`` (``redis://host:port/db``, ``rediss://`` …)
    or a ready ``client`` (``redis.asyncio.Redis``; then ``close`` leaves it open).

    A store made from a URL uses at most ``max_connections`` connections (a subscription
    holds one); a burst of work beyond that waits for a free one rather than failing. The
    ack path (``stream_add_once``: a platform waits for it) has one more connection, on a
    thread of its own (``redis_ack``), so it never queues behind that burst."""

    def __init__(self, url: str = "redis://127.0.0.1:6379", *, prefix: str = "botkit:",
                 client: Redis | None = None, max_connections: int = 50) -> None:
        if client is None:
            try:
                from redis.asyncio import BlockingConnectionPool, Redis
            except ImportError as exc:
                raise UserError('RedisStore needs redis-py: pip install "botkit[redis]"'
                                ) from exc
            pool = BlockingConnectionPool.from_url(url, max_connections=max_connections,
                                                   timeout=30, decode_responses=True)
            client = Redis.from_pool(pool)
            self._owned = True
            self.ack_lane: AckLane | None = AckLane(url, ADD_ONCE)
        else:
            self._owned = False
            self.ack_lane = None
        self.client = client
        self.prefix = prefix
        self._url = url
        self._pop = client.register_script(_POP)
        self._cas = client.register_script(_CAS)
        self._incr = client.register_script(_INCR)
        self._append = client.register_script(_APPEND)
        self._pop_all = client.register_script(_POP_ALL)
        self._extend = client.register_script(_EXTEND)
        self._release = client.register_script(_RELEASE)

    def __repr__(self) -> str:
        return f"RedisStore(prefix={self.prefix!r})"

    def _k(self, key: str) -> str:
        return self.prefix + key

    # -- values ------------------------------------------------------------------------
    async def get(self, key: str) -> Any | None:
        return _load(await self.client.get(self._k(key)))

    async def get_many(self, keys: Sequence[str]) -> list[Any | None]:
        if not keys:
            return []
        return [_load(v) for v in await self.client.mget([self._k(k) for k in keys])]

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        text = canonical_json(value)
        if ttl is None:
            await self.client.set(self._k(key), text)
        else:
            await self.client.set(self._k(key), text, px=int(_ms(ttl)))

    async def delete(self, key: str) -> None:
        await self.client.delete(self._k(key))

    async def pop(self, key: str) -> Any | None:
        return _load(await self._pop(keys=[self._k(key)]))

    async def compare_and_set(
        self, key: str, expected: Any | None, value: Any, *, ttl: float | None = None
    ) -> bool:
        want = "" if expected is None else canonical_json(expected)
        absent = "1" if expected is None else "0"
        done = await self._cas(keys=[self._k(key)],
                               args=[want, canonical_json(value), _ms(ttl), absent])
        return bool(int(done))

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        return int(await self._incr(keys=[self._k(key)], args=[amount, _ms(ttl)]))

    async def seen(self, key: str, *, ttl: float) -> bool:
        fresh = await self.client.set(self._k(key), "true", nx=True, px=int(_ms(ttl)))
        return not fresh

    async def scan(self, prefix: str) -> list[str]:
        pattern = _glob_escape(self._k(prefix)) + "*"
        cut = len(self.prefix)
        return sorted({_text(k)[cut:] async for k in self.client.scan_iter(match=pattern,
                                                                             count=1000)})

    # -- lists -------------------------------------------------------------------------
    async def list_append(
        self, key: str, value: Any, *, max_len: int | None = None, ttl: float | None = None
    ) -> int:
        keep = "" if max_len is None else str(max_len)
        return int(await self._append(keys=[self._k(key)],
                                      args=[canonical_json(value), keep, _ms(ttl)]))

    async def list_range(self, key: str, start: int = 0, stop: int | None = None) -> list[Any]:
        if stop == 0:
            return []
        end = -1 if stop is None else stop - 1
        return [_load(v) for v in await self.client.lrange(self._k(key), start, end)]

    async def list_len(self, key: str) -> int:
        return int(await self.client.llen(self._k(key)))

    async def list_trim(self, key: str, max_len: int) -> None:
        if max_len <= 0:
            await self.client.delete(self._k(key))
        else:
            await self.client.ltrim(self._k(key), -max_len, -1)

    async def list_pop_all(self, key: str) -> list[Any]:
        return [_load(v) for v in await self._pop_all(keys=[self._k(key)])]

    # -- locks -------------------------------------------------------------------------
    async def acquire_lock(self, key: str, *, ttl: float) -> str | None:
        token = secrets.token_hex(16)
        taken = await self.client.set(self._k(key), json.dumps(token), nx=True,
                                      px=int(_ms(ttl)))
        return token if taken else None

    async def extend_lock(self, key: str, token: str, *, ttl: float) -> bool:
        done = await self._extend(keys=[self._k(key)], args=[json.dumps(token), _ms(ttl)])
        return bool(int(done))

    async def release_lock(self, key: str, token: str) -> bool:
        return bool(int(await self._release(keys=[self._k(key)], args=[json.dumps(token)])))

    # -- pub/sub -----------------------------------------------------------------------
    async def publish(self, channel: str, message: Any) -> int:
        return int(await self.client.publish(self._k(channel), canonical_json(message)))

    async def subscribe(self, channel: str) -> _RedisSubscription:
        pubsub = self.client.pubsub()
        try:
            await pubsub.subscribe(self._k(channel))
            async with asyncio.timeout(10):  # the server's confirmation: subscribed from here on
                while True:
                    reply = await pubsub.get_message(timeout=1.0)
                    if reply is not None and reply.get("type") == "subscribe":
                        break
        except BaseException:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
            raise
        return _RedisSubscription(pubsub)

    async def close(self) -> None:
        if self.ack_lane is not None:
            await self.ack_lane.close()
        if self._owned:
            await self.client.aclose()


class _RedisSubscription:
    def __init__(self, pubsub: RedisPubSub) -> None:
        self._pubsub = pubsub

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for message in self._pubsub.listen():
            if message.get("type") == "message":
                yield _load(message["data"])

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._pubsub.unsubscribe()
        await self._pubsub.aclose()  # type: ignore[no-untyped-call]
