"""Running web threads' turns: each run is a background task with a record and a feed.

Message and resume runs of one thread run one after another in this process (a run that
arrives while another goes waits its turn, or is refused with ``multitask_strategy
"reject"``); action runs (a click, a choice answered) never wait, since the run they answer
is the one holding the turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui

from botkit.errors import BotkitError
from botkit.types import PlatformUser
from botkit_web.runs import Feeds, RunFeed, RunKind, RunLog, WebRun
from botkit_web.surface import CURRENT, RunSurface

if TYPE_CHECKING:
    from botkit.bot import Bot

__all__ = ["RunBusy", "RunEngine", "Work"]

log = logging.getLogger("botkit.web")
Work = Callable[[RunSurface], Awaitable[None]]


class RunBusy(BotkitError):
    """A run is going in this thread and the new one asked not to wait (HTTP 409)."""


class RunEngine:
    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.feeds = Feeds()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._turns: dict[str, asyncio.Lock] = {}
        self._active: dict[str, set[str]] = {}

    @property
    def log(self) -> RunLog:
        return RunLog(self.bot.store)

    def active(self, thread_id: str) -> list[str]:
        return sorted(self._active.get(thread_id, ()))

    async def start(self, thread_id: str, work: Work, *, kind: RunKind,
                    user: PlatformUser | None, assistant_id: str = "botkit",
                    metadata: Mapping[str, Any] | None = None, strategy: str = "enqueue",
                    run_id: str | None = None) -> WebRun:
        if strategy == "reject" and kind != "action" and self.active(thread_id):
            raise RunBusy(f"thread {thread_id!r} has a run in progress "
                          "(multitask_strategy 'reject')")
        run = WebRun(run_id=run_id or WebRun.new_id(), thread_id=thread_id,
                     assistant_id=assistant_id, kind=kind, user=user,
                     metadata=dict(metadata or {}), multitask_strategy=strategy)
        await self.log.add(run)
        feed = self.feeds.open(run)
        self._active.setdefault(thread_id, set()).add(run.run_id)
        self._tasks[run.run_id] = self.bot.spawn(self._execute(feed, work))
        return run

    async def wait(self, run: WebRun) -> WebRun:
        """The run's record once it finished (waiting here when it runs in this process)."""
        task = self._tasks.get(run.run_id)
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)
        feed = self.feeds.get(run.run_id)
        if feed is not None and feed.done:
            return feed.run
        found = await self.log.get(run.thread_id, run.run_id)
        return found or run

    def cancel(self, run_id: str) -> bool:
        task = self._tasks.get(run_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def _turn(self, thread_id: str) -> asyncio.Lock:
        return self._turns.setdefault(thread_id, asyncio.Lock())

    async def _execute(self, feed: RunFeed, work: Work) -> None:
        run = feed.run
        try:
            if run.kind == "action":
                await self._go(feed, work)
            else:
                async with self._turn(run.thread_id):
                    await self._go(feed, work)
        finally:
            self._tasks.pop(run.run_id, None)
            active = self._active.get(run.thread_id, set())
            active.discard(run.run_id)
            if not active:
                self._active.pop(run.thread_id, None)

    async def _go(self, feed: RunFeed, work: Work) -> None:
        run = feed.run.moved("running")
        await self.log.save(run)
        surface = RunSurface(feed)
        token = CURRENT.set(surface)
        store = self.bot.store
        interrupt_key = f"interrupt:{run.thread_id}"
        await surface.emit(agui.RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id))
        outcome: agui.RunFinishedOutcome | None = None
        failure: str | None = None
        try:
            before = await store.get(interrupt_key)
            await work(surface)
            after = await store.get(interrupt_key)
            if after is not None and after != before:
                interrupts = _interrupts(after, run.run_id)
                run = run.moved("interrupted", interrupts=tuple(
                    i.model_dump(by_alias=True, exclude_none=True) for i in interrupts))
                outcome = agui.RunFinishedInterruptOutcome(interrupts=interrupts)
            else:
                failure = await self._agent_failure(run)
                run = run.moved("error", error=failure) if failure else run.moved("success")
        except asyncio.CancelledError:
            run = run.moved("interrupted", cancel_reason="cancelled")
            outcome = agui.RunFinishedCancelledOutcome()
        except Exception as exc:
            log.exception("web run %s failed", run.run_id)
            failure = f"{type(exc).__name__}: {exc}"
            run = run.moved("error", error=failure)
        finally:
            CURRENT.reset(token)
        await surface.close_open()
        with contextlib.suppress(Exception):
            state = await self.bot.threads.read_state(run.thread_id)
            if state:
                await surface.emit(agui.StateSnapshotEvent(snapshot=state))
        if failure is not None:
            await surface.emit(agui.RunErrorEvent(message=failure))
        else:
            await surface.emit(agui.RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id,
                                                     outcome=outcome))
        try:
            await self.log.save(run)
        finally:
            await feed.close(run)

    async def _agent_failure(self, run: WebRun) -> str | None:
        """The error of an agent run this run made that failed (shown in the thread)."""
        try:
            record = await self.bot.threads.get(run.thread_id)
        except Exception:
            return None
        if record.status == "error" and (record.last_run_at or 0) >= run.created_at:
            return record.last_error or "the agent run failed"
        return None


def _interrupts(pending: Mapping[str, Any], run_id: str) -> list[agui.Interrupt]:
    if pending.get("channel") == "outcome":
        return [agui.Interrupt.model_validate(i) for i in pending.get("interrupts") or ()]
    # the legacy CUSTOM on_interrupt convention has no ids: one interrupt, named for the run
    return [agui.Interrupt(id=f"{run_id}:interrupt", reason=str(pending.get("event_name")),
                           metadata={"payload": pending.get("payload")})]
