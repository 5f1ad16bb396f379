"""What the threads layer stores and returns: thread records, run records, change events,
and the validation of list queries (shared by ``bot.threads`` and the HTTP API)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from botkit.errors import BotkitError, UserError

__all__ = [
    "MAX_LIMIT",
    "SORT_FIELDS",
    "STATUSES",
    "Checkpoint",
    "MessagesUnavailable",
    "PreconditionFailed",
    "RunRecord",
    "ThreadBusy",
    "ThreadConflict",
    "ThreadEvent",
    "ThreadNotFound",
    "ThreadPage",
    "ThreadQueryError",
    "ThreadRecord",
    "ThreadStatus",
    "ThreadsError",
]

ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
STATUSES: tuple[str, ...] = get_args(ThreadStatus)
SORT_FIELDS = ("updated_at", "created_at", "thread_id", "status", "last_run_at", "title")
MAX_LIMIT = 200
EventType = Literal["created", "renamed", "archived", "unarchived", "status_changed",
                    "updated", "state_changed", "deleted"]


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
    """The thread is running: its state cannot change until the run ends (HTTP 409)."""

    code = "thread_busy"

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"thread {thread_id!r} is busy with a run: its state changes when "
                         "the run ends; try again then")


class ThreadConflict(ThreadsError):
    """The thread exists already, or the state moved on (HTTP 409)."""


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


@dataclass(frozen=True, kw_only=True)
class ThreadRecord:
    """One conversation as botkit remembers it. Times are Unix seconds."""

    id: str
    platform: str
    channel: str
    title: str = ""
    status: ThreadStatus = "idle"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    archived: bool = False
    created_at: float
    updated_at: float
    last_run_at: float | None = None
    run_count: int = 0
    current_run: str | None = None
    last_error: str | None = None
    conversation: Mapping[str, Any] = field(default_factory=dict)
    """Where the platform keeps it: ``{id, channel, thread, is_direct}``."""
    copied_from: str | None = None
    user_id: str | None = None
    """Whose thread it is (set by a user-bound token that creates it, or by the caller)."""
    participants: tuple[str, ...] = ()
    """Other users who may see it (user ids)."""

    def to_dict(self) -> dict[str, Any]:
        # shallow on purpose (asdict deep-copies, per event): the containers are copied below
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["metadata"], data["conversation"] = dict(self.metadata), dict(self.conversation)
        data["participants"] = list(self.participants)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThreadRecord:
        names = cls.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in names}
        values["participants"] = tuple(values.get("participants") or ())
        return cls(**values)

    def visible_to(self, user_id: str | None) -> bool:
        """True for everyone when ``user_id`` is None, else for its owner and participants."""
        return user_id is None or self.user_id == user_id or user_id in self.participants

    def to_api(self, values: Any = None, interrupts: Mapping[str, Any] | None = None
               ) -> dict[str, Any]:
        """The wire shape (LangGraph's thread, plus botkit's fields); ISO-8601 times."""
        data = self.to_dict()
        thread_id = data.pop("id")
        for name in ("created_at", "updated_at", "last_run_at"):
            data[name] = iso(data[name])
        return {"thread_id": thread_id, **data, "values": {} if values is None else values,
                "interrupts": dict(interrupts or {}), "config": {}}


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO-8601 (UTC)."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """One version of a thread's agent state: every run and every state write makes one.
    ``source`` is ``input`` (created with the thread), ``loop`` (a run), ``update`` (a
    state write) or ``copy``."""

    checkpoint_id: str
    thread_id: str
    values: Any
    created_at: float
    step: int
    source: str = "update"
    parent_checkpoint_id: str | None = None
    run_id: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    next: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["metadata"], data["next"] = dict(self.metadata), list(self.next)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        names = cls.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in names}
        values["next"] = tuple(values.get("next") or ())
        return cls(**values)

    def ref(self, checkpoint_id: str | None = None) -> dict[str, Any] | None:
        cid = self.checkpoint_id if checkpoint_id is None else checkpoint_id
        return {"thread_id": self.thread_id, "checkpoint_ns": "", "checkpoint_id": cid or None}

    def to_state(self) -> dict[str, Any]:
        """LangGraph's ``ThreadState`` shape."""
        parent = (None if self.parent_checkpoint_id is None
                  else self.ref(self.parent_checkpoint_id))
        return {"values": self.values, "next": list(self.next), "tasks": [],
                "checkpoint": self.ref(), "metadata": {
                    **self.metadata, "source": self.source, "step": self.step,
                    "run_id": self.run_id, "thread_id": self.thread_id, "parents": {}},
                "created_at": iso(self.created_at), "parent_checkpoint": parent,
                "checkpoint_id": self.checkpoint_id or None,
                "parent_checkpoint_id": self.parent_checkpoint_id, "interrupts": []}


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """One ``run_agent`` or ``resume``: how it ended, the tools it called, and the agent
    state it left (``checkpoint``; None when the run did not change the state)."""

    run_id: str
    thread_id: str
    kind: Literal["run", "resume"]
    status: str
    """``completed``, ``interrupted``, ``failed``, ``max_iterations`` or ``crashed``."""
    started_at: float
    ended_at: float
    iterations: int = 0
    error: str | None = None
    text: str = ""
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    checkpoint: Any = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tool_calls"] = [dict(c) for c in self.tool_calls]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunRecord:
        names = cls.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in names}
        values["tool_calls"] = tuple(values.get("tool_calls") or ())
        return cls(**values)


