"""Counts of what a bot's event loop did, for the benches (``BENCH_LOOP_COUNTS=1``).

``install()`` wraps the running loop (asyncio's own, not uvloop) so that it counts:

- ``turns``: loop iterations (``_run_once``);
- ``waits``: iterations that asked the selector to block (a timeout other than 0): each is
  one time the loop went idle and had to be woken (by a socket, a timer, another thread);
- ``callbacks``: handles run (``call_soon``'d callbacks, timers, task steps);
- ``timers``: ``call_at`` / ``call_later`` scheduled;
- ``tasks``: tasks created.

With ``BENCH_LOOP_COUNTS=detail`` it also counts what each callback was (a task's
coroutine and where it was suspended, or the function), and what ran first after each wait
(what woke the loop), under ``detail``. ``snapshot()`` reads them. Bench-only: it reaches
into asyncio's private loop methods.
"""

from __future__ import annotations

import asyncio
import asyncio.events
import os
import sys
from collections import Counter
from typing import Any

__all__ = ["install", "snapshot"]

COUNTS = {"turns": 0, "waits": 0, "callbacks": 0, "timers": 0, "tasks": 0}
DETAIL: Counter[str] = Counter()
TRACE: list[list[str]] = []  # BENCH_LOOP_COUNTS=trace: the callbacks of the last turns


def describe(callback: Any) -> str:
    """A task's step: its coroutine and where it waited; otherwise the function's name."""
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro: Any = owner.get_coro()
        name, frame = getattr(coro, "__qualname__", "?"), None
        while coro is not None and getattr(coro, "cr_frame", None) is not None:
            frame, coro = coro.cr_frame, coro.cr_await
        where = f"{frame.f_code.co_qualname}:{frame.f_lineno}" if frame is not None else "start"
        return f"task {name} @ {where}"
    name = getattr(callback, "__qualname__", None) or type(callback).__qualname__
    return f"{type(owner).__qualname__}.{name}" if owner is not None and \
        not isinstance(owner, type(os)) else str(name)


def install() -> None:
    loop: Any = asyncio.get_running_loop()
    mode = os.environ.get("BENCH_LOOP_COUNTS")
    counts, detail, trace = COUNTS, mode in ("detail", "trace"), mode == "trace"
    woke = [False]
    run_once, select = loop._run_once, loop._selector.select
    call_at = loop.call_at

    def counted_run_once() -> None:
        counts["turns"] += 1
        if trace:
            TRACE.append([])
            del TRACE[:-300]
        run_once()

    def counted_select(timeout: float | None = None) -> Any:
        if timeout is None or timeout > 0:
            counts["waits"] += 1
            woke[0] = True
            if trace:
                TRACE.append([f"-- waited (timeout {timeout})"])
        return select(timeout)

    def counted_call_at(when: float, callback: Any, *args: Any, context: Any = None) -> Any:
        counts["timers"] += 1
        if detail:
            frame = sys._getframe(1)
            while frame.f_back is not None and frame.f_code.co_filename.endswith(
                    ("asyncio/base_events.py", "asyncio/tasks.py", "loop_counts.py")):
                frame = frame.f_back
            DETAIL[f"timer from {frame.f_code.co_qualname}:{frame.f_lineno}"] += 1
        return call_at(when, callback, *args, context=context)

    def task_factory(loop: Any, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        counts["tasks"] += 1
        return asyncio.Task(coro, loop=loop, **kwargs)

    handle_run = asyncio.events.Handle._run

    def counted_handle_run(self: Any) -> None:
        counts["callbacks"] += 1
        if detail:
            what = describe(self._callback)
            if trace and TRACE:
                TRACE[-1].append(what)
            DETAIL[what] += 1
            if woke[0]:
                woke[0] = False
                DETAIL["woken by " + what] += 1
        handle_run(self)

    loop._run_once = counted_run_once
    loop._selector.select = counted_select
    loop.call_at = counted_call_at
    loop.set_task_factory(task_factory)
    asyncio.events.Handle._run = counted_handle_run  # type: ignore[method-assign]


def snapshot() -> dict[str, Any]:
    if TRACE:
        return {**COUNTS, "detail": dict(DETAIL), "trace": TRACE[:]}
    return {**COUNTS, "detail": dict(DETAIL)} if DETAIL else dict(COUNTS)
