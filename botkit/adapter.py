"""The contract between botkit's core and a chat platform.

An adapter does two things. Ingress: it turns what its platform delivers into
``botkit.events`` and calls ``await bot.dispatch(event)`` (acking the platform first where
the platform has a deadline). Egress: it renders component trees and text for its
platform when the core calls the methods below.

Adapters declare ``Capabilities``; the ``Thread`` checks them before calling the optional
methods and degrades (``[]``, ``None``, ``FileResult(ok=False)``) when one is missing, so
a tool written once runs on every surface. Subclass ``BaseAdapter`` to get those degraded
defaults and override what your platform supports.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.nodes import Message

if TYPE_CHECKING:
    from botkit.bot import Bot

__all__ = [
    "BaseAdapter",
    "Capabilities",
    "PlatformAdapter",
    "StreamPart",
    "ToolProgress",
    "find_user",
]


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What an adapter's platform can do beyond posting, editing and deleting messages."""

    streaming: bool = False
    """Edits one message in place as text arrives (else the text is posted once, at the end)."""
    get_messages: bool = False
    """Reads the conversation's history (needed for run_agent to remember earlier turns)."""
    lookup_user: bool = False
    post_file: bool = False
    ephemeral: bool = False
    """Shows a message to one person only."""
    agent_records: bool = False
    """Stores the agent's tool calls and results with the conversation, so history keeps them."""


@dataclass(frozen=True, kw_only=True)
class ToolProgress:
    """A tool started or finished while a reply streams; adapters may show it."""

    tool_call_id: str
    name: str
    done: bool = False
    error: str | None = None


StreamPart: TypeAlias = str | ToolProgress
"""What flows into ``adapter.stream``: text deltas, and tool progress notes."""


@runtime_checkable
class PlatformAdapter(Protocol):
    """What the core needs from a platform. See ``BaseAdapter`` for the degraded defaults."""

    platform: str
    capabilities: Capabilities

    @property
    def bot_user(self) -> PlatformUser | None:
        """The bot's own identity on the platform, once started."""
        ...

    async def start(self, bot: Bot) -> None:
        """Begin delivering events to ``bot.dispatch``; return once ready."""
        ...

    async def stop(self) -> None: ...

    async def post(self, conversation: Conversation, message: Message) -> MessageRef: ...

    async def update(
        self, conversation: Conversation, ref: MessageRef, message: Message
    ) -> MessageRef: ...

    async def delete(self, conversation: Conversation, ref: MessageRef) -> None: ...

    async def stream(
        self, conversation: Conversation, parts: AsyncIterable[StreamPart]
    ) -> MessageRef | None:
        """Show text as it arrives; return the message holding it (None if nothing shown)."""
        ...

    async def post_ephemeral(
        self, conversation: Conversation, user: PlatformUser, message: Message
    ) -> MessageRef | None: ...

    async def get_messages(self, conversation: Conversation) -> list[ThreadMessage]: ...

    async def lookup_user(self, query: str) -> PlatformUser | None: ...

    async def post_file(
        self,
        conversation: Conversation,
        data: bytes,
        filename: str,
        *,
        title: str | None = None,
        alt_text: str | None = None,
    ) -> FileResult: ...

    async def record_agent_messages(
        self, conversation: Conversation, messages: Sequence[Mapping[str, Any]]
    ) -> None:
        """Store AG-UI messages (tool calls, results) so ``get_messages`` returns them."""
        ...


def find_user(users: Iterable[PlatformUser], query: str) -> PlatformUser | None:
    """The first person whose name, handle or email equals or starts with ``query``
    (case-insensitive, a leading ``@`` ignored): the lookup rule adapters share."""
    q = query.strip().lower().lstrip("@")
    if not q:
        return None
    for user in users:
        names = [n.lower() for n in (user.name, user.handle, user.email) if n]
        if any(n == q or n.startswith(q) for n in names):
            return user
    return None


class BaseAdapter:
    """Degraded defaults for every optional capability; subclass and override."""

    platform: str = "unknown"
    capabilities: Capabilities = Capabilities()

    @property
    def bot_user(self) -> PlatformUser | None:
        return None

    async def start(self, bot: Bot) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def stream(
        self, conversation: Conversation, parts: AsyncIterable[StreamPart]
    ) -> MessageRef | None:
        """Collect the whole text, then post it once (for platforms that cannot edit)."""
        text = "".join([p async for p in parts if isinstance(p, str)])
        if not text.strip():
            return None
        return await self.post(conversation, Message(text))

    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        raise NotImplementedError

    async def post_ephemeral(
        self, conversation: Conversation, user: PlatformUser, message: Message
    ) -> MessageRef | None:
        return None

    async def get_messages(self, conversation: Conversation) -> list[ThreadMessage]:
        return []

    async def lookup_user(self, query: str) -> PlatformUser | None:
        return None

    async def post_file(
        self,
        conversation: Conversation,
        data: bytes,
        filename: str,
        *,
        title: str | None = None,
        alt_text: str | None = None,
    ) -> FileResult:
        return FileResult(ok=False, error=f"{self.platform} does not support file upload")

    async def record_agent_messages(
        self, conversation: Conversation, messages: Sequence[Mapping[str, Any]]
    ) -> None:
        return None
