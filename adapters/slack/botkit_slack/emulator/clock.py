"""Time sources for the emulator.

The clock decides what time it is *inside* the emulated Slack: message ``ts`` values,
``event_time``, rate-limit windows, stream expiry, ``trigger_id`` and ``response_url`` lifetimes
and assistant status expiry. Timers that wait (ack timeouts, retry back-off) run on the event
loop and are compressed through :class:`~botkit_slack.emulator.config.EmulatorConfig` instead,
so a test never sleeps for real seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Anything that can tell the current unix time in seconds."""

    def now(self) -> float: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that moves only when told to.

    Starts at the current wall time by default, so signatures computed from it stay fresh for
    receivers that check them against their own clock.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self._listeners: list[Callable[[float], object]] = []

    def on_advance(self, listener: Callable[[float], object]) -> None:
        """Call ``listener(now)`` every time the clock moves (the emulator posts scheduled
        messages that became due)."""
        self._listeners.append(listener)

    def _moved(self) -> None:
        for listener in list(self._listeners):
            listener(self._now)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward (never backward) and return the new time."""
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        self._now += seconds
        self._moved()
        return self._now

    def set(self, when: float) -> None:
        if when < self._now:
            raise ValueError("a clock does not go backwards")
        self._now = when
        self._moved()
