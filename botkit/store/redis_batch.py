"""The ack path on Redis: one script call per delivery, many deliveries per round trip.

Every ``stream_add_once`` is one Lua script call (dedup mark and ``XADD`` in one atomic
step). Under load hundreds of them arrive a second, and a round trip costs one or two
event-loop iterations, which are long when the loop is busy with turns; a pool of
connections then becomes a queue the platform's acks wait in. Here the calls go out
pipelined instead, on the store's own ack connections: a call sends at once (with every
call queued so far) while fewer than ``in_flight`` batches are on their way; otherwise it
waits for the next batch, which leaves as soon as one returns (one round trip for all the
calls in it). Scripts run one after another on the server, so two calls with the same key
still dedup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["ScriptBatches"]

_Call = tuple[Sequence[str], Sequence[Any], "asyncio.Future[Any]"]


class ScriptBatches:
    """Calls of one Lua script, pipelined in batches on ``client``."""

    def __init__(self, client: Redis, body: str, *, in_flight: int = 4) -> None:
        self.client = client
        self.body = body
        self.in_flight = in_flight
        self._sha: str | None = None
        self._queue: list[_Call] = []
        self._sending = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.batches = 0
        """How many round trips were made (for tests and benches)."""

    async def call(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """The script's reply for ``keys`` / ``args`` (its error raised)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((keys, args, future))
        if self._sending < self.in_flight:  # room on the way: send now, in this task
            self._sending += 1
            await self._send_batch()
        return await future

    async def _send_batch(self) -> None:
        batch, self._queue = self._queue, []
        try:
            await self._send(batch)
        except BaseException as exc:
            failure = exc if isinstance(exc, Exception) else ConnectionError(
                "sending the batch was cancelled")
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
        finally:
            if self._queue:  # made while the batches were on their way: the next batch
                task = asyncio.create_task(self._send_batch())
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                self._sending -= 1

    async def _send(self, batch: list[_Call]) -> None:
        from redis.exceptions import NoScriptError
        if self._sha is None:
            self._sha = str(await self.client.script_load(self.body))
        replies = await self._pipelined(batch)
        if any(isinstance(r, NoScriptError) for r in replies):  # the server lost its scripts
            self._sha = str(await self.client.script_load(self.body))
            again = [call for call, r in zip(batch, replies, strict=True)
                     if isinstance(r, NoScriptError)]
            retried = iter(await self._pipelined(again))
            replies = [next(retried) if isinstance(r, NoScriptError) else r for r in replies]
        for (_, _, future), reply in zip(batch, replies, strict=True):
            if future.done():
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    async def _pipelined(self, batch: list[_Call]) -> list[Any]:
        assert self._sha is not None
        self.batches += 1
        pipe = self.client.pipeline(transaction=False)
        for keys, args, _ in batch:
            pipe.evalsha(self._sha, len(keys), *keys, *args)
        return list(await pipe.execute(raise_on_error=False))
