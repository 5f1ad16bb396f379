"""``FakeAdapter``: an in-memory chat platform for testing bots.

It records everything the bot does (posts, updates, deletes, streams, files, ephemeral
messages), keeps a per-conversation history that ``get_messages`` returns, and lets a test
play the people: ``emit_mention``, ``emit_message``, ``click``, ``emit_interaction``,
``emit_command``, ``emit_reaction``, ``emit_thread_started``, ``submit_modal``,
``close_modal``. Reactions, statuses, prompts, titles, opened modals, scheduled messages
and opened DMs are recorded in ``sent`` too. Switch capabilities off to test the degraded
paths.
"""

from __future__ import annotations

import asyncio
import datetime
import itertools
import json
from collections.abc import AsyncIterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from botkit.adapter import (
    BaseAdapter,
    BotHandle,
    Capabilities,
    StreamPart,
    ToolProgress,
    find_user,
)
from botkit.events import (
    CommandEvent,
    Event,
    InteractionEvent,
    MessageEvent,
    ModalCloseEvent,
    ModalSubmitEvent,
    ReactionEvent,
    ThreadStartedEvent,
)
from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.binding import iter_controls, wire_value
from botkit.ui.inputs import Modal
from botkit.ui.nodes import Button, Message
from botkit.ui.text import render_plain

__all__ = ["FULL_CAPABILITIES", "FakeAdapter", "Sent"]

FULL_CAPABILITIES = Capabilities(streaming=True, get_messages=True, lookup_user=True,
                                 post_file=True, ephemeral=True, agent_records=True,
                                 reactions=True, status=True, suggested_prompts=True,
                                 titles=True, modals=True, schedule=True,
                                 direct_messages=True)
ALICE = PlatformUser(id="U_ALICE", name="Alice", handle="alice", email="alice@example.com")
BOB = PlatformUser(id="U_BOB", name="Bob", handle="bob", email="bob@example.com")
BOT = PlatformUser(id="U_BOT", name="helpbot", handle="helpbot", is_bot=True)


@dataclass(frozen=True, kw_only=True)
class Sent:
    """One thing the bot did on the fake platform."""

    kind: Literal["post", "update", "delete", "stream", "ephemeral", "file", "react",
                  "unreact", "status", "prompts", "title", "modal", "schedule", "dm"]
    conversation: Conversation
    ref: MessageRef | None
    message: Message | None = None
    text: str = ""
    """The text shown; for a reaction its emoji, for a status or title its text."""
    user: PlatformUser | None = None
    parts: tuple[StreamPart, ...] = field(default=(), repr=False)
    prompts: tuple[tuple[str, str], ...] = ()
    """Suggested prompts, ``(title, message)``; a status's loading messages as (m, m)."""
    modal: Modal | None = None
    post_at: datetime.datetime | None = None


