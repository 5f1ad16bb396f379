"""A web thread's messages, kept in the bot's store: botkit is the platform of record.

Each ``WebMessage`` holds its author, its text, the components it was posted with (so a web
page can draw its buttons), the tool calls and results the bot recorded with it, and the
files attached to it (their bytes under their own keys, read only when the history needs
them). ``get_messages`` hands them to the core, which rebuilds the agent's history from them
on every turn.

Storage ids are minted here (``new_id``); an id a client sent is kept as ``client_id``.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from botkit.codec import decode_user
from botkit.store.base import StateStore
from botkit.types import Attachment, PlatformUser, ThreadMessage
from botkit.ui.codec import encode_message
from botkit.ui.nodes import Message
from botkit.ui.text import numbered_choices, render_plain
from botkit_web.errors import Conflict
from botkit_web.keys import file_key, message_key, message_order_key

__all__ = ["MAX_MESSAGES", "Control", "Duplicate", "MessageLog", "WebFile", "WebMessage",
           "public_user", "stored_user"]

MAX_MESSAGES = 10_000
"""Messages kept per web thread; older ones (and their files) are dropped."""


class Duplicate(Conflict):
    """A message with this id is already stored (HTTP 409)."""


def new_id() -> str:
    return uuid.uuid4().hex


def public_user(user: PlatformUser | None) -> dict[str, Any] | None:
    """A person as other readers of a thread see them: no email, no platform payload."""
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "handle": user.handle, "is_bot": user.is_bot}


def stored_user(data: Any) -> PlatformUser | None:
    try:
        return None if data is None else decode_user(data)
    except ValueError:
        return None


class Control(BaseModel):
    """One answer a web page can send back: ``POST .../actions`` with this ``action_id``
    and ``value``."""

    model_config = ConfigDict(frozen=True)

    action_id: str
    label: str
    value: Any = None


class WebFile(BaseModel):
    """A file attached to a message. ``data`` is filled only when read for the history
    (``MessageLog.all(with_files=True)``); the bytes live at ``keys.file_key``, never in
    the message's JSON."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    mime_type: str = "application/octet-stream"
    size: int = 0
    title: str | None = None
    data: bytes | None = Field(default=None, exclude=True, repr=False)


