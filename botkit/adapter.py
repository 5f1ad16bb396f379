"""The contract between botkit's core and a chat platform.

An adapter does two things. Ingress: it turns what its platform delivers into
``botkit.events`` and calls ``await bot.dispatch(event)`` (acking the platform first where
the platform has a deadline). Egress: it renders component trees and text for its
platform when the core calls the methods below.

Adapters declare ``Capabilities``; the ``Thread`` checks them before calling the optional
methods and degrades (``[]``, ``None``, ``FileResult(ok=False)``) when one is missing, so
a tool written once runs on every surface. Subclass ``BaseAdapter`` to get those degraded
defaults and override what your platform supports.

What an adapter gets from the bot is a ``BotHandle``: ingress (``dispatch``, ``spawn``),
the questions waiting for an answer, the checks an answer must pass before it is accepted
(``check_resume``, ``may_answer``), and ``records``: the bot's ``PlatformRecords`` (the
store, thread records, agent state, resuming), which only an adapter whose platform is
botkit itself (the web) needs. ``PlatformAdapter.run_ended`` tells the adapter how each
agent run ended, with the interrupts it waits on.
"""

from __future__ import annotations

import datetime
from collections.abc import (
    AsyncIterable,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from botkit.events import Event
from botkit.handle import (
    AnswerCheck,
    BotHandle,
    Delivery,
    OpenChoice,
    OpenStream,
    PlatformRecords,
    RecordEdit,
    ThreadChange,
)
from botkit.types import (
    Conversation,
    FileResult,
    MessageRef,
    PlatformUser,
    StreamPart,
    ThreadMessage,
    ToolProgress,
)
from botkit.ui.inputs import Modal
from botkit.ui.nodes import Message

if TYPE_CHECKING:
    from botkit.run.result import RunResult

__all__ = [
    "AnswerCheck",
    "BaseAdapter",
    "BotHandle",
    "Capabilities",
    "Delivery",
    "OpenChoice",
    "OpenStream",
    "PlatformAdapter",
    "PlatformRecords",
    "RecordEdit",
    "StreamPart",
    "ThreadChange",
    "ToolProgress",
    "find_user",
    "post_once",
    "stream_to",
]


@dataclass(frozen=True, kw_only=True)
class Capabilities:
    """What an adapter's platform can do beyond posting, editing and deleting messages."""

    streaming: bool = False
    """Edits one message in place as text arrives (else the core collects the text and
    posts it once, at the end: ``stream`` is then never called)."""
    get_messages: bool = False
    """Reads the conversation's history (needed for run_agent to remember earlier turns)."""
    lookup_user: bool = False
    post_file: bool = False
    ephemeral: bool = False
    """Shows a message to one person only."""
    agent_records: bool = False
    """Stores the agent's tool calls and results with the conversation, so history keeps them."""
    reactions: bool = False
    """Adds and removes emoji reactions on messages (``thread.react``)."""
    status: bool = False
    """Shows a passing status line ("is looking it up…") while the bot works."""
    suggested_prompts: bool = False
    """Offers clickable prompts in a conversation (Slack's assistant pane)."""
    titles: bool = False
    """Names a conversation on the platform too (Slack's assistant threads)."""
    modals: bool = False
    """Opens forms in a dialog from a click or command (``ctx.open_modal``)."""
    schedule: bool = False
    """Posts a message later, at a given time, even when the bot is not running."""
    direct_messages: bool = False
    """Opens a direct conversation with a person (``bot.open_dm``)."""
    own_intake: bool = False
    """Keeps every event it dispatches durable itself, and needs ``dispatch`` to return only
    when the handlers finished (the web adapter: its run records, taken over when their
    process dies). The durable inbox handles such events at once instead of queueing them."""


@runtime_checkable
class PlatformAdapter(Protocol):
    """What the core needs from a platform. See ``BaseAdapter`` for the degraded defaults."""

    platform: str
    capabilities: Capabilities

    @property
    def bot_user(self) -> PlatformUser | None:
        """The bot's own identity on the platform, once started."""
        ...

    async def start(self, bot: BotHandle) -> None:
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

    async def add_reaction(self, conversation: Conversation, ref: MessageRef,
                           emoji: str) -> None: ...

    async def remove_reaction(self, conversation: Conversation, ref: MessageRef,
                              emoji: str) -> None: ...

    async def set_status(self, conversation: Conversation, text: str,
                         loading_messages: Sequence[str] = ()) -> None:
        """Show (``""``: clear) the bot's passing status in the conversation."""
        ...

    async def set_suggested_prompts(self, conversation: Conversation,
                                    prompts: Sequence[tuple[str, str]],
                                    title: str | None = None) -> None:
        """Offer ``(title, message)`` prompts."""
        ...

    async def set_title(self, conversation: Conversation, title: str) -> None: ...

    async def open_modal(self, conversation: Conversation, event: Event, modal: Modal) -> None:
        """Open ``modal`` for the person whose ``event`` (a click, a command) it answers."""
        ...

    async def schedule(self, conversation: Conversation, message: Message,
                       post_at: datetime.datetime) -> str:
        """Have the platform post ``message`` at ``post_at``; returns the scheduled id."""
        ...

    async def open_dm(self, user: PlatformUser) -> Conversation:
        """The direct conversation between the bot and ``user``."""
        ...

    async def show_progress(self, conversation: Conversation, progress: ToolProgress) -> None:
        """A bot tool the agent called has finished (``progress.done``; ``progress.error``
        when it failed). Its start came as a ``ToolProgress`` in the reply stream, which
        is closed by the time bot tools run; adapters that show tool rows mark it done."""
        ...

    async def run_ended(self, conversation: Conversation, result: RunResult) -> None:
        """An agent run in ``conversation`` ended (``run_agent``, ``resume`` or a replay):
        how, with its run id and the interrupts it waits on. Called in the task that ran
        it, after the run is recorded; a failure here is logged and changes nothing."""
        ...


async def stream_to(adapter: PlatformAdapter, conversation: Conversation,
                    parts: AsyncIterable[StreamPart]) -> MessageRef | None:
    """Show ``parts`` through ``adapter``: streamed where it declares ``streaming``, else
    collected and posted once (so ``Capabilities.streaming`` is what decides)."""
    if adapter.capabilities.streaming:
        return await adapter.stream(conversation, parts)
    return await post_once(adapter, conversation, parts)


async def post_once(adapter: PlatformAdapter, conversation: Conversation,
                    parts: AsyncIterable[StreamPart]) -> MessageRef | None:
    """The whole text of ``parts`` as one post (None when there is none)."""
    text = "".join([p async for p in parts if isinstance(p, str)])
    if not text.strip():
        return None
    return await adapter.post(conversation, Message(text))


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
    """Degraded defaults for every optional capability; subclass and override.

    ``post``, ``update`` and ``delete`` have no sensible default: they raise
    ``NotImplementedError`` until the subclass defines them."""

    platform: str = "unknown"
    capabilities: Capabilities = Capabilities()

    @property
    def bot_user(self) -> PlatformUser | None:
        return None

    async def start(self, bot: BotHandle) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def begin_drain(self) -> None:
        """The bot is stopping: take no new deliveries (replies still go out until
        ``stop``). Called first thing in ``bot.stop()``."""
        return None

    async def rebuild_delivery(self, delivery: Delivery) -> Event | None:
        """The event of a delivery this adapter stored as it came
        (``BotHandle.admit_delivery``), built in the inbox's consumer, after the ack; None:
        nothing to handle after all. Only adapters that store deliveries override it."""
        return None

    async def close_stream(self, stream: OpenStream, notice: str) -> None:
        """End a streamed reply that a process which died (or was stopped mid-reply) left
        open on the platform, with ``notice`` at its end (its turn runs again). Called
        on start and while running, for each reply this adapter recorded with
        ``BotHandle.stream_opened``; an adapter that records none (its replies live only
        in its own process: the console; or are stored when complete: the web) keeps
        this default, which does nothing."""
        return None

    async def stream(
        self, conversation: Conversation, parts: AsyncIterable[StreamPart]
    ) -> MessageRef | None:
        """Collect the whole text, then post it once (for platforms that cannot edit)."""
        return await post_once(self, conversation, parts)

    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        raise NotImplementedError(f"{type(self).__name__} must implement post()")

    async def update(
        self, conversation: Conversation, ref: MessageRef, message: Message
    ) -> MessageRef:
        raise NotImplementedError(f"{type(self).__name__} must implement update() "
                                  "(edit a posted message; post a new one if the platform "
                                  "cannot edit)")

    async def delete(self, conversation: Conversation, ref: MessageRef) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement delete()")

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

    # the optional calls below are reached only where ``capabilities`` says so
    async def add_reaction(self, conversation: Conversation, ref: MessageRef,
                           emoji: str) -> None:
        return None

    async def remove_reaction(self, conversation: Conversation, ref: MessageRef,
                              emoji: str) -> None:
        return None

    async def set_status(self, conversation: Conversation, text: str,
                         loading_messages: Sequence[str] = ()) -> None:
        return None

    async def set_suggested_prompts(self, conversation: Conversation,
                                    prompts: Sequence[tuple[str, str]],
                                    title: str | None = None) -> None:
        return None

    async def set_title(self, conversation: Conversation, title: str) -> None:
        return None

    async def open_modal(self, conversation: Conversation, event: Event, modal: Modal) -> None:
        raise NotImplementedError(f"{self.platform} cannot open modals")

    async def schedule(self, conversation: Conversation, message: Message,
                       post_at: datetime.datetime) -> str:
        raise NotImplementedError(f"{self.platform} cannot schedule messages")

    async def open_dm(self, user: PlatformUser) -> Conversation:
        raise NotImplementedError(f"{self.platform} cannot open direct conversations")

    async def show_progress(self, conversation: Conversation, progress: ToolProgress) -> None:
        return None

    async def run_ended(self, conversation: Conversation, result: RunResult) -> None:
        return None