class FakeAdapter(BaseAdapter):
    def __init__(
        self,
        *,
        platform: str = "fake",
        capabilities: Capabilities = FULL_CAPABILITIES,
        users: Sequence[PlatformUser] = (ALICE, BOB),
        bot_user: PlatformUser = BOT,
    ) -> None:
        self.platform = platform
        self.capabilities = capabilities
        self.users = list(users)
        self._bot_user = bot_user
        self.bot: BotHandle | None = None
        self.sent: list[Sent] = []
        self.files: list[tuple[str, str, bytes, str | None]] = []
        self.history: dict[str, list[ThreadMessage]] = {}
        self._ids = itertools.count(1)
        self._posted: dict[str, Message] = {}
        self._changed = asyncio.Event()
        self._progress: list[ToolProgress] = []

    # -- adapter side ------------------------------------------------------------------
    @property
    def bot_user(self) -> PlatformUser:
        return self._bot_user

    async def start(self, bot: BotHandle) -> None:
        self.bot = bot

    def _new_ref(self, conversation: Conversation) -> MessageRef:
        return MessageRef(id=f"m{next(self._ids)}", channel=conversation.channel)

    def _log(self, sent: Sent) -> None:
        self.sent.append(sent)
        self._changed.set()
        self._changed = asyncio.Event()

    def _remember(self, conversation: Conversation, ref: MessageRef, text: str,
                  status: bool = False) -> None:
        items = self.history.setdefault(conversation.id, [])
        items[:] = [m for m in items if m.id != ref.id] + [
            ThreadMessage(id=ref.id, text=text, user=self._bot_user, is_bot=True,
                          is_status=status)]

    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        ref = self._new_ref(conversation)
        text = render_plain(message)
        self._posted[ref.id] = message
        self._remember(conversation, ref, text, message.status)
        self._log(Sent(kind="post", conversation=conversation, ref=ref, message=message, text=text))
        return ref

    async def update(self, conversation: Conversation, ref: MessageRef, message: Message
                     ) -> MessageRef:
        text = render_plain(message)
        self._posted[ref.id] = message
        self._remember(conversation, ref, text, message.status)
        self._log(Sent(kind="update", conversation=conversation, ref=ref, message=message,
                       text=text))
        return ref

    async def delete(self, conversation: Conversation, ref: MessageRef) -> None:
        items = self.history.get(conversation.id, [])
        items[:] = [m for m in items if m.id != ref.id]
        self._log(Sent(kind="delete", conversation=conversation, ref=ref))

    async def stream(self, conversation: Conversation, parts: AsyncIterable[StreamPart]
                     ) -> MessageRef | None:
        received: list[StreamPart] = []
        async for part in parts:
            received.append(part)
            if isinstance(part, ToolProgress):
                self._progress.append(part)
        text = "".join(p for p in received if isinstance(p, str))
        if not text.strip():
            return None
        ref = self._new_ref(conversation)
        self._remember(conversation, ref, text)
        self._log(Sent(kind="stream", conversation=conversation, ref=ref, text=text,
                       parts=tuple(received)))
        return ref

    async def post_ephemeral(self, conversation: Conversation, user: PlatformUser,
                             message: Message) -> MessageRef | None:
        ref = self._new_ref(conversation)
        self._log(Sent(kind="ephemeral", conversation=conversation, ref=ref, message=message,
                       text=render_plain(message), user=user))
        return ref

    async def get_messages(self, conversation: Conversation) -> list[ThreadMessage]:
        return list(self.history.get(conversation.id, []))

    async def lookup_user(self, query: str) -> PlatformUser | None:
        return find_user(self.users, query)

    async def post_file(self, conversation: Conversation, data: bytes, filename: str, *,
                        title: str | None = None, alt_text: str | None = None) -> FileResult:
        file_id = f"F{next(self._ids)}"
        self.files.append((conversation.id, filename, data, title))
        self._log(Sent(kind="file", conversation=conversation, ref=None, text=filename))
        return FileResult(ok=True, file_id=file_id)

    async def record_agent_messages(self, conversation: Conversation,
                                    messages: Sequence[Mapping[str, Any]]) -> None:
        self.history.setdefault(conversation.id, []).append(ThreadMessage(
            id=f"r{next(self._ids)}", text="", user=self._bot_user, is_bot=True, is_status=True,
            agent_messages=tuple(dict(m) for m in messages)))

    async def add_reaction(self, conversation: Conversation, ref: MessageRef,
                           emoji: str) -> None:
        self._log(Sent(kind="react", conversation=conversation, ref=ref, text=emoji))

    async def remove_reaction(self, conversation: Conversation, ref: MessageRef,
                              emoji: str) -> None:
        self._log(Sent(kind="unreact", conversation=conversation, ref=ref, text=emoji))

    async def set_status(self, conversation: Conversation, text: str,
                         loading_messages: Sequence[str] = ()) -> None:
        self._log(Sent(kind="status", conversation=conversation, ref=None, text=text,
                       prompts=tuple((m, m) for m in loading_messages)))

    async def set_suggested_prompts(self, conversation: Conversation,
                                    prompts: Sequence[tuple[str, str]],
                                    title: str | None = None) -> None:
        self._log(Sent(kind="prompts", conversation=conversation, ref=None, text=title or "",
                       prompts=tuple(prompts)))

    async def set_title(self, conversation: Conversation, title: str) -> None:
        self._log(Sent(kind="title", conversation=conversation, ref=None, text=title))

    async def open_modal(self, conversation: Conversation, event: Event, modal: Modal) -> None:
        self._log(Sent(kind="modal", conversation=conversation, ref=None, text=modal.title,
                       user=event.user, modal=modal))

    async def schedule(self, conversation: Conversation, message: Message,
                       post_at: datetime.datetime) -> str:
        ref = MessageRef(id=f"Q{next(self._ids)}", channel=conversation.channel)
        self._log(Sent(kind="schedule", conversation=conversation, ref=ref, message=message,
                       text=render_plain(message), post_at=post_at))
        return ref.id

    async def open_dm(self, user: PlatformUser) -> Conversation:
        conversation = Conversation(id=f"D_{user.id}", channel=f"D_{user.id}",
                                    is_direct=True)
        self._log(Sent(kind="dm", conversation=conversation, ref=None, user=user))
        return conversation

    async def show_progress(self, conversation: Conversation, progress: ToolProgress) -> None:
        self._progress.append(progress)

    # -- the people's side -------------------------------------------------------------
    def conversation(self, conversation_id: str = "C1:t1") -> Conversation:
        channel, _, thread = conversation_id.partition(":")
        return Conversation(id=conversation_id, channel=channel, thread=thread or None)

    def _bot(self) -> BotHandle:
        if self.bot is None:
            raise RuntimeError("start the bot first: `async with botkit.testing.running(bot):`")
        return self.bot

    async def emit_message(self, text: str, *, user: PlatformUser = ALICE,
                           conversation: str = "C1:t1", mentioned: bool = False) -> MessageEvent:
        """A person writes; returns once the bot's handlers finished."""
        event = self.message_event(text, user=user, conversation=conversation,
                                   mentioned=mentioned)
        await self._bot().dispatch(event)
        return event

    async def emit_mention(self, text: str, *, user: PlatformUser = ALICE,
                           conversation: str = "C1:t1") -> MessageEvent:
        return await self.emit_message(text, user=user, conversation=conversation,
                                       mentioned=True)

    def message_event(self, text: str, *, user: PlatformUser = ALICE,
                      conversation: str = "C1:t1", mentioned: bool = True) -> MessageEvent:
        """Record a person's message in history and build its event (dispatch it yourself,
        e.g. ``bot.spawn(bot.dispatch(event))`` when the handler will wait for a click)."""
        conv = self.conversation(conversation)
        ref = MessageRef(id=f"u{next(self._ids)}", channel=conv.channel)
        self.history.setdefault(conv.id, []).append(ThreadMessage(id=ref.id, text=text,
                                                                  user=user))
        return MessageEvent(platform=self.platform, event_id=f"ev-{ref.id}", conversation=conv,
                            user=user, text=text, ref=ref, mentioned=mentioned)

    async def emit_interaction(self, action_id: str, value: Any = None, *,
                               user: PlatformUser = ALICE, conversation: str = "C1:t1",
                               message: MessageRef | None = None) -> None:
        event = InteractionEvent(platform=self.platform, event_id=f"ev-i{next(self._ids)}",
                                 conversation=self.conversation(conversation), user=user,
                                 action_id=action_id, value=value, message=message)
        await self._bot().dispatch(event)

    async def click(self, label: str, *, user: PlatformUser = ALICE,
                    conversation: str = "C1:t1", message: MessageRef | None = None) -> None:
        """Click the button labelled ``label`` on the newest message showing it (or on
        ``message``); its value travels through JSON, as on a real platform."""
        for sent in reversed(self.sent):
            if sent.message is None or sent.ref is None or sent.kind == "ephemeral":
                continue
            if message is not None and sent.ref.id != message.id:
                continue
            current = self._posted.get(sent.ref.id)
            for control in iter_controls(current) if current else ():
                if isinstance(control, Button) and control.label == label and control.action_id:
                    value = json.loads(json.dumps(wire_value(control)))
                    await self.emit_interaction(control.action_id, value, user=user,
                                                conversation=conversation, message=sent.ref)
                    return
        raise LookupError(f"no button labelled {label!r} is shown")

    async def emit_command(self, command: str, text: str = "", *, user: PlatformUser = ALICE,
                           conversation: str = "C1:t1") -> None:
        event = CommandEvent(platform=self.platform, event_id=f"ev-c{next(self._ids)}",
                             conversation=self.conversation(conversation), user=user,
                             command=command, text=text)
        await self._bot().dispatch(event)

    async def emit_reaction(self, emoji: str, message: MessageRef, *, added: bool = True,
                            user: PlatformUser = ALICE, conversation: str = "C1:t1") -> None:
        await self._bot().dispatch(ReactionEvent(
            platform=self.platform, event_id=f"ev-r{next(self._ids)}",
            conversation=self.conversation(conversation), user=user, emoji=emoji,
            message=message, added=added))

    async def emit_thread_started(self, *, user: PlatformUser = ALICE,
                                  conversation: str = "D1:t1",
                                  context: Mapping[str, Any] | None = None,
                                  context_changed: bool = False) -> None:
        await self._bot().dispatch(ThreadStartedEvent(
            platform=self.platform, event_id=f"ev-t{next(self._ids)}",
            conversation=self.conversation(conversation), user=user,
            context=dict(context or {}), context_changed=context_changed))

    def _open_modal(self, callback_id: str | None) -> Sent:
        for sent in reversed(self.sent):
            if sent.modal is not None and callback_id in (None, sent.modal.callback_id):
                return sent
        raise LookupError(f"no modal {callback_id or ''} was opened".replace("  ", " "))

    async def submit_modal(self, values: Mapping[str, Any], *,
                           callback_id: str | None = None,
                           user: PlatformUser | None = None) -> dict[str, str]:
        """Submit the newest opened modal (of ``callback_id``) with ``values`` by input
        name; returns the per-field errors the handlers answered (``{}``: accepted)."""
        sent = self._open_modal(callback_id)
        assert sent.modal is not None
        event = ModalSubmitEvent(
            platform=self.platform, event_id=f"ev-s{next(self._ids)}",
            conversation=sent.conversation, user=user or sent.user or ALICE,
            callback_id=sent.modal.callback_id, values=dict(values),
            metadata=sent.modal.metadata)
        await self._bot().dispatch(event)
        return dict(event.reply.errors)

    async def close_modal(self, *, callback_id: str | None = None,
                          user: PlatformUser | None = None) -> None:
        sent = self._open_modal(callback_id)
        assert sent.modal is not None
        await self._bot().dispatch(ModalCloseEvent(
            platform=self.platform, event_id=f"ev-x{next(self._ids)}",
            conversation=sent.conversation, user=user or sent.user or ALICE,
            callback_id=sent.modal.callback_id, metadata=sent.modal.metadata))

    # -- looking at what happened ------------------------------------------------------
    def texts(self, conversation: str | None = None) -> list[str]:
        """Text of every post, update and stream, in order."""
        return [s.text for s in self.sent if s.kind in {"post", "update", "stream"}
                and (conversation is None or s.conversation.id == conversation)]

    def tool_progress(self) -> list[ToolProgress]:
        """Every tool row the bot showed, in order: starts (and results of tools the agent
        ran itself) from reply streams, bot tools finishing from ``show_progress``."""
        return list(self._progress)

    async def wait_for(self, predicate: Any, *, timeout: float = 5.0) -> Sent:
        """Wait until the bot did something matching ``predicate(sent)``."""
        async with asyncio.timeout(timeout):
            seen = 0
            while True:
                for sent in self.sent[seen:]:
                    if predicate(sent):
                        return sent
                seen = len(self.sent)
                await self._changed.wait()

    async def wait_for_buttons(self, *, timeout: float = 5.0) -> Sent:
        """Wait until the bot shows a message with clickable controls."""
        return await self.wait_for(
            lambda s: s.message is not None and any(True for _ in iter_controls(s.message)),
            timeout=timeout)

    def of_kind(self, kind: str, conversation: str | None = None) -> list[Sent]:
        """What the bot did of one ``kind`` (``"react"``, ``"status"``, ``"modal"`` …)."""
        return [s for s in self.sent if s.kind == kind
                and (conversation is None or s.conversation.id == conversation)]
