"""Platform-neutral values that cross the adapter boundary.

Every value is a keyword-only frozen dataclass. Each carries ``raw``: the platform's own
data, for the rare handler that needs something botkit does not model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = [
    "NO_RAW",
    "Attachment",
    "Conversation",
    "FileResult",
    "MessageRef",
    "PlatformUser",
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


@dataclass(frozen=True, kw_only=True, slots=True, weakref_slot=True)  # adapters cache them
class Conversation:
    """Where a message lives: enough for an adapter to post back into the same place.

    ``id`` is the stable conversation key botkit uses for state, locks and waiters
    (on Slack ``"<channel>:<thread_ts>"``; on the console ``"console"``).
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
