"""Spreading a burst of CPU-bound starts over event-loop iterations.

A turn runs a little bookkeeping (thread record, history, the agent's input) before its
first real wait, and with the in-memory store nothing in it awaits I/O. 2,000 conversations
arriving together then run back to back in ONE loop iteration: a couple of seconds in which
no timer fires, no socket is read and no stream advances. The same happens when 2,000
streamed replies end together.

``FairShare.turn()`` lets such a burst through in slices: callers pass while the current
slice has run less than ``budget`` seconds; later ones queue, in order, and are let through a
slice at a time, each slice in its own loop iteration, after the timers and I/O that came
due. The loop's lag stays near ``budget`` plus one caller's step, whatever the burst. Outside
bursts ``turn()`` returns at once (one clock read).
"""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections import deque
from collections.abc import Callable

__all__ = ["FAIR", "FULL_PASS_EVERY", "FairShare", "serving_gc"]

FULL_PASS_EVERY = 100
"""Young collections between two full ones once serving (Python's default is 10)."""


class FairShare:
    """The gate; each event loop has its own slices and queue (bots may run in several
    threads, each with its loop)."""

    def __init__(self, budget: float = 0.005) -> None:
        self.budget = budget
        self._shares: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopShare] = \
            weakref.WeakKeyDictionary()

    def _share(self) -> _LoopShare:
        loop = asyncio.get_running_loop()
        share = self._shares.get(loop)
        if share is None:
            share = self._shares[loop] = _LoopShare(self)
        return share

    @property
    def waiting(self) -> int:
        """Callers queued for a later slice (in the running loop)."""
        try:
            return len(self._share().queue)
        except RuntimeError:  # no running loop
            return 0

    async def turn(self) -> None:
        """Return when the caller may run its next CPU-bound step."""
        await self._share().turn(asyncio.get_running_loop())


class _LoopShare:
    """One loop's slices and queue (it holds no reference to its loop, the key of
    ``FairShare._shares``)."""

    def __init__(self, gate: FairShare) -> None:
        self._gate = gate
        self.queue: deque[asyncio.Future[None]] = deque()
        self._slice_began: float | None = None
        self._passed = 0
        self._step = 0.0
        """Estimated seconds one caller runs once let through (0: not known yet)."""
        self._wake_handle: asyncio.Handle | None = None
        self._woken_at = 0.0
        self._woken = 0

    async def turn(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self.queue and self._open(loop):
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self.queue.append(waiter)
        if self._wake_handle is None:
            self._wake_handle = loop.call_soon(self._wake)
        try:
            await waiter
        except asyncio.CancelledError:
            if not waiter.done():
                self.queue.remove(waiter)
            raise

    def _open(self, loop: asyncio.AbstractEventLoop) -> bool:
        now = time.perf_counter()
        if self._slice_began is None:  # the first caller of this loop iteration
            self._slice_began, self._passed = now, 1
            loop.call_soon(self._end_slice)  # runs once this iteration's callbacks ran
            return True
        elapsed = now - self._slice_began
        if elapsed < self._gate.budget:
            self._passed += 1
            return True
        self._learn(elapsed / self._passed)
        return False

    def _end_slice(self) -> None:
        self._slice_began = None

    def _learn(self, step: float) -> None:
        self._step = step if not self._step else (self._step + step) / 2

    def _wake(self) -> None:
        """Let the next slice's callers through (they run in the next loop iteration)."""
        self._wake_handle = None
        now = time.perf_counter()
        if self._woken:  # the last slice's callers ran between the last wake and this one
            self._learn((now - self._woken_at) / self._woken)
        count = max(1, int(self._gate.budget / self._step)) if self._step else 1
        woken = 0
        while self.queue and woken < count:
            waiter = self.queue.popleft()
            if not waiter.done():
                waiter.set_result(None)
                woken += 1
        self._woken_at, self._woken = now, woken
        if self.queue:
            self._wake_handle = asyncio.get_running_loop().call_soon(self._wake)


FAIR = FairShare()
"""The share of the loop for turns starting and runs ending (one gate for the process; each
event loop has its own slices and queue)."""


def serving_gc() -> Callable[[], None]:
    """The garbage collector's settings for a process that serves (``Bot.serve`` applies
    them and puts the previous ones back when it returns; an app that embeds a bot may call
    this once it has started). Returns the function that puts them back.

    A full collection walks every live object, and 2,000 conversations in flight are some
    300,000 of them: 100–200 ms with the loop stopped. Python runs one whenever the heap
    has grown by a quarter since the last, so while conversations ramp up it stops the loop
    every few hundred milliseconds. Here what is loaded at start (modules, schemas, the
    bot) is left out of full passes (``gc.freeze``), and a full pass is considered every
    ``FULL_PASS_EVERY`` young collections instead of every 10. Garbage without cycles is
    freed at once as always; cycles wait longer for a full pass. Nested calls (several bots
    served in one process) apply the settings once; the last ``restore`` undoes them: the
    thresholds come back, and the objects frozen here are unfrozen unless something had
    frozen objects before (an app that froze before forking keeps what it froze, and
    what was frozen here stays frozen with it).
    """
    if not _SERVING:
        thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
        gc.freeze()
        young, middle, full = thresholds
        gc.set_threshold(young, middle, max(full, FULL_PASS_EVERY))
        _SERVING.append((thresholds, frozen))
    else:
        _SERVING.append(_SERVING[-1])
    done = False

    def restore() -> None:
        nonlocal done
        if done:
            return
        done = True
        thresholds, frozen = _SERVING.pop()
        if not _SERVING:
            gc.set_threshold(*thresholds)
            if not frozen:
                gc.unfreeze()
    return restore


_SERVING: list[tuple[tuple[int, int, int], int]] = []
"""The settings before ``serving_gc``, once per call not yet restored."""
