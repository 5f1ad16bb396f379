"""Running web threads' turns: each run is a background task with a record and a feed.

Message and resume runs of one thread run one after another in this process (a run that
arrives while another goes waits its turn, is refused with ``multitask_strategy "reject"``,
or cancels the running ones first with ``"interrupt"``/``"rollback"``); action runs (a
click, a choice answered) never wait, since the run they answer is the one holding the turn.

Whatever happens to a run — it ends, fails, is cancelled while queued or running, or the
bot stops — its feed is closed (its end relayed to other processes) and then its final
record saved, so followers never hang. ``feed_for`` finds a run's feed here or mirrors a run
going on in another process (``botkit_web.relay``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import ag_ui.core as agui

from botkit import ThreadsError
from botkit.run.result import RunResult
from botkit.types import PlatformUser
from botkit_web.relay import Mirrors
from botkit_web.runs import Feeds, RunFeed, RunKind, RunLog, WebRun
from botkit_web.surface import CURRENT, RunSurface
from botkit_web.waiting import Waiting

if TYPE_CHECKING:
    from botkit.adapter import BotHandle

__all__ = ["Outcome", "RunBusy", "RunEngine", "Work", "failure_reference"]

log = logging.getLogger("botkit.web")


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How a run's work ended, from the work's own result."""

    status: Literal["success", "error", "interrupted"]
    interrupts: tuple[agui.Interrupt, ...] = ()
    error: str | None = None
    """An opaque reference shown to clients (details in the log)."""

    @classmethod
    def of(cls, results: Sequence[RunResult], run_id: str) -> Outcome:
        """The web run's outcome from the agent runs it made (the core's ``RunResult``s,
        from ``WebAdapter.run_ended``): the last one decides; none ran: success."""
        if not results or results[-1].status == "completed":
            return cls(status="success")
        last = results[-1]
        if last.status == "interrupted":
            return cls(status="interrupted", interrupts=tuple(
                agui.Interrupt.model_validate(i) for i in last.interrupts))
        ref = uuid.uuid4().hex[:8]
        log.error("web run %s: the agent run %s ended %s (error %s): %s", run_id,
                  last.run_id, last.status, ref, last.error)
        return cls(status="error", error=f"the agent run failed (error {ref})")


Work = Callable[[RunSurface], Awaitable[Outcome]]
Prepare = Callable[[str], Awaitable[None]]


class RunBusy(ThreadsError):
    """A run is going in this thread and the new one asked not to wait (HTTP 409)."""


def failure_reference(what: str) -> str:
    """Log the exception being handled under a short reference; return the client text."""
    ref = uuid.uuid4().hex[:8]
    log.exception("%s (error %s)", what, ref)
    return f"the run failed (error {ref})"


