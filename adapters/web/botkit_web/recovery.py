"""Taking over the runs of a process that stopped (a crash, SIGKILL, a lost machine).

Every unfinished web run is in the store's index of live runs (``web:live:<thread>:<run>``,
written with its record, dropped when the record says it finished), and its record names
the process running it (``WebRun.owner``: that process's id in the store's heartbeat
registry, ``BotHandle.heartbeat``). Each live process looks at the index when it starts
and every ``RECOVER_EVERY`` seconds; a run whose owner's heartbeat expired is taken over by
a compare-and-set of its record (owner: this process), so exactly one living process takes
it, however many look at once.

The taker carries on the run's feed from its stream (a reply the stopped process was
writing is cut off with a notice and ended; followers anywhere see that, then the rest).
A ``message`` run whose user message is stored is run again: the bot's messages the stopped
process stored for it are deleted (announced to followers), the thread leaves the ``busy``
state the dead run left it in, and the bot's turn on the stored message goes once more (its
client ``context``, ``forwardedProps`` and ``state`` were not stored and are not sent
again; tools the dead run called may be called again). Other runs (``resume``, ``action``,
a message run whose message is gone) end as ``error`` ("the process running this run
stopped"), so every follower and waiter sees the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from botkit.errors import InteractionExpired, UserError
from botkit_web.keys import live_prefix, run_key
from botkit_web.runs import WebRun

if TYPE_CHECKING:
    from botkit_web.engine import RunEngine, Work

__all__ = ["RECOVER_EVERY", "STOPPED", "Recovery"]

log = logging.getLogger("botkit.web")
RECOVER_EVERY = 2.0
STOPPED = "the process running this run stopped"
Rebuild = Callable[[WebRun], Awaitable["Work | None"]]


class Recovery:
    """This process's watch over other processes' runs (see the module's doc)."""

    def __init__(self, engine: RunEngine, rebuild: Rebuild, *,
                 every: float = RECOVER_EVERY) -> None:
        self.engine, self.rebuild, self.every = engine, rebuild, every
        self.store = engine.log.store
        self._task: asyncio.Task[None] | None = None

    @property
    def process(self) -> str:
        return self.engine.mirrors.process

    def start(self) -> Recovery:
        """Look now, then every ``every`` seconds (only on a store shared by processes:
        one with streams, where runs name their process)."""
        if self.engine.mirrors.streams is not None and self._task is None:
            self._task = asyncio.create_task(self._watch(), name="web-run-recovery")
        return self

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                log.warning("looking for runs of stopped processes failed; retrying",
                            exc_info=True)
            await asyncio.sleep(self.every)

    async def check(self) -> list[str]:
        """Take over every unfinished run whose process stopped; the run ids taken."""
        keys = await self.store.scan(live_prefix())
        entries = await self.store.get_many(keys)
        found: list[tuple[str, WebRun | None]] = []
        wanted = [(k, e) for k, e in zip(keys, entries, strict=True) if _entry(e)]
        records = await self.store.get_many([run_key(e["thread_id"], e["run_id"])
                                             for _, e in wanted])
        for (key, _), data in zip(wanted, records, strict=True):
            found.append((key, None if data is None else WebRun.from_store(data)))
        alive: dict[str, bool] = {self.process: True}
        taken = []
        for key, run in sorted(found, key=lambda f: f[1].created_at if f[1] else 0.0):
            if run is None or run.finished:
                await self.store.delete(key)  # its record is gone or says it ended
                continue
            owner = run.owner
            if owner is None or owner == self.process:
                continue
            if owner not in alive:
                alive[owner] = await self.engine.bot.replica_alive(owner)
            if not alive[owner] and await self.take(run):
                taken.append(run.run_id)
        return taken

    async def take(self, run: WebRun) -> bool:
        """Take ``run`` over (True for exactly one of several callers) and go on with it."""
        mine = run.model_copy(update={"owner": self.process, "updated_at": time.time()})
        if not await self.store.compare_and_set(run_key(run.thread_id, run.run_id),
                                                run.to_store(), mine.to_store()):
            return False  # another process took it, or its own process moved it on
        work: Work | None = None
        try:
            work = await self.rebuild(mine)
        except Exception:
            log.exception("web run %s cannot be run again", run.run_id)
        log.warning("web run %s (thread %s, %s) was left %s by stopped process %s: %s",
                    run.run_id, run.thread_id, run.kind, run.status, run.owner,
                    "running it again" if work is not None else "it ends as an error")
        try:
            await self.engine.bot.release_stopped_turns()  # else a re-run waits out lock_ttl
            await self.settle(mine)
        except Exception:
            log.exception("could not settle thread %s", run.thread_id)
        await self.engine.take_over(
            mine, work, f"{STOPPED}; answering again" if work is not None else STOPPED)
        return True

    async def settle(self, run: WebRun) -> None:
        """The thread the stopped run left ``busy`` goes back to ``interrupted`` (an
        interrupt waits) or ``idle`` — unless another of its runs is going somewhere."""
        for other in await self.engine.log.list(run.thread_id, limit=50):
            if other.finished or other.run_id == run.run_id:
                continue
            if other.owner == self.process and self.engine.here(other.run_id):
                return
            if other.owner not in (None, self.process) and \
                    await self.engine.bot.replica_alive(other.owner):
                return
        try:
            await self.engine.bot.check_resume(run.thread_id)
            waiting = True
        except InteractionExpired:
            waiting = False
        except UserError:  # something waits, the empty answer just does not fit it
            waiting = True

        def edit(record: dict[str, Any] | None) -> dict[str, Any] | None:
            if record is None or record.get("status") != "busy":
                return None
            return {**record, "status": "interrupted" if waiting else "idle",
                    "current_run": None, "live_runs": []}
        await self.engine.bot.records.edit_thread_record(run.thread_id, edit)


def _entry(value: Any) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict) and isinstance(value.get("thread_id"), str) \
        and isinstance(value.get("run_id"), str)
