"""How a waiting choice ends (``Outcome``): its answer, or why it has none, set by a click,
a cancel or another process; and, until then, what the task of the turn that asked waits
on, through asyncio's protocol for future-like objects (``get_loop``,
``add_done_callback``, ``result``, ``cancel``; one waiter: that task). A
``PendingChoice`` is one, so no ``asyncio.Future`` is made per waiting choice (~150 B)."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from typing import Any

__all__ = ["TIMED_OUT", "Outcome"]

TIMED_OUT = object()
"""What the wait ends with at the choice's deadline (``Outcome.time_out``)."""
_NO_OUTCOME = object()
"""The outcome of a choice still waiting."""


class _Raised:
    """An outcome that is an exception (``cancelled``: by ``cancel``)."""

    __slots__ = ("cancelled", "error")

    def __init__(self, error: BaseException, *, cancelled: bool = False) -> None:
        self.error = error
        self.cancelled = cancelled


class Outcome:
    """A waiting choice's outcome, and the future-like object its task waits on."""

    __slots__ = ("_asyncio_future_blocking", "_late", "_loop", "_outcome", "_wake",
                 "_wake_context")
    _loop: asyncio.AbstractEventLoop
    """The loop it is waited on in (set by the subclass once it waits)."""

    def __init__(self) -> None:
        self._outcome: Any = _NO_OUTCOME
        """The answer, or a ``_Raised``: how the wait ended."""
        self._late: asyncio.Future[Any] | None = None
        """Made at the deadline: where an answer given at the last moment goes."""
        self._wake: Callable[[Any], object] | None = None
        self._wake_context: contextvars.Context | None = None
        """The task waiting: its wake-up and its context."""
        self._asyncio_future_blocking: bool | None = None
        """``asyncio``'s mark of a future-like object a task waits on: None but while it
        is waited on (so ``asyncio.isfuture`` does not take it for one before that)."""

    @property
    def future(self) -> Outcome | asyncio.Future[Any]:
        """What an answer resolves (``done``, ``set_result``, ``set_exception``): this
        choice itself, or past its deadline the future a last-moment answer goes to."""
        return self if self._late is None else self._late

    def time_out(self) -> None:
        """The deadline passed: wake the wait; an answer given at the last moment goes to a
        future made now (``future``)."""
        if self._late is None and self._outcome is _NO_OUTCOME:
            self._late = self._loop.create_future()
            self._end(TIMED_OUT)

    def done(self) -> bool:
        return self._outcome is not _NO_OUTCOME

    def cancelled(self) -> bool:
        outcome = self._outcome
        return isinstance(outcome, _Raised) and outcome.cancelled

    def set_result(self, value: Any) -> None:
        self._end(value)

    def set_exception(self, error: BaseException) -> None:
        self._end(_Raised(error))

    def _end(self, outcome: Any) -> None:
        if self._outcome is not _NO_OUTCOME:
            raise asyncio.InvalidStateError("the choice has its outcome already")
        self._outcome = outcome
        wake, context = self._wake, self._wake_context
        if wake is not None:
            self._wake = self._wake_context = None
            self._loop.call_soon(wake, self, context=context)

    # asyncio's future-like protocol, as a task uses it while it waits on this object (no
    # ``asyncio.Future`` per waiting choice: ~150 B)
    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def add_done_callback(self, fn: Callable[[Any], object], *,
                          context: contextvars.Context | None = None) -> None:
        if self._outcome is not _NO_OUTCOME:
            self._loop.call_soon(fn, self, context=context)
        elif self._wake is not None:
            raise RuntimeError("a waiting choice has one waiter, the task awaiting it")
        else:
            self._wake, self._wake_context = fn, context

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        if self._wake is None or self._wake != fn:
            return 0
        self._wake = self._wake_context = None
        return 1

    def cancel(self, msg: Any | None = None) -> bool:
        if self._outcome is not _NO_OUTCOME:
            return False
        self._end(_Raised(asyncio.CancelledError(msg), cancelled=True))
        return True

    def result(self) -> Any:
        outcome = self._outcome
        if outcome is _NO_OUTCOME:
            raise asyncio.InvalidStateError("the choice has no outcome yet")
        if isinstance(outcome, _Raised):
            raise outcome.error
        return outcome

    def exception(self) -> BaseException | None:
        outcome = self._outcome
        if outcome is _NO_OUTCOME:
            raise asyncio.InvalidStateError("the choice has no outcome yet")
        if isinstance(outcome, _Raised):
            if outcome.cancelled:
                raise outcome.error
            return outcome.error
        return None