class _TurnLocks:
    """One lock per thread, dropped once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, thread_id: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(thread_id, (asyncio.Lock(), 0))
        self._locks[thread_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[thread_id]
            if users <= 1:
                del self._locks[thread_id]
            else:
                self._locks[thread_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


class RunEngine:
    def __init__(self, bot: BotHandle) -> None:
        self.bot = bot
        self.feeds = Feeds()
        self.turns = _TurnLocks()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._active: dict[str, set[str]] = {}
        self.log = RunLog(bot.records.store)
        self.mirrors = Mirrors(bot.records.store, self.feeds, self.log,
                               on_cancel=self.cancel)

    def active(self, thread_id: str) -> list[str]:
        return sorted(self._active.get(thread_id, ()))

    async def start(self, thread_id: str, work: Work, *, kind: RunKind,
                    user: PlatformUser | None, assistant_id: str = "botkit",
                    metadata: Mapping[str, Any] | None = None, strategy: str = "enqueue",
                    run_id: str | None = None, prepare: Prepare | None = None) -> WebRun:
        """Record the run and start it. The strategy check and the run's registration
        happen together (no await between), then ``prepare(run_id)`` (storing the user's
        messages: a failure there refuses the run), then ``interrupt``/``rollback`` cancel
        the thread's other runs."""
        if strategy == "reject" and kind != "action" and self.active(thread_id):
            raise RunBusy(f"thread {thread_id!r} has a run in progress "
                          "(multitask_strategy 'reject')")
        run = WebRun(run_id=run_id or WebRun.new_id(), thread_id=thread_id,
                     assistant_id=assistant_id, kind=kind, user=user,
                     metadata=dict(metadata or {}), multitask_strategy=strategy,
                     owner=self.mirrors.process if self.mirrors.streams else None)
        active = self._active.setdefault(thread_id, set())
        active.add(run.run_id)
        try:
            if prepare is not None:
                await prepare(run.run_id)
            if strategy in ("interrupt", "rollback") and kind != "action":
                for other in sorted(active - {run.run_id}):
                    self.cancel(other)
            await self.log.add(run)
        except BaseException:
            self._release(run)
            raise
        feed = self.feeds.open(run, self.mirrors.relay(run))
        self._tasks[run.run_id] = self.bot.spawn(self._execute(feed, work),
                                                 name=f"web-run-{run.run_id}")
        return run

    def _release(self, run: WebRun) -> None:
        self._tasks.pop(run.run_id, None)
        active = self._active.get(run.thread_id, set())
        active.discard(run.run_id)
        if not active:
            self._active.pop(run.thread_id, None)

    async def wait(self, run: WebRun, *, poll: float = 0.5) -> WebRun:
        """The run's record once it finished: waiting for its task in this process, or
        reading the store until another process finishes it. Cancelling the caller
        cancels the wait, never the run."""
        task = self._tasks.get(run.run_id)
        if task is not None:
            await asyncio.wait({task})
        feed = self.feeds.get(run.run_id)
        if feed is not None and feed.done:
            return feed.run
        delay = 0.02
        while True:
            found = await self.log.get(run.thread_id, run.run_id)
            if found is None or found.finished:
                return found or run
            await asyncio.sleep(delay)
            delay = min(delay * 2, poll)

    async def feed_for(self, run: WebRun) -> RunFeed | None:
        """The run's live feed, wherever it runs; None once it finished and its events
        are gone (only its final record and the thread's messages are left)."""
        return await self.mirrors.feed(run)

    async def open(self) -> None:
        """Start hearing other processes (the adapter starts): runs started here name
        this process by its id in the store's heartbeat registry (``bot.heartbeat``)."""
        process = await self.bot.heartbeat() if self.mirrors.streams else None
        self.mirrors.start(process)

    async def take_over(self, run: WebRun, work: Work | None, notice: str) -> None:
        """Go on here with a run this process took over from a stopped one (its record
        already names this process): what it showed is carried on (an unfinished reply
        cut off with ``notice``), then ``work`` runs it again, or it ends as an error
        saying ``notice`` when it cannot be run again (None)."""
        feed = self.feeds.open(run, self.mirrors.relay(run))
        surface = RunSurface(feed)
        self._active.setdefault(run.thread_id, set()).add(run.run_id)
        try:
            await surface.carry_on(await self.mirrors.stored(run), notice)
        except Exception:
            log.exception("could not show what web run %s had shown", run.run_id)
        if work is None:
            try:
                await self._finish(surface, run.moved("error", error=notice))
            finally:
                self._release(run)
                self.feeds.finished(run.run_id)
            return
        self._tasks[run.run_id] = self.bot.spawn(self._execute(feed, work, surface),
                                                 name=f"web-run-{run.run_id}")

    async def close(self) -> None:
        """Stop following other processes' runs (the adapter stops)."""
        await self.mirrors.close()

    def here(self, run_id: str) -> bool:
        """Whether the run goes in this process."""
        task = self._tasks.get(run_id)
        return task is not None and not task.done()

    def cancel(self, run_id: str) -> bool:
        """Cancel a run going in this process (False when none does)."""
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    async def cancel_anywhere(self, run: WebRun) -> bool:
        """Cancel the run here, or ask the process running it to (through the store).
        False when it runs nowhere that can be asked (it ended, or an unknown owner)."""
        return self.cancel(run.run_id) or await self.mirrors.request_cancel(run)

    async def _execute(self, feed: RunFeed, work: Work,
                       surface: RunSurface | None = None) -> None:
        run = feed.run
        surface = surface or RunSurface(feed)
        final: WebRun | None = None
        try:
            if run.kind == "action":
                final = await self._go(surface, work)
            else:
                async with self.turns.hold(run.thread_id):
                    final = await self._go(surface, work)
        except asyncio.CancelledError:  # cancelled while queued: it never ran
            _uncancel()
            final = run.moved("cancelled", cancel_reason="cancelled")
        except Exception:
            final = run.moved("error", error=failure_reference(f"web run {run.run_id}"))
        finally:
            await self._finish(surface, final or run.moved("cancelled",
                                                           cancel_reason="cancelled"))
            self._release(run)
            self.feeds.finished(run.run_id)

    async def _go(self, surface: RunSurface, work: Work) -> WebRun:
        run = surface.feed.run.moved("running")
        await self.log.save(run)
        await surface.start()
        token = CURRENT.set(surface)
        try:
            outcome = await work(surface)
        except asyncio.CancelledError:
            _uncancel()
            return run.moved("cancelled", cancel_reason="cancelled")
        except Exception:
            return run.moved("error", error=failure_reference(f"web run {run.run_id}"))
        finally:
            CURRENT.reset(token)
        if outcome.status == "interrupted":
            await Waiting(self.bot.records.store).save(run, outcome.interrupts)
            return run.moved("interrupted", interrupts=outcome.interrupts)
        if outcome.status == "error":
            return run.moved("error", error=outcome.error or "the run failed")
        return run.moved("success")

    async def _finish(self, surface: RunSurface, run: WebRun) -> None:
        try:
            await surface.start()
            await surface.close_open()
            with contextlib.suppress(Exception):
                state = await self.bot.records.read_state(run.thread_id)
                if state:
                    await surface.emit(agui.StateSnapshotEvent(snapshot=state))
            if run.status == "error":
                await surface.emit(agui.RunErrorEvent(message=run.error or "the run failed"))
            else:
                await surface.emit(agui.RunFinishedEvent(
                    thread_id=run.thread_id, run_id=run.run_id, outcome=_outcome(run)))
        except Exception:
            log.exception("could not show the end of web run %s", run.run_id)
        finally:
            try:
                await surface.feed.close(run)  # the relayed end comes before the record
                await self.log.save(run)
            except Exception:
                log.exception("could not record the end of web run %s", run.run_id)


def _outcome(run: WebRun) -> agui.RunFinishedOutcome | None:
    if run.status == "interrupted":
        return agui.RunFinishedInterruptOutcome(interrupts=list(run.interrupts))
    if run.status == "cancelled":
        return agui.RunFinishedCancelledOutcome()
    return None


def _uncancel() -> None:
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()
