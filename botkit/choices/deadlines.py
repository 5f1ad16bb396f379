"""Deadlines of waiting choices: one timer for all of them.

A choice asked with ``timeout=`` expires at its deadline. Ten thousand waiting choices
would otherwise hold ten thousand timer handles (each with a copy of the context); here
they are ``(deadline, choice id)`` pairs in one heap, and one ``loop.call_at`` handle is
armed for the earliest. A choice answered or cancelled before its deadline is dropped
lazily: its entry stays until it comes due or until about as many were discarded as the
heap holds, when the heap is rebuilt. Which choices still wait is the owner's to say
(``Waiting``: it knows them anyway), so no set of ids is kept beside the heap.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable

__all__ = ["Deadlines"]

Expire = Callable[[str], None]
"""Called with the id of a choice whose deadline passed (it may have ended meanwhile)."""
Waiting = Callable[[str], bool]
"""Whether the choice with this id still waits (has not been answered or cancelled)."""


class Deadlines:
    """Deadlines on one event loop (the loop of the first ``add``)."""

    __slots__ = ("_armed", "_discarded", "_expire", "_heap", "_loop", "_waiting")

    def __init__(self, expire: Expire, waiting: Waiting) -> None:
        self._expire = expire
        self._waiting = waiting
        self._heap: list[tuple[float, str]] = []
        self._discarded = 0
        """Discards since the heap was last rebuilt (about how many entries are stale)."""
        self._armed: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        """How many choices still waiting have a deadline to come (counts them)."""
        return sum(1 for _, choice_id in self._heap if self._waiting(choice_id))

    def add(self, choice_id: str, timeout: float) -> None:
        """Expire ``choice_id`` in ``timeout`` seconds (on the running loop's clock)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (tests run several): nothing carries over
            self._reset()
            self._loop = loop
        when = loop.time() + timeout
        heapq.heappush(self._heap, (when, choice_id))
        if self._heap[0][1] == choice_id and self._heap[0][0] == when:
            self._arm(loop)

    def discard(self, choice_id: str) -> None:
        """The choice ``choice_id`` ended (no longer ``waiting``): its entry goes lazily."""
        self._discarded += 1
        if self._discarded > len(self._heap) // 2 + 32:
            self._heap = [entry for entry in self._heap if self._waiting(entry[1])]
            heapq.heapify(self._heap)
            self._discarded = 0
            if not self._heap:
                self._reset()

    def _reset(self) -> None:
        if self._armed is not None:
            self._armed.cancel()
            self._armed = None
        self._heap.clear()
        self._discarded = 0

    def _arm(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._armed is not None:
            self._armed.cancel()
        self._armed = loop.call_at(self._heap[0][0], self._fire) if self._heap else None

    def _fire(self) -> None:
        self._armed = None
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        due: list[str] = []
        while self._heap and self._heap[0][0] <= now:
            _, choice_id = heapq.heappop(self._heap)
            if self._waiting(choice_id):
                due.append(choice_id)
        while self._heap and not self._waiting(self._heap[0][1]):
            heapq.heappop(self._heap)
        if self._heap:  # (a timer run a hair early finds its entry here: armed again)
            self._arm(loop)
        for choice_id in due:
            self._expire(choice_id)
