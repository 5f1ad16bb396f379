"""A thread's messages (``bot.threads`` message methods). The thread's platform decides
where they live: a platform that keeps them itself (Slack, the console) is read through its
adapter and written by posting as the bot (an operator taking over); a platform where botkit
is the record keeper (the web adapter) implements ``MessageKeeper`` and stores them, from any
author."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from botkit import ui
from botkit.adapter import PlatformAdapter
from botkit.codec import decode_conversation
from botkit.threads.errors import MessagesUnavailable, ThreadNotFound, ThreadQueryError
from botkit.threads.queries import check_page
from botkit.threads.records import ThreadRecord
from botkit.types import Conversation, MessageRef, PlatformUser, ThreadMessage

__all__ = ["MessageKeeper", "MessageNotFound", "MessagePage", "Role", "ThreadMessagesMixin",
           "Transcript", "conversation_of"]

log = logging.getLogger("botkit.threads")

Role = Literal["user", "assistant", "system"]
ROLES: tuple[str, ...] = ("user", "assistant", "system")


class MessageNotFound(ThreadNotFound):
    """The thread has no message with this id (HTTP 404)."""

    def __init__(self, thread_id: str, message_id: str) -> None:
        super().__init__(thread_id)
        self.args = (f"thread {thread_id!r} has no message {message_id!r}",)


@runtime_checkable
class MessageKeeper(Protocol):
    """An adapter whose platform botkit keeps the messages of (the web adapter): messages
    are appended and deleted as given, without posting anything anywhere."""

    async def add_message(self, conversation: Conversation, text: str, *, role: Role,
                          user: PlatformUser | None) -> ThreadMessage: ...

    async def delete_message(self, conversation: Conversation, message_id: str) -> bool:
        """True when it was there."""
        ...


@dataclass(frozen=True, kw_only=True)
class MessagePage:
    """One page of ``bot.threads.messages``: oldest first; ``total`` counts every match."""

    messages: tuple[ThreadMessage, ...]
    total: int
    limit: int
    offset: int

    def __iter__(self) -> Any:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)


@dataclass(frozen=True)
class Transcript:
    """A thread's platform messages, read once: LangGraph's ``values.messages`` at any
    checkpoint (``langchain(until=its time)``) or now (``langchain()``)."""

    items: tuple[ThreadMessage, ...]
    bot: PlatformUser | None

    def langchain(self, until: float | None = None) -> list[dict[str, Any]]:
        items = self.items if until is None else tuple(
            m for m in self.items if m.ts is None or m.ts <= until)
        from botkit.langchain import langchain_messages  # LangGraph clients only (startup memory)

        return langchain_messages(items, self.bot)


def conversation_of(record: ThreadRecord) -> Conversation:
    """Where the platform keeps the thread's messages."""
    return decode_conversation({"id": record.id, "channel": record.channel,
                                **record.conversation})


def _only_assistant(platform: str) -> ThreadQueryError:
    return ThreadQueryError([("role", f"the {platform!r} platform keeps its own messages: "
                                      "the API can only post as the bot (role assistant)")])


