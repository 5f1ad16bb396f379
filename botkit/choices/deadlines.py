"""Deadlines of waiting choices: one timer for all of them.

A choice asked with ``timeout=`` expires at its deadline. Ten thousand waiting choices
would otherwise hold ten thousand timer handles (each with a copy of the context); here
they are ``(deadline, choice id)`` pairs in one heap, and one ``loop.call_at`` handle is
armed for the earliest. A choice answered or cancelled before its deadline is dropped
lazily: its entry stays until it comes due or until stale entries outnumber live ones,
when the heap is rebuilt.
"""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable

__all__ = ["Deadlines"]

Expire = Callable[[str], None]
"""Called with the id of a choice whose deadline passed (it may have ended meanwhile)."""


class Deadlines:
    """Deadlines on one event loop (the loop of the first ``add``)."""

    __slots__ = ("_armed", "_expire", "_heap", "_live", "_loop")

    def __init__(self, expire: Expire) -> None:
        self._expire = expire
        self._heap: list[tuple[float, str]] = []
        self._live: set[str] = set()
        self._armed: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __len__(self) -> int:
        """How many choices have a deadline still to come."""
        return len(self._live)

    def add(self, choice_id: str, timeout: float) -> None:
        """Expire ``choice_id`` in ``timeout`` seconds (on the running loop's clock)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (tests run several): nothing carries over
            self._reset()
            self._loop = loop
        when = loop.time() + timeout
        self._live.add(choice_id)
        heapq.heappush(self._heap, (when, choice_id))
        if self._heap[0][1] == choice_id and self._heap[0][0] == when:
            self._arm(loop)

    def discard(self, choice_id: str) -> None:
        """The choice ended before its deadline (its entry goes lazily)."""
        self._live.discard(choice_id)
        if not self._live:
            self._reset()
        elif len(self._heap) > 2 * len(self._live) + 64:
            self._heap = [entry for entry in self._heap if entry[1] in self._live]
            heapq.heapify(self._heap)

    def _reset(self) -> None:
        if self._armed is not None:
            self._armed.cancel()
            self._armed = None
        self._heap.clear()
        self._live.clear()

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
            if choice_id in self._live:
                self._live.discard(choice_id)
                due.append(choice_id)
        while self._heap and self._heap[0][1] not in self._live:
            heapq.heappop(self._heap)
        if self._heap:  # (a timer run a hair early finds its entry here: armed again)
            self._arm(loop)
        for choice_id in due:
            self._expire(choice_id)
