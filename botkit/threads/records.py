"""What the threads layer stores and returns: thread records, checkpoints, run records,
pages and change events (errors: ``botkit.threads.errors``; argument checks:
``botkit.threads.queries``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal

from botkit.store.base import canonical_json, json_copy

__all__ = [
    "Checkpoint",
    "RunRecord",
    "ThreadEvent",
    "ThreadPage",
    "ThreadRecord",
    "ThreadStatus",
    "iso",
    "view_etag",
]

ThreadStatus = Literal["idle", "busy", "interrupted", "error"]
EventType = Literal["created", "renamed", "archived", "unarchived", "status_changed",
                    "updated", "state_changed", "deleted"]


def iso(ts: float | None) -> str | None:
    """Unix seconds as ISO-8601 (UTC)."""
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def view_etag(view: Mapping[str, Any]) -> str:
    """The version (``ETag`` / ``If-Match``) of a thread as the API shows it: the whole
    body, values and interrupts included."""
    return '"' + hashlib.sha256(canonical_json(view).encode()).hexdigest()[:20] + '"'


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
    """The newest of the runs going on (None when idle)."""
    live_runs: tuple[str, ...] = ()
    """Every run going on (several under ``parallel`` or with a resume): busy until the
    last ends."""
    last_error: str | None = None
    conversation: Mapping[str, Any] = field(default_factory=dict)
    """Where the platform keeps it (``botkit.codec.encode_conversation``)."""
    copied_from: str | None = None
    user_id: str | None = None
    """Whose thread it is (set by a user-bound token that creates it, or by the caller)."""
    participants: tuple[str, ...] = ()
    """Other users who may see it (user ids)."""

    def to_dict(self) -> dict[str, Any]:
        # shallow on purpose (asdict deep-copies, per event): the containers are copied below
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["metadata"], data["conversation"] = dict(self.metadata), dict(self.conversation)
        data["participants"], data["live_runs"] = list(self.participants), list(self.live_runs)
        return data

    def to_store(self) -> dict[str, Any]:
        """What the store keeps: ``to_dict`` without the fields at their defaults
        (``from_dict`` fills them in again). Thousands of records stay small."""
        data = self.to_dict()
        for name, default in _RECORD_DEFAULTS.items():
            if data[name] == default and type(data[name]) is type(default):
                del data[name]
        conversation = data.get("conversation")
        if conversation is not None and conversation.keys() == _ENCODED_CONVERSATION and \
                conversation["is_direct"] is False and conversation["raw"] == {}:
            # nor what its conversation holds unless it says otherwise
            data["conversation"] = {k: conversation[k] for k in ("id", "channel", "thread")}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ThreadRecord:
        names = cls.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in names}
        conversation = values.get("conversation")
        if isinstance(conversation, Mapping) and conversation.keys() == _COMPACT_CONVERSATION:
            values["conversation"] = {**conversation, "is_direct": False, "raw": {}}
        values["participants"] = tuple(values.get("participants") or ())
        values["live_runs"] = tuple(values.get("live_runs") or ())
        return cls(**values)

    def visible_to(self, user_id: str | None) -> bool:
        """True for everyone when ``user_id`` is None, else for its owner and participants."""
        return user_id is None or self.user_id == user_id or user_id in self.participants

    def to_api(self, values: Any = None, interrupts: Mapping[str, Any] | None = None
               ) -> dict[str, Any]:
        """The wire shape (LangGraph's thread, plus botkit's fields); ISO-8601 times."""
        data = self.to_dict()
        thread_id = data.pop("id")
        del data["live_runs"]
        for name in ("created_at", "updated_at", "last_run_at"):
            data[name] = iso(data[name])
        return {"thread_id": thread_id, **data, "values": {} if values is None else values,
                "interrupts": dict(interrupts or {}), "config": {}}


def _defaults() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for f in fields(ThreadRecord):
        if f.default is not MISSING:
            found[f.name] = list(f.default) if isinstance(f.default, tuple) else f.default
        elif f.default_factory is not MISSING:
            found[f.name] = f.default_factory()
    return found


_RECORD_DEFAULTS = _defaults()
"""The ``ThreadRecord`` fields that have a default, in ``to_dict``'s shape."""
_ENCODED_CONVERSATION = {"id", "channel", "thread", "is_direct", "raw"}
"""The keys of a conversation as ``encode_conversation`` gives it (every record's)."""
_COMPACT_CONVERSATION = {"id", "channel", "thread"}
"""Such a conversation as ``to_store`` keeps it when it is not direct and has no ``raw``
(``from_dict`` fills both in again)."""


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

    def to_dict(self) -> dict[str, Any]:
        # not asdict (a generic deep copy, slow per run): the values are JSON
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["values"], data["metadata"] = json_copy(self.values), json_copy(dict(self.metadata))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Checkpoint:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})

    def ref(self, checkpoint_id: str | None = None) -> dict[str, Any] | None:
        cid = self.checkpoint_id if checkpoint_id is None else checkpoint_id
        return {"thread_id": self.thread_id, "checkpoint_ns": "", "checkpoint_id": cid or None}

    def to_state(self, *, next_nodes: Sequence[str] = (),
                 tasks: Sequence[Mapping[str, Any]] = (),
                 interrupts: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
        """LangGraph's ``ThreadState`` shape; the head of an interrupted thread has its
        ``next``, ``tasks`` and ``interrupts`` (``botkit.threads.waiting``)."""
        parent = (None if self.parent_checkpoint_id is None
                  else self.ref(self.parent_checkpoint_id))
        return {"values": self.values, "next": list(next_nodes),
                "tasks": [dict(t) for t in tasks],
                "checkpoint": self.ref(), "metadata": {
                    **self.metadata, "source": self.source, "step": self.step,
                    "run_id": self.run_id, "thread_id": self.thread_id, "parents": {}},
                "created_at": iso(self.created_at), "parent_checkpoint": parent,
                "checkpoint_id": self.checkpoint_id or None,
                "parent_checkpoint_id": self.parent_checkpoint_id,
                "interrupts": [dict(i) for i in interrupts]}


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
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["tool_calls"] = [json_copy(dict(c)) for c in self.tool_calls]
        data["checkpoint"] = json_copy(self.checkpoint)
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