class ThreadMessagesMixin:
    _adapter_for: Callable[[str], PlatformAdapter | None] | None

    if TYPE_CHECKING:
        async def get(self, thread_id: str) -> ThreadRecord: ...

    def keeps_messages(self, platform: str) -> bool:
        """True when botkit itself keeps ``platform``'s messages (a ``MessageKeeper``)."""
        adapter = self._adapter_for(platform) if self._adapter_for else None
        return isinstance(adapter, MessageKeeper)

    def check_can_add(self, platform: str, roles: Sequence[str]) -> None:
        """Raise now what ``add_message`` would raise for these roles on ``platform``."""
        adapter = self._adapter_for(platform) if self._adapter_for else None
        if adapter is None:
            raise MessagesUnavailable(
                f"messages of {platform!r} threads live on that platform, which this "
                "process does not serve: ask the running bot that does (its threads API)")
        if not isinstance(adapter, MessageKeeper) and set(roles) - {"assistant"}:
            raise _only_assistant(platform)

    async def _platform(self, thread_id: str) -> tuple[ThreadRecord, PlatformAdapter]:
        record = await self.get(thread_id)
        adapter = self._adapter_for(record.platform) if self._adapter_for else None
        if adapter is None:
            raise MessagesUnavailable(
                f"messages of {thread_id!r} live on the {record.platform!r} platform, which "
                "this process does not serve: ask the running bot that does (its threads API)")
        if record.copied_from is not None and not isinstance(adapter, MessageKeeper):
            raise MessagesUnavailable(
                f"{thread_id!r} is a copy of {record.copied_from!r}: the {record.platform!r} "
                "platform keeps that thread's messages, and a copy has no conversation there "
                "(its state, checkpoints and runs were copied)")
        return record, adapter

    async def _all_messages(self, thread_id: str) -> list[ThreadMessage]:
        record, adapter = await self._platform(thread_id)
        if not adapter.capabilities.get_messages:
            return []
        items = await adapter.get_messages(conversation_of(record))
        return [m for m in items if not m.is_status]

    async def transcript(self, thread_id: str) -> Transcript | None:
        """The conversation, for LangGraph's ``values.messages``; None where this process
        cannot read it (a platform it does not serve, a copy, a platform failure)."""
        try:
            record, adapter = await self._platform(thread_id)
            if not adapter.capabilities.get_messages:
                return None
            items = await adapter.get_messages(conversation_of(record))
        except MessagesUnavailable:
            return None
        except Exception as exc:  # the state still answers, without the messages
            log.warning("could not read the messages of %s: %s: %s", thread_id,
                        type(exc).__name__, exc)
            return None
        return Transcript(tuple(items), adapter.bot_user)

    async def messages(self, thread_id: str, *, limit: int = 50, offset: int = 0,
                       search: str | None = None) -> MessagePage:
        """The conversation's messages: the newest ``limit`` after skipping the
        ``offset`` newest, oldest first. Status lines are left out; ``search`` keeps
        messages whose text contains it (case-insensitive)."""
        errors = check_page(limit, offset)
        if search is not None and not isinstance(search, str):
            errors.append(("search", "must be a string"))
        if errors:
            raise ThreadQueryError(errors)
        items = await self._all_messages(thread_id)
        if search:
            items = [m for m in items if search.casefold() in m.text.casefold()]
        end = max(0, len(items) - offset)
        return MessagePage(messages=tuple(items[max(0, end - limit):end]), total=len(items),
                           limit=limit, offset=offset)

    async def message(self, thread_id: str, message_id: str) -> ThreadMessage:
        _check_message_id(message_id)
        for m in await self._all_messages(thread_id):
            if m.id == message_id:
                return m
        raise MessageNotFound(thread_id, message_id)

    async def add_message(self, thread_id: str, text: str, *, role: str = "assistant",
                          user: PlatformUser | None = None) -> ThreadMessage:
        """Add a message. On a ``MessageKeeper`` platform it is stored as given (no run
        starts); on any other platform it is posted as the bot (``role`` must be
        ``assistant``): that is how an operator takes over a conversation."""
        errors = []
        if not isinstance(text, str) or not text.strip():
            errors.append(("text", "must be a non-empty string"))
        if role not in ROLES:
            errors.append(("role", f"must be one of {', '.join(ROLES)}"))
        if errors:
            raise ThreadQueryError(errors)
        record, adapter = await self._platform(thread_id)
        conversation = conversation_of(record)
        if isinstance(adapter, MessageKeeper):
            return await adapter.add_message(conversation, text, role=role,  # type: ignore[arg-type]
                                             user=user)
        if role != "assistant":
            raise _only_assistant(record.platform)
        try:
            ref = await adapter.post(conversation, ui.Message(text))
        except Exception as exc:
            raise MessagesUnavailable(f"{record.platform} refused the message: "
                                      f"{type(exc).__name__}: {exc}") from exc
        return ThreadMessage(id=ref.id, text=text, user=adapter.bot_user, is_bot=True)

    async def copy_messages(self, source: str, target: str) -> int:
        """Copy the kept messages of ``source`` into ``target`` (a copy's own conversation);
        0 where the platform keeps its own messages. Returns how many."""
        record = await self.get(source)
        adapter = self._adapter_for(record.platform) if self._adapter_for else None
        if not isinstance(adapter, MessageKeeper):
            return 0
        copied = conversation_of(await self.get(target))
        items = await self._all_messages(source)
        for m in items:
            await adapter.add_message(copied, m.text, user=m.user,
                                      role="assistant" if m.is_bot else "user")
        return len(items)

    async def delete_message(self, thread_id: str, message_id: str) -> None:
        """Delete one message (on a platform that keeps its own, only the bot's)."""
        found = await self.message(thread_id, message_id)
        record, adapter = await self._platform(thread_id)
        conversation = conversation_of(record)
        if isinstance(adapter, MessageKeeper):
            if not await adapter.delete_message(conversation, message_id):
                raise MessageNotFound(thread_id, message_id)
            return
        if not found.is_bot:
            raise MessagesUnavailable(f"{record.platform} only lets the bot delete its own "
                                      f"messages; {message_id!r} is someone else's")
        try:
            await adapter.delete(conversation, MessageRef(id=message_id,
                                                          channel=conversation.channel))
        except Exception as exc:
            raise MessagesUnavailable(f"{record.platform} refused to delete it: "
                                      f"{type(exc).__name__}: {exc}") from exc


def _check_message_id(message_id: object) -> None:
    if not isinstance(message_id, str) or not message_id.strip():
        raise ThreadQueryError([("message_id", "must be a non-empty string")])
