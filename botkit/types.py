"""Platform-neutral values that cross the adapter boundary.

Every value is a keyword-only frozen dataclass. Each carries ``raw``: the platform's own
data, for the rare handler that needs something botkit does not model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias, TypeVar

__all__ = [
    "NO_RAW",
    "Attachment",
    "Conversation",
    "FileResult",
    "MessageRef",
    "PlatformUser",
    "RawJson",
    "StreamPart",
    "ThreadMessage",
    "ToolProgress",
]


class _ReadOnlyDict(dict[str, Any]):
    """``NO_RAW``'s type: a dict that refuses changes. JSON encoders, pydantic and
    ``copy`` take it as the plain dict it is (a ``MappingProxyType`` they refuse)."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("a value's raw payload is read-only")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> str:
        return "NO_RAW"  # copied or unpickled: the one shared instance


NO_RAW: Mapping[str, Any] = _ReadOnlyDict()
"""The ``raw`` of a value that has no platform payload: one shared read-only empty
mapping, not a fresh dict per value (thousands of waiting turns hold several each)."""


def no_raw() -> Mapping[str, Any]:
    """``NO_RAW`` (the default ``raw``)."""
    return NO_RAW


class RawJson(Mapping[str, Any]):
    """A platform payload kept as its compact JSON text until someone reads it.

    Given as the ``raw`` of a value whose class reads it lazily (``Conversation``,
    ``MessageEvent``), it is decoded on the first read of ``value.raw``, which from then on
    is the plain ``dict`` it always was: a turn in flight holds a few hundred bytes of text
    instead of the decoded payload (a Slack message's blocks, ~2 KB and more), and most
    turns never read it. Read as a mapping itself, it decodes on every access."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    @classmethod
    def of(cls, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """``payload`` (what a platform sent) as compact JSON text; a payload that is not
        JSON (a value ``json`` cannot write) is kept as a plain ``dict`` copy instead."""
        try:
            return cls(json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
        except (TypeError, ValueError):
            return dict(payload)

    def decode(self) -> dict[str, Any]:
        value = json.loads(self.text)
        return value if isinstance(value, dict) else {}

    def __getitem__(self, key: str) -> Any:
        return self.decode()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.decode())

    def __len__(self) -> int:
        return len(self.decode())

    def __repr__(self) -> str:
        return f"RawJson({self.text!r})"


class _DecodedOnRead:
    """The ``raw`` slot of a class that takes ``RawJson``: reading it decodes the text once
    and keeps the dict in the slot (writes go to the slot as before)."""

    __slots__ = ("slot",)

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, obj: Any, owner: Any = None) -> Any:
        if obj is None:
            return self.slot.__get__(obj, owner)
        value = self.slot.__get__(obj, owner)
        if type(value) is RawJson:
            value = value.decode()
            self.slot.__set__(obj, value)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        self.slot.__set__(obj, value)

    def __delete__(self, obj: Any) -> None:
        self.slot.__delete__(obj)


_Slotted = TypeVar("_Slotted", bound=type)


def raw_decoded_on_read(cls: _Slotted) -> _Slotted:
    """Let a slotted dataclass take a ``RawJson`` as its ``raw`` (see ``RawJson``)."""
    cls.raw = _DecodedOnRead(cls.__dict__["raw"])  # type: ignore[attr-defined]
    return cls


@dataclass(frozen=True, kw_only=True, slots=True)
class PlatformUser:
    """A person (or bot) on a chat platform."""

    id: str
    name: str | None = None
    handle: str | None = None
    email: str | None = None
    is_bot: bool = False
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)

    @property
    def display_name(self) -> str:
        return self.name or self.handle or self.id


@raw_decoded_on_read
@dataclass(frozen=True, kw_only=True, slots=True, weakref_slot=True)  # adapters cache them
class Conversation:
    """Where a message lives: enough for an adapter to post back into the same place.

    ``id`` is the stable conversation key botkit uses for state, locks and waiters
    (on Slack ``"<channel>:<thread_ts>"``; on the console ``"console"``). ``raw`` may be
    given as ``RawJson``: it is decoded when first read.
    """

    id: str
    channel: str
    thread: str | None = None
    is_direct: bool = False
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class MessageRef:
    """A message the bot can update or delete (Slack: ``id`` is the ``ts``)."""

    id: str
    channel: str = ""
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class Attachment:
    """A file attached to an incoming message."""

    name: str
    mime_type: str = "application/octet-stream"
    size: int | None = None
    url: str | None = None
    data: bytes | None = field(default=None, repr=False)
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class ThreadMessage:
    """One message of a conversation's platform history, oldest first.

    ``agent_messages`` holds AG-UI message dicts the bot recorded alongside this message
    (tool calls and their results), so history rebuilt from the platform keeps them.
    ``is_status`` marks bot status lines ("thinking…", tool progress) that history drops.
    """

    id: str
    text: str
    user: PlatformUser | None = None
    is_bot: bool = False
    ts: float | None = None
    is_status: bool = False
    agent_messages: tuple[Mapping[str, Any], ...] = ()
    attachments: tuple[Attachment, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class FileResult:
    """What ``thread.post_file`` did: ``ok`` with the platform's ``file_id``, or an error."""

    ok: bool
    file_id: str | None = None
    error: str | None = None
    raw: Mapping[str, Any] = field(default_factory=no_raw, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True, slots=True)
class ToolProgress:
    """A tool started or finished while a reply streams; adapters may show it."""

    tool_call_id: str
    name: str
    done: bool = False
    error: str | None = None


StreamPart: TypeAlias = str | ToolProgress
"""What flows into ``adapter.stream``: text deltas, and tool progress notes."""