class WebMessage(BaseModel):
    """One message of a web thread (stored as its JSON dump)."""

    model_config = ConfigDict(frozen=True)

    id: str
    thread_id: str
    text: str
    author: PlatformUser | None = None
    is_bot: bool = False
    is_status: bool = False
    """A status line (notices, progress): shown, left out of the agent's history."""
    ui: dict[str, Any] | None = None
    """The components it was posted with (``botkit.ui.codec`` form)."""
    controls: tuple[Control, ...] = ()
    agent_messages: tuple[dict[str, Any], ...] = ()
    """AG-UI tool calls and results the bot recorded with it (wire form)."""
    files: tuple[WebFile, ...] = ()
    visible_to: str | None = None
    """An ephemeral message: only this user id sees it."""
    run_id: str | None = None
    client_id: str | None = None
    """The id the client sent with it (never the storage id)."""
    created_at: float = 0.0
    updated_at: float = 0.0

    @classmethod
    def posted(cls, thread_id: str, message: Message, *, author: PlatformUser | None,
               run_id: str | None, visible_to: str | None = None) -> WebMessage:
        now = time.time()
        return cls(id=new_id(), thread_id=thread_id, text=render_plain(message),
                   author=author, is_bot=True, is_status=message.status or visible_to is not None,
                   ui=encode_message(message), controls=controls_of(message),
                   visible_to=visible_to, run_id=run_id, created_at=now, updated_at=now)

    def edited(self, message: Message) -> WebMessage:
        return self.model_copy(update={
            "text": render_plain(message), "is_status": message.status,
            "ui": encode_message(message), "controls": controls_of(message),
            "updated_at": time.time()})

    def to_thread_message(self) -> ThreadMessage:
        return ThreadMessage(
            id=self.id, text=self.text, user=self.author, is_bot=self.is_bot, ts=self.created_at,
            is_status=self.is_status, agent_messages=self.agent_messages,
            attachments=tuple(Attachment(name=f.name, mime_type=f.mime_type, size=f.size,
                                         data=f.data) for f in self.files))

    def to_json(self) -> dict[str, Any]:
        """The wire form: what readers of the thread see (authors without email, files
        without their bytes)."""
        return {**self.model_dump(mode="json", exclude={"author"}),
                "author": public_user(self.author)}

    def to_store(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebMessage:
        """Read the stored (or wire) form back."""
        return cls.model_validate(data)


def controls_of(message: Message) -> tuple[Control, ...]:
    return tuple(Control(action_id=c.action_id, label=c.label, value=c.value)
                 for c in numbered_choices(message))


class MessageLog:
    """Read and write a web thread's messages in the store."""

    def __init__(self, store: StateStore, *, keep: int = MAX_MESSAGES) -> None:
        self.store = store
        self.keep = keep

    async def add(self, message: WebMessage, *, file_data: Mapping[str, bytes] | None = None
                  ) -> WebMessage:
        """Store a new message (``Duplicate`` when its id is taken) and its files' bytes."""
        for file_id, data in (file_data or {}).items():
            await self.store.set(file_key(message.thread_id, file_id),
                                 base64.b64encode(data).decode())
        key = message_key(message.thread_id, message.id)
        if not await self.store.compare_and_set(key, None, message.to_store()):
            raise Duplicate(f"message {message.id!r} already exists")
        order = message_order_key(message.thread_id)
        length = await self.store.list_append(order, message.id)
        if length > self.keep:
            await self._drop_oldest(message.thread_id, length - self.keep)
        return message

    async def _drop_oldest(self, thread_id: str, count: int) -> None:
        order = message_order_key(thread_id)
        dropped = await self.store.list_range(order, 0, count)
        await self.store.list_trim(order, self.keep)
        for message_id in dropped:
            await self._forget(thread_id, str(message_id))

    async def _forget(self, thread_id: str, message_id: str) -> None:
        data = await self.store.pop(message_key(thread_id, message_id))
        for f in (data or {}).get("files") or ():
            await self.store.delete(file_key(thread_id, str(f.get("id"))))

    async def save(self, message: WebMessage) -> None:
        await self.store.set(message_key(message.thread_id, message.id), message.to_store())

    async def get(self, thread_id: str, message_id: str) -> WebMessage | None:
        data = await self.store.get(message_key(thread_id, message_id))
        return None if data is None else WebMessage.from_json(data)

    async def delete(self, thread_id: str, message_id: str) -> bool:
        """Forget one message and its files (its id stays in the order list, skipped)."""
        found = await self.store.get(message_key(thread_id, message_id)) is not None
        await self._forget(thread_id, message_id)
        return found

    async def all(self, thread_id: str, *, viewer: str | None = None,
                  include_private: bool = False, with_files: bool = False
                  ) -> list[WebMessage]:
        """Oldest first. Ephemeral messages show to their one viewer (or all of them with
        ``include_private``); ``with_files`` reads the files' bytes too."""
        ids: Sequence[str] = await self.store.list_range(message_order_key(thread_id))
        unique = list(dict.fromkeys(ids))
        found = await self.store.get_many([message_key(thread_id, i) for i in unique])
        messages = [WebMessage.from_json(d) for d in found if d is not None]
        shown = [m for m in messages
                 if include_private or m.visible_to is None or m.visible_to == viewer]
        if with_files:
            shown = [await self._with_files(m) if m.files else m for m in shown]
        return shown

    async def _with_files(self, message: WebMessage) -> WebMessage:
        raw = await self.store.get_many([file_key(message.thread_id, f.id)
                                         for f in message.files])
        files = tuple(f.model_copy(update={"data": base64.b64decode(r)
                                           if isinstance(r, str) else None})
                      for f, r in zip(message.files, raw, strict=True))
        return message.model_copy(update={"files": files})

    async def file(self, thread_id: str, file_id: str) -> bytes | None:
        raw = await self.store.get(file_key(thread_id, file_id))
        return base64.b64decode(raw) if isinstance(raw, str) else None

    async def find_client_ids(self, thread_id: str) -> set[str]:
        """The client-sent ids of the thread's messages."""
        return {m.client_id for m in await self.all(thread_id, include_private=True)
                if m.client_id}
