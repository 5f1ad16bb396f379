"""Per-conversation concurrency: what happens when a message arrives while a turn runs.

``serial`` (default) queues turns; ``parallel`` runs them side by side; ``drop`` discards a
turn that arrives while one runs; ``queue`` runs the handler once more after the running
turn, with the newest message and the ones it skipped (``ctx.skipped``).

Exclusion goes through the store (``turn:<conversation>`` locks with a TTL and a heartbeat),
so it holds across processes sharing a SQLite file or Redis. Queued messages wait in the
store (``turnq:<conversation>``) so another process's turn can pick them up. Clicks never
take the turn lock: an ``await_choice`` inside a turn waits for one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import types
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from botkit import keys
from botkit.codec import decode_event, encode_event
from botkit.errors import RunSuspended, UserError
from botkit.events import MessageEvent

if TYPE_CHECKING:
    from botkit.inbox.replicas import Replicas
    from botkit.store.base import StateStore

__all__ = ["Concurrency", "TurnGate"]

log = logging.getLogger("botkit")
Concurrency = Literal["serial", "parallel", "drop", "queue"]
POLICIES: tuple[str, ...] = get_args(Concurrency)
QUEUE_TTL = 3600.0
KEEP_LOCAL = 1000
Body = Callable[[MessageEvent, tuple[MessageEvent, ...]], Awaitable[None]]
"""A turn's work, called with its message and the ones it stands for (``ctx.skipped``).
A body with a ``failed(exc)`` coroutine method has what it raised answered by it, in the
gate's frame (the dispatch pipeline's turn of handlers); any other body's errors go up."""


T = TypeVar("T")


def started(coro: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
    """``coro`` run now, up to where it first waits: a finished future when it did not wait
    (the memory store's lock calls never do: no task, no loop turn), else a task that goes
    on from there, as ``asyncio.ensure_future`` would have made (shield it alike)."""
    try:
        yielded = coro.send(None)
    except StopIteration as done:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        future.set_result(done.value)
        return future
    except asyncio.CancelledError:
        future = asyncio.get_running_loop().create_future()
        future.cancel()
        return future
    except Exception as exc:
        future = asyncio.get_running_loop().create_future()
        future.set_exception(exc)
        return future
    return asyncio.ensure_future(_going_on(coro, yielded))


async def _going_on(coro: Coroutine[Any, Any, T], yielded: Any) -> T:
    return await _resumed(coro, yielded)


@types.coroutine
def _resumed(coro: Coroutine[Any, Any, T], yielded: Any) -> Generator[Any, Any, T]:
    """The rest of ``coro``, which gave ``yielded`` (what it waits on) when it was started:
    passed up to the task, and what the task sends or throws passed down."""
    while True:
        try:
            sent = yield yielded
        except BaseException as exc:  # cancellation too: ``coro`` sees it where it waits
            try:
                yielded = coro.throw(exc)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
        else:
            try:
                yielded = coro.send(sent)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]


async def _failed(body: Body, exc: Exception | RunSuspended) -> None:
    failed = getattr(body, "failed", None)
    if failed is None:
        raise exc
    await failed(exc)