@dataclass(frozen=True, kw_only=True)
class ThreadPage:
    """One page of ``bot.threads.list``: iterate it, or read ``total`` for paging."""

    threads: tuple[ThreadRecord, ...]
    total: int
    limit: int
    offset: int

    def __iter__(self) -> Iterator[ThreadRecord]:
        return iter(self.threads)

    def __len__(self) -> int:
        return len(self.threads)

    def to_dict(self) -> dict[str, Any]:
        return {"threads": [t.to_dict() for t in self.threads], "total": self.total,
                "limit": self.limit, "offset": self.offset}


@dataclass(frozen=True, kw_only=True)
class ThreadEvent:
    """A change to a thread (``bot.threads.subscribe()``, the SSE stream)."""

    seq: int
    type: EventType
    thread_id: str
    at: float
    thread: ThreadRecord | None = None
    event_id: str = ""  # the bus's id, ordered across processes: SSE ``id`` / Last-Event-ID

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "thread_id": self.thread_id, "at": self.at,
                "thread": None if self.thread is None else self.thread.to_dict(),
                "event_id": self.event_id}


def check_id(thread_id: object, name: str = "thread_id") -> str:
    if not isinstance(thread_id, str) or not thread_id:
        raise ThreadQueryError([(name, "must be a non-empty string")])
    return thread_id


def check_page(limit: object, offset: object, *, max_limit: int = MAX_LIMIT,
               problems: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    errors = [] if problems is None else problems
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= max_limit:
        errors.append(("limit", f"must be an integer from 1 to {max_limit}"))
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        errors.append(("offset", "must be an integer >= 0"))
    return errors


def check_list_query(*, search: object, status: object, metadata: object, platform: object,
                     limit: object, offset: object, sort_by: object, sort_order: object,
                     archived: object) -> tuple[str, ...]:
    """Validate ``list`` arguments (all problems at once); returns the statuses wanted."""
    errors = check_page(limit, offset)
    for name, value in (("search", search), ("platform", platform)):
        if value is not None and not isinstance(value, str):
            errors.append((name, "must be a string"))
    statuses: tuple[str, ...] = ()
    if isinstance(status, str):
        statuses = (status,)
    elif isinstance(status, Iterable) and not isinstance(status, Mapping):
        statuses = tuple(status)
    elif status is not None:
        errors.append(("status", "must be a status or a list of statuses"))
    if bad := [s for s in statuses if s not in STATUSES]:
        errors.append(("status", f"unknown {bad!r}; one of {', '.join(STATUSES)}"))
    if metadata is not None and not isinstance(metadata, Mapping):
        errors.append(("metadata", "must be an object of key/value pairs"))
    if sort_by not in SORT_FIELDS and sort_by != "id":
        errors.append(("sort_by", f"must be one of {', '.join(SORT_FIELDS)}"))
    if sort_order not in ("asc", "desc"):
        errors.append(("sort_order", "must be asc or desc"))
    if archived not in (True, False, None):
        errors.append(("archived", "must be true, false or null (both)"))
    if errors:
        raise ThreadQueryError(errors)
    return statuses
