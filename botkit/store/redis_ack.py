"""The ack path on Redis: a thread of its own that sends the dedup-and-append calls in
pipelined batches over one blocking connection.

Every ``stream_add_once`` is one Lua script call (dedup mark and ``XADD`` in one atomic
step), and a platform waits for it. Measured under load (300 mentions/s, the event loop
busy with the turns' own store calls), a call on the store's shared async client took
three to four loop iterations: a free connection from the pool, the request, the reply,
each waiting for the loop to come round (p50 45–130 ms). Here the round trip happens on
this thread; the caller only waits for the one iteration that wakes it. The thread takes
every call queued since its last round trip and sends them pipelined (one round trip for
all of them); the server runs the scripts one after another, so two calls with the same
key still dedup. A store given a ready async ``client`` (no URL) calls the script on
that client instead.

The thread is a daemon and starts on first use; ``close`` ends it (after sending what is
queued).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

__all__ = ["AckLane"]

_Call = tuple[Sequence[str], Sequence[Any], "Future[Any]"]
TIMEOUT = 10.0  # seconds: a Redis that does not answer fails the calls (unacked: resent)


class AckLane:
    """Calls of one Lua script (``body``), pipelined in batches by a thread of its own."""

    def __init__(self, url: str, body: str) -> None:
        self.url = url
        self.body = body
        self.sha: str | None = None
        self.batches = 0
        """Round trips made so far (for tests and benches)."""
        self._queue: list[_Call] = []
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    async def call(self, keys: Sequence[str], args: Sequence[Any]) -> Any:
        """The script's reply for ``keys`` / ``args`` (its error raised)."""
        return await asyncio.wrap_future(self.submit(keys, args))

    def submit(self, keys: Sequence[str], args: Sequence[Any]) -> Future[Any]:
        """``call`` from any thread: the reply (or error) comes in the future."""
        future: Future[Any] = Future()
        with self._wake:
            if self._closed:
                raise ConnectionError("the Redis store is closed")
            self._queue.append((keys, args, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="botkit-redis-ack")
                self._thread.start()
            self._wake.notify()
        return future

    def _next(self) -> list[_Call] | None:
        with self._wake:
            while not self._queue and not self._closed:
                self._wake.wait()
            batch, self._queue = self._queue, []
        live = [call for call in batch if call[2].set_running_or_notify_cancel()]
        return live if live or not self._closed else None

    def _run(self) -> None:
        try:
            import redis
            client = redis.Redis.from_url(self.url, decode_responses=True,
                                          socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
        except Exception as exc:  # fail what waits; the next call starts a new thread
            with self._wake:
                waiting, self._queue, self._thread = self._queue, [], None
            for _, _, future in waiting:
                if future.set_running_or_notify_cancel():
                    future.set_exception(exc)
            return
        try:
            while (batch := self._next()) is not None:
                if batch:
                    self._send(client, batch)
        finally:
            client.close()

    def _send(self, client: Any, batch: list[_Call]) -> None:
        from redis.exceptions import NoScriptError
        try:
            if self.sha is None:
                self.sha = str(client.script_load(self.body))
            replies = self._pipelined(client, batch)
            if any(isinstance(r, NoScriptError) for r in replies):  # the server lost it
                self.sha = str(client.script_load(self.body))
                again = iter(self._pipelined(client, [c for c, r in zip(batch, replies,
                                                                         strict=True)
                                                      if isinstance(r, NoScriptError)]))
                replies = [next(again) if isinstance(r, NoScriptError) else r
                           for r in replies]
        except Exception as exc:
            for _, _, future in batch:
                future.set_exception(exc)
            return
        for (_, _, future), reply in zip(batch, replies, strict=True):
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def _pipelined(self, client: Any, batch: list[_Call]) -> list[Any]:
        self.batches += 1
        pipe = client.pipeline(transaction=False)
        for keys, args, _ in batch:
            pipe.evalsha(self.sha, len(keys), *keys, *args)
        return list(pipe.execute(raise_on_error=False))

    async def close(self) -> None:
        """Send what is queued, then end the thread (the next call starts another)."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None:
            await asyncio.to_thread(thread.join)
        with self._wake:
            self._closed = False
            self._thread = None
