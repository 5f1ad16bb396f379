"""A web thread's messages, kept in the bot's store: botkit is the platform of record.

Each ``WebMessage`` holds its author, its text, the components it was posted with (so a web
page can draw its buttons), the tool calls and results the bot recorded with it, and the
files attached to it. ``get_messages`` hands them to the core, which rebuilds the agent's
history from them on every turn.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from botkit.store.base import StateStore
from botkit.types import Attachment, PlatformUser, ThreadMessage
from botkit.ui.codec import encode_message
from botkit.ui.nodes import Message
from botkit.ui.text import numbered_choices, render_plain
from botkit_web.keys import message_key, message_order_key

__all__ = ["Control", "MessageLog", "WebFile", "WebMessage", "user_from_json", "user_json"]


def user_json(user: PlatformUser | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "handle": user.handle, "email": user.email,
            "is_bot": user.is_bot}


def user_from_json(data: Any) -> PlatformUser | None:
    if not isinstance(data, Mapping) or not isinstance(data.get("id"), str):
        return None
    return PlatformUser(id=data["id"], name=data.get("name"), handle=data.get("handle"),
                        email=data.get("email"), is_bot=bool(data.get("is_bot")))


@dataclass(frozen=True, kw_only=True)
class Control:
    """One answer a web page can send back: ``POST .../actions`` with this ``action_id``
    and ``value``."""

    action_id: str
    label: str
    value: Any


@dataclass(frozen=True, kw_only=True)
class WebFile:
    """A file attached to a message (its bytes are kept in the store, base64)."""

    id: str
    name: str
    mime_type: str = "application/octet-stream"
    size: int = 0
    title: str | None = None
    data: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True, kw_only=True)
class WebMessage:
    id: str
    thread_id: str
    text: str
    author: PlatformUser | None = None
    is_bot: bool = False
    is_status: bool = False
    """A status line (notices, progress): shown, left out of the agent's history."""
    ui: Mapping[str, Any] | None = None
    """The components it was posted with (``botkit.ui.codec`` form)."""
    controls: tuple[Control, ...] = ()
    agent_messages: tuple[Mapping[str, Any], ...] = ()
    files: tuple[WebFile, ...] = ()
    visible_to: str | None = None
    """An ephemeral message: only this user id sees it."""
    run_id: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0

    @classmethod
    def posted(cls, thread_id: str, message: Message, *, author: PlatformUser | None,
               run_id: str | None, visible_to: str | None = None) -> WebMessage:
        now = time.time()
        return cls(id=uuid.uuid4().hex, thread_id=thread_id, text=render_plain(message),
                   author=author, is_bot=True, is_status=message.status or visible_to is not None,
                   ui=encode_message(message), controls=controls_of(message),
                   visible_to=visible_to, run_id=run_id, created_at=now, updated_at=now)

    def edited(self, message: Message) -> WebMessage:
        return replace(self, text=render_plain(message), is_status=message.status,
                       ui=encode_message(message), controls=controls_of(message),
                       updated_at=time.time())

    def to_thread_message(self) -> ThreadMessage:
        return ThreadMessage(
            id=self.id, text=self.text, user=self.author, is_bot=self.is_bot, ts=self.created_at,
            is_status=self.is_status, agent_messages=self.agent_messages,
            attachments=tuple(Attachment(name=f.name, mime_type=f.mime_type, size=f.size,
                                         data=f.data) for f in self.files))

    def to_json(self, *, with_files: bool = False) -> dict[str, Any]:
        """The wire form (files without their bytes unless ``with_files``)."""
        return {
            "id": self.id, "thread_id": self.thread_id, "text": self.text,
            "author": user_json(self.author), "is_bot": self.is_bot,
            "is_status": self.is_status, "ui": dict(self.ui) if self.ui else None,
            "controls": [{"action_id": c.action_id, "label": c.label, "value": c.value}
                         for c in self.controls],
            "agent_messages": [dict(m) for m in self.agent_messages],
            "files": [_file_json(f, with_files) for f in self.files],
            "visible_to": self.visible_to, "run_id": self.run_id,
            "created_at": self.created_at, "updated_at": self.updated_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WebMessage:
        return cls(
            id=data["id"], thread_id=data["thread_id"], text=data.get("text") or "",
            author=user_from_json(data.get("author")), is_bot=bool(data.get("is_bot")),
            is_status=bool(data.get("is_status")), ui=data.get("ui"),
            controls=tuple(Control(action_id=c["action_id"], label=c["label"],
                                   value=c.get("value")) for c in data.get("controls") or ()),
            agent_messages=tuple(data.get("agent_messages") or ()),
            files=tuple(_file_from_json(f) for f in data.get("files") or ()),
            visible_to=data.get("visible_to"), run_id=data.get("run_id"),
            created_at=float(data.get("created_at") or 0.0),
            updated_at=float(data.get("updated_at") or 0.0))


def controls_of(message: Message) -> tuple[Control, ...]:
    return tuple(Control(action_id=c.action_id, label=c.label, value=c.value)
                 for c in numbered_choices(message))


def _file_json(f: WebFile, with_data: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"id": f.id, "name": f.name, "mime_type": f.mime_type,
                            "size": f.size, "title": f.title}
    if with_data and f.data is not None:
        data["data"] = base64.b64encode(f.data).decode()
    return data


def _file_from_json(data: Mapping[str, Any]) -> WebFile:
    raw = data.get("data")
    return WebFile(id=data["id"], name=data["name"],
                   mime_type=data.get("mime_type") or "application/octet-stream",
                   size=int(data.get("size") or 0), title=data.get("title"),
                   data=base64.b64decode(raw) if isinstance(raw, str) else None)


class MessageLog:
    """Read and write a web thread's messages in the store."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    async def add(self, message: WebMessage) -> WebMessage:
        await self.store.set(message_key(message.thread_id, message.id),
                             message.to_json(with_files=True))
        await self.store.list_append(message_order_key(message.thread_id), message.id)
        return message

    async def save(self, message: WebMessage) -> None:
        await self.store.set(message_key(message.thread_id, message.id),
                             message.to_json(with_files=True))

    async def get(self, thread_id: str, message_id: str) -> WebMessage | None:
        data = await self.store.get(message_key(thread_id, message_id))
        return None if data is None else WebMessage.from_json(data)

    async def delete(self, thread_id: str, message_id: str) -> bool:
        """Forget one message (its id stays in the order list and is skipped)."""
        key = message_key(thread_id, message_id)
        found = await self.store.get(key) is not None
        await self.store.delete(key)
        return found

    async def all(self, thread_id: str, *, viewer: str | None = None,
                  include_private: bool = False) -> list[WebMessage]:
        """Oldest first. Ephemeral messages show to their one viewer (or all of them with
        ``include_private``)."""
        ids: Sequence[str] = await self.store.list_range(message_order_key(thread_id))
        unique = list(dict.fromkeys(ids))
        found = await self.store.get_many([message_key(thread_id, i) for i in unique])
        messages = [WebMessage.from_json(d) for d in found if d is not None]
        return [m for m in messages
                if include_private or m.visible_to is None or m.visible_to == viewer]

    async def forget(self, thread_id: str) -> None:
        for message_id in await self.store.list_range(message_order_key(thread_id)):
            await self.store.delete(message_key(thread_id, message_id))
        await self.store.delete(message_order_key(thread_id))
