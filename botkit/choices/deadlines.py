"""Deadlines of waiting choices: one timer for all of them.

A choice asked with ``timeout=`` expires at its deadline. Ten thousand waiting choices
would otherwise hold ten thousand timer handles (each with a copy of the context); here
each deadline is rounded up to a grain (1 % of its timeout, at most ``GRAIN`` seconds: a
choice expires that much late at most), the choices due at one rounded time share one
list, those times are in one heap, and one ``loop.call_at`` handle is armed for the
earliest. Choices asked together (a burst, an hour's timeout) cost a list slot each.
A choice answered or cancelled before its deadline is dropped lazily: its id stays until
it comes due or until about as many were discarded as are kept, when the lists are
rebuilt. Which choices still wait is the owner's to say (``Waiting``: it knows them
anyway), so no set of ids is kept beside them.
"""

from __future__ import annotations

import asyncio
import heapq
import math
from collections.abc import Callable

__all__ = ["GRAIN", "Deadlines"]

GRAIN = 1.0
"""The coarsest rounding of a deadline, in seconds (for timeouts of 100 s and more)."""
Expire = Callable[[str], None]
"""Called with the id of a choice whose deadline passed (it may have ended meanwhile)."""
Waiting = Callable[[str], bool]
"""Whether the choice with this id still waits (has not been answered or cancelled)."""


class Deadlines:
    """Deadlines on one event loop (the loop of the first ``add``)."""

    __slots__ = ("_armed", "_discarded", "_due", "_expire", "_heap", "_kept", "_loop",
                 "_waiting")

    def __init__(self, expire: Expire, waiting: Waiting) -> None:
        self._expire = expire
        self._waiting = waiting
        self._heap: list[float] = []
        """The rounded deadlines, each once."""
        self._due: dict[float, list[str]] = {}
        """Per rounded deadline, the ids of the choices due then."""
        self._kept = 0
        self._discarded = 0
        """Discards since the lists were last rebuilt (about how many ids are stale)."""
        self._armed: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        """How many choices still waiting have a deadline to come (counts them)."""
        return sum(self._waiting(i) for ids in self._due.values() for i in ids)

    def add(self, choice_id: str, timeout: float) -> None:
        """Expire ``choice_id`` in ``timeout`` seconds (on the running loop's clock)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (tests run several): nothing carries over
            self._reset()
            self._loop = loop
        when = loop.time() + timeout
        grain = min(GRAIN, timeout / 100)
        if grain > 0:
            when = math.ceil(when / grain) * grain
        self._kept += 1
        ids = self._due.get(when)
        if ids is not None:
            ids.append(choice_id)
            return
        self._due[when] = [choice_id]
        heapq.heappush(self._heap, when)
        if self._heap[0] == when:
            self._arm(loop)

    def discard(self, choice_id: str) -> None:
        """The choice ``choice_id`` ended (no longer ``waiting``): its id goes lazily."""
        self._discarded += 1
        if self._discarded > self._kept // 2 + 32:
            self._due = {when: live for when, ids in self._due.items()
                         if (live := [i for i in ids if self._waiting(i)])}
            self._heap = list(self._due)
            heapq.heapify(self._heap)
            self._kept = sum(len(ids) for ids in self._due.values())
            self._discarded = 0
            if not self._heap:
                self._reset()

    def _reset(self) -> None:
        if self._armed is not None:
            self._armed.cancel()
            self._armed = None
        self._heap.clear()
        self._due.clear()
        self._kept = self._discarded = 0

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._armed is not None:
            self._armed.cancel()
        self._armed = loop.call_at(self._heap[0], self._fire) if self._heap else None

    def _fire(self) -> None:
        self._armed = None
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        due: list[str] = []
        while self._heap and self._heap[0] <= now:
            ids = self._due.pop(heapq.heappop(self._heap), [])
            self._kept -= len(ids)
            due += [i for i in ids if self._waiting(i)]
        if self._heap:  # (a timer run a hair early finds its entry here: armed again)
            self._arm(loop)
        for choice_id in due:
            self._expire(choice_id)