class TurnGate:
    def __init__(self, store: Callable[[], StateStore], policy: str, lock_ttl: float) -> None:
        if policy not in POLICIES:
            raise UserError(f"concurrency must be one of {', '.join(POLICIES)}, not {policy!r}")
        if not lock_ttl > 0:
            raise UserError("lock_ttl must be a positive number of seconds")
        self._store = store
        self.policy = policy
        self.lock_ttl = lock_ttl
        self._locks: dict[str, list[asyncio.Future[None]] | None] = {}
        """Conversations with a serial turn here: the turns waiting behind it, in order
        (None: none, so a turn alone costs no lock object while it waits for a person)."""
        self._waiting: dict[str, MessageEvent] = {}  # queued here: event id -> the original
        self._beating: dict[str, str] = {}
        """The turn locks held here (key -> token), all kept alive by ``_heartbeat``."""
        self._beat: asyncio.Task[None] | None = None
        self.owners: Replicas | None = None
        """Set by the durable inbox: turn locks are recorded with this process's id."""

    async def run(self, event: MessageEvent, body: Body) -> None:
        key = event.conversation.id
        if self.policy == "parallel":
            try:
                await body(event, ())
            except (Exception, RunSuspended) as exc:
                await _failed(body, exc)
        elif self.policy == "serial":
            # the lock is held in this frame, not in a nested coroutine: a turn waiting
            # for a person keeps its frames for hours, thousands of them at once
            waiter = self._local(key)
            try:
                if waiter is not None:
                    await waiter  # an earlier turn here: this one comes after it
                token = await self._acquire_waiting(key)
                owners = await self._enter(key, token)
                try:
                    await body(event, ())  # awaited here: no frame of its own
                except (Exception, RunSuspended) as exc:
                    await _failed(body, exc)
                finally:
                    await self._leave(key, token, owners)
            finally:
                self._unlocal(key, waiter)
        elif self.policy == "drop":
            taken = await self._take(key)
            if taken is None:
                log.info("a turn is running in %s: message %s dropped", key, event.event_id)
                return
            await self._holding(key, taken, event, body)
        else:
            await self._queue(key, event, body)

    async def _queue(self, key: str, event: MessageEvent, body: Body) -> None:
        store = self._store()
        self._waiting[event.event_id] = event
        while len(self._waiting) > KEEP_LOCAL:
            del self._waiting[next(iter(self._waiting))]
        await store.list_append(keys.turn_queue(key), encode_event(event), ttl=QUEUE_TTL)
        while True:
            token = await self._take(key)
            if token is None:
                return  # the running turn (here or in another process) picks it up
            await self._holding(key, token, None, body)
            if await store.list_len(keys.turn_queue(key)) == 0:
                return  # else: a message arrived while releasing; take the lock again

    def _original(self, data: Mapping[str, Any]) -> MessageEvent:
        """The event object itself when it arrived here, else rebuilt from the store."""
        event = self._waiting.pop(data["event_id"], None)
        if event is not None:
            return event
        decoded = decode_event(data)
        if not isinstance(decoded, MessageEvent):
            raise ValueError(f"a queued turn holds a {type(decoded).__name__}, not a message")
        return decoded

    def _local(self, key: str) -> asyncio.Future[None] | None:
        """In-process FIFO order for serial turns (only one local waiter polls the store):
        None when no other turn is here, else a future resolved when this one's turn comes.
        ``_unlocal`` when done."""
        if key not in self._locks:
            self._locks[key] = None
            return None
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        line = self._locks[key]
        if line is None:
            line = self._locks[key] = []
        line.append(waiter)
        return waiter

    def _unlocal(self, key: str, waiter: asyncio.Future[None] | None) -> None:
        """The turn that ``_local`` gave ``waiter`` ends: the next in line goes on (or, when
        it gave up waiting, it leaves the line)."""
        line = self._locks[key]
        if waiter is not None and (not waiter.done() or waiter.cancelled()):
            if line is not None and waiter in line:  # cancelled before its turn came
                line.remove(waiter)
            return
        while line:
            following = line.pop(0)
            if not following.done():
                following.set_result(None)
                return
        del self._locks[key]

    async def _acquire_waiting(self, key: str) -> str:
        delay = 0.005
        while (token := await self._take(key)) is None:
            await asyncio.sleep(delay)  # held by another process: poll, backing off
            delay = min(delay * 2, 0.25)
        return token

    async def _take(self, key: str) -> str | None:
        """Try the turn lock once, cancel-safe: the store may grant the lock just as the
        turn is cancelled (a web run cancelled as it starts); the lock is then given back
        instead of blocking the conversation until its TTL."""
        store = self._store()
        attempt = started(store.acquire_lock(keys.turn_lock(key), ttl=self.lock_ttl))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                token = await attempt
                if token is not None:
                    await store.release_lock(keys.turn_lock(key), token)
            raise

    async def _holding(self, key: str, token: str, event: MessageEvent | None,
                       body: Body) -> None:
        """Run ``body`` holding the turn lock ``token``: for ``event``, or (None) for the
        messages queued in the store until none is left."""
        owners = await self._enter(key, token)
        try:
            if event is not None:
                try:
                    await body(event, ())
                except (Exception, RunSuspended) as exc:
                    await _failed(body, exc)
            else:
                store = self._store()
                while pending := await store.list_pop_all(keys.turn_queue(key)):
                    events = [self._original(e) for e in pending]
                    try:
                        await body(events[-1], tuple(events[:-1]))
                    except (Exception, RunSuspended) as exc:
                        await _failed(body, exc)
        finally:
            await self._leave(key, token, owners)

    async def _enter(self, key: str, token: str) -> Replicas | None:
        """The turn lock ``token`` is held here: keep it alive (and, with the durable inbox,
        record who holds it, for crash recovery). Pair with ``_leave``."""
        owners = self.owners
        self._beating[key] = token
        beat = self._beat  # one heartbeat for all the locks held here (in this loop)
        if beat is None or beat.done() or beat.get_loop() is not asyncio.get_running_loop():
            self._beat = asyncio.create_task(self._heartbeat())
        if owners is not None:
            try:
                await owners.record(keys.turn_lock(key), token)
            except BaseException:
                await self._leave(key, token, owners)
                raise
        return owners

    async def _leave(self, key: str, token: str, owners: Replicas | None) -> None:
        """Give the turn lock ``token`` back; a cancelled turn still gives it back, then
        ends."""
        if self._beating.get(key) == token:
            del self._beating[key]
        if not self._beating and self._beat is not None:
            self._beat.cancel()
            self._beat = None
        release = started(self._release(key, token, owners))
        try:
            await asyncio.shield(release)
        except asyncio.CancelledError:
            await release
            raise

    async def _release(self, key: str, token: str, owners: Replicas | None) -> None:
        try:
            await self._store().release_lock(keys.turn_lock(key), token)
            if owners is not None:
                await owners.forget(keys.turn_lock(key))
        except Exception:
            log.exception("could not release the turn lock of %s", key)

    async def _heartbeat(self) -> None:
        """Extend every turn lock held here each ``lock_ttl / 3`` (one task for all of
        them, not one per turn: a turn waiting for a person holds its lock for hours)."""
        loop = asyncio.get_running_loop()
        every = self.lock_ttl / 3
        began = loop.time()
        while self._beating:
            await asyncio.sleep(max(0.0, every - (loop.time() - began)))
            began = loop.time()
            for key, token in list(self._beating.items()):
                if self._beating.get(key) != token:
                    continue  # released meanwhile
                try:
                    held = await self._store().extend_lock(keys.turn_lock(key), token,
                                                           ttl=self.lock_ttl)
                except Exception:
                    log.exception("could not extend the turn lock of %s", key)
                    continue
                if not held and self._beating.get(key) == token:
                    del self._beating[key]
                    log.warning("the turn lock of %s expired before its heartbeat: another "
                                "turn may run alongside this one (raise lock_ttl?)", key)
        if self._beat is asyncio.current_task():
            self._beat = None
