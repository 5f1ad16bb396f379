"""What the threads layer refuses, each with the HTTP status the API answers."""

from __future__ import annotations

from collections.abc import Sequence

from botkit.errors import BotkitError, UserError

__all__ = [
    "Forbidden",
    "MessagesUnavailable",
    "PreconditionFailed",
    "ThreadBusy",
    "ThreadConflict",
    "ThreadNotFound",
    "ThreadQueryError",
    "ThreadsError",
]


class ThreadNotFound(BotkitError, LookupError):
    """No thread record has this id (the HTTP API answers 404)."""

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"no thread {thread_id!r}")
        self.thread_id = thread_id


class ThreadsError(UserError):
    """A request the threads layer refuses; ``status`` is the HTTP status it answers."""

    status = 409
    code = "conflict"


class ThreadBusy(ThreadsError):
    """The thread is running: its state cannot change, nor can it be deleted, until the
    run ends (HTTP 409)."""

    code = "thread_busy"

    def __init__(self, thread_id: str, doing: str = "its state changes") -> None:
        super().__init__(f"thread {thread_id!r} is busy with a run: {doing} when the run "
                         "ends; try again then")


class ThreadConflict(ThreadsError):
    """The thread exists already, or the state moved on (HTTP 409)."""


class Forbidden(ThreadsError):
    """The caller's token may not do this (HTTP 403)."""

    status = 403
    code = "forbidden"


class PreconditionFailed(ThreadsError):
    """``If-Match`` named another version than the current one (HTTP 412)."""

    status = 412
    code = "precondition_failed"

    def __init__(self, what: str, current: str) -> None:
        super().__init__(f"{what} changed since you read it (now {current}): read it again")
        self.current = current


class MessagesUnavailable(ThreadsError):
    """The thread's platform is not served here, or cannot do this (HTTP 409)."""

    code = "messages_unavailable"


class ThreadQueryError(UserError):
    """Arguments that cannot work (the HTTP API answers 422 with ``errors``)."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = [{"field": f, "message": m} for f, m in errors]
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
