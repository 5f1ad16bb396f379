"""The one thread a ``SQLiteStore`` runs its calls on, with a lane for urgent calls.

Calls run one at a time, in the order they came, except that an *urgent* call (the ack
path's dedup-and-append: a platform waits for it) runs before every ordinary call still
queued. Under load the ordinary queue holds hundreds of calls (each turn's thread-record
writes, locks, reads); an urgent call waits only for the call running now and the urgent
calls before it.

The thread is a daemon: a store left open does not keep the interpreter alive (SQLite's
journal keeps a transaction cut at exit from leaving a trace).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

__all__ = ["Worker"]

T = TypeVar("T")
_Job = tuple[Callable[[], Any], "Future[Any]"]


class Worker:
    """A single worker thread with two queues: urgent calls first, then ordinary ones."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._urgent: deque[_Job] = deque()
        self._ordinary: deque[_Job] = deque()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, fn: Callable[[], T], *, urgent: bool = False) -> Future[T]:
        future: Future[T] = Future()
        with self._wake:
            if self._closed:
                raise RuntimeError("the SQLite worker is shut down")
            (self._urgent if urgent else self._ordinary).append((fn, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._wake.notify()
        return future

    def _next(self) -> _Job | None:
        """The oldest urgent call, else the oldest ordinary one; None once shut down with
        nothing left."""
        with self._wake:
            while not self._urgent and not self._ordinary:
                if self._closed:
                    return None
                self._wake.wait()
            return (self._urgent or self._ordinary).popleft()

    def _loop(self) -> None:
        while (job := self._next()) is not None:
            fn, future = job
            if future.set_running_or_notify_cancel():
                _settle(future, fn)

    def shutdown(self) -> None:
        """Run what is queued, then end the thread (waits for it)."""
        with self._wake:
            self._closed = True
            self._wake.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join()


def _settle(future: Future[Any], fn: Callable[[], Any]) -> None:
    try:
        result = fn()
    except BaseException as exc:  # the caller gets it; the thread goes on (as a pool's)
        future.set_exception(exc)
    else:
        future.set_result(result)
