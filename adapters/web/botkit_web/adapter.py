"""``WebAdapter``: botkit itself is the platform of record.

A web thread's messages (authors, text, components, tool calls and results, files) live in
the bot's store (SQLite by default under ``botkit run``, Redis for replicas), and the core
rebuilds the agent's history from them on every turn, as it does from Slack. People reach
the bot over HTTP (``botkit_web.create_app``: LangGraph-shaped runs and an AG-UI endpoint)
or from Python (``adapter.send`` / ``run`` / ``stream`` / ``resume`` / ``act``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui

from botkit.adapter import BaseAdapter, Capabilities, StreamPart, ToolProgress, find_user
from botkit.errors import UserError
from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.nodes import Message
from botkit_web.auth import Authenticate, local_user
from botkit_web.engine import RunEngine
from botkit_web.keys import user_key, user_prefix
from botkit_web.messages import MessageLog, WebFile, WebMessage, user_from_json, user_json
from botkit_web.surface import CURRENT, MESSAGE_DELETED, MESSAGE_POSTED, MESSAGE_UPDATED
from botkit_web.turns import Turns

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit_web.runs import WebRun
    from botkit_web.server import WebServer

__all__ = ["WebAdapter"]

MAX_FILE_BYTES = 10 * 1024 * 1024


class WebAdapter(BaseAdapter):
    """The web platform. ``authenticate(request) -> PlatformUser`` (sync or async) says who
    calls the HTTP routes (default: one local user, for development); ``users`` is a
    directory for ``lookup_user`` (everyone who wrote in a web thread is found too).
    With ``port`` the adapter serves its routes itself while the bot runs (``port=0``
    picks a free one; read ``adapter.url``)."""

    platform = "web"

    def __init__(self, *, authenticate: Authenticate | None = None,
                 users: Sequence[PlatformUser] = (), port: int | None = None,
                 host: str = "127.0.0.1", max_body_bytes: int = 1024 * 1024,
                 max_file_bytes: int = MAX_FILE_BYTES, assistant_id: str = "botkit") -> None:
        if port is not None and (isinstance(port, bool) or not isinstance(port, int)
                                 or not 0 <= port <= 65535):
            raise UserError(f"WebAdapter port must be 0-65535 or None, not {port!r}")
        if not isinstance(max_body_bytes, int) or max_body_bytes < 1024:
            raise UserError("max_body_bytes must be an integer >= 1024")
        self.capabilities = Capabilities(streaming=True, get_messages=True, lookup_user=True,
                                         post_file=True, ephemeral=True, agent_records=True)
        self.authenticate: Authenticate = authenticate or local_user
        self.directory = tuple(users)
        self.port, self.host = port, host
        self.max_body_bytes, self.max_file_bytes = max_body_bytes, max_file_bytes
        self.assistant_id = assistant_id
        self._bot: Bot | None = None
        self._bot_user = PlatformUser(id="web-bot", name="bot", is_bot=True)
        self._engine: RunEngine | None = None
        self._server: WebServer | None = None

    @property
    def bot_user(self) -> PlatformUser:
        return self._bot_user

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise UserError("the web adapter is not started: add it to a bot and start it")
        return self._bot

    @property
    def engine(self) -> RunEngine:
        if self._engine is None:
            raise UserError("the web adapter is not started: add it to a bot and start it")
        return self._engine

    @property
    def messages(self) -> MessageLog:
        return MessageLog(self.bot.store)

    @property
    def turns(self) -> Turns:
        """Send messages, resume interrupts and answer actions (the Python API)."""
        return Turns(self)

    @property
    def url(self) -> str | None:
        """Where the adapter's own server listens (with ``port=``), once started."""
        return None if self._server is None else self._server.url

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self, bot: Bot) -> None:
        self._bot = bot
        self._bot_user = PlatformUser(id="web-bot", name=bot.name, is_bot=True)
        self._engine = RunEngine(bot)
        if self.port is not None:
            from botkit_web.server import WebServer
            self._server = await WebServer(bot, self, host=self.host, port=self.port).start()

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.stop()

    @staticmethod
    def conversation(thread_id: str) -> Conversation:
        return Conversation(id=thread_id, channel="web", thread=thread_id)

    # -- egress ------------------------------------------------------------------------
    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        surface = _surface(conversation)
        stored = WebMessage.posted(conversation.id, message, author=self._bot_user,
                                   run_id=surface.run_id if surface else None)
        await self.messages.add(stored)
        if surface is not None:
            await surface.message(MESSAGE_POSTED, stored)
        return MessageRef(id=stored.id, channel=conversation.channel)

    async def update(self, conversation: Conversation, ref: MessageRef, message: Message
                     ) -> MessageRef:
        old = await self.messages.get(conversation.id, ref.id)
        if old is None:
            raise UserError(f"no message {ref.id!r} in web thread {conversation.id!r}")
        new = old.edited(message)
        await self.messages.save(new)
        if (surface := _surface(conversation)) is not None:
            await surface.message(MESSAGE_UPDATED, new)
        return ref

    async def delete(self, conversation: Conversation, ref: MessageRef) -> None:
        old = await self.messages.get(conversation.id, ref.id)
        await self.messages.delete(conversation.id, ref.id)
        if old is not None and (surface := _surface(conversation)) is not None:
            await surface.message(MESSAGE_DELETED, old)

    async def stream(self, conversation: Conversation, parts: AsyncIterable[StreamPart]
                     ) -> MessageRef | None:
        surface = _surface(conversation)
        message_id = uuid.uuid4().hex
        text: list[str] = []
        async for part in parts:
            if surface is None:
                if isinstance(part, str):
                    text.append(part)
                continue
            if isinstance(part, ToolProgress):
                await surface.tool_progress(part, message_id if text else None)
                continue
            if not text:
                await surface.text_start(message_id)
            text.append(part)
            await surface.text_delta(message_id, part)
        if surface is not None:
            await surface.text_end(message_id)
        body = "".join(text)
        if not body.strip():
            return None
        now = time.time()
        await self.messages.add(WebMessage(
            id=message_id, thread_id=conversation.id, text=body, author=self._bot_user,
            is_bot=True, run_id=surface.run_id if surface else None, created_at=now,
            updated_at=now))
        return MessageRef(id=message_id, channel=conversation.channel)

    async def post_ephemeral(self, conversation: Conversation, user: PlatformUser,
                             message: Message) -> MessageRef | None:
        surface = _surface(conversation)
        stored = WebMessage.posted(conversation.id, message, author=self._bot_user,
                                   run_id=surface.run_id if surface else None,
                                   visible_to=user.id)
        await self.messages.add(stored)
        run_user = surface.feed.run.user if surface is not None else None
        if surface is not None and run_user is not None and run_user.id == user.id:
            await surface.message(MESSAGE_POSTED, stored)
        return MessageRef(id=stored.id, channel=conversation.channel)

    async def get_messages(self, conversation: Conversation) -> list[ThreadMessage]:
        stored = await self.messages.all(conversation.id, include_private=True)
        return [m.to_thread_message() for m in stored]

    async def lookup_user(self, query: str) -> PlatformUser | None:
        store = self.bot.store
        seen = await store.get_many(await store.scan(user_prefix()))
        people = [u for u in (user_from_json(d) for d in seen) if u is not None]
        return find_user([*self.directory, *people], query)

    async def post_file(self, conversation: Conversation, data: bytes, filename: str, *,
                        title: str | None = None, alt_text: str | None = None) -> FileResult:
        if len(data) > self.max_file_bytes:
            return FileResult(ok=False, error=f"the file is {len(data)} bytes; web threads "
                              f"take files up to {self.max_file_bytes} bytes")
        file = WebFile(id=uuid.uuid4().hex, name=filename.rsplit("/", 1)[-1] or "file",
                       mime_type=_mime(filename), size=len(data), title=title, data=data)
        label = title or file.name
        surface = _surface(conversation)
        now = time.time()
        stored = WebMessage(id=uuid.uuid4().hex, thread_id=conversation.id,
                            text=f"[file: {label}]", author=self._bot_user, is_bot=True,
                            files=(file,), run_id=surface.run_id if surface else None,
                            created_at=now, updated_at=now)
        await self.messages.add(stored)
        if surface is not None:
            await surface.message(MESSAGE_POSTED, stored)
        return FileResult(ok=True, file_id=file.id)

    async def record_agent_messages(self, conversation: Conversation,
                                    messages: Sequence[Mapping[str, Any]]) -> None:
        surface = _surface(conversation)
        now = time.time()
        await self.messages.add(WebMessage(
            id=uuid.uuid4().hex, thread_id=conversation.id, text="", author=self._bot_user,
            is_bot=True, is_status=True, agent_messages=tuple(dict(m) for m in messages),
            run_id=surface.run_id if surface else None, created_at=now, updated_at=now))
        if surface is not None:
            await surface.recorded(messages)

    # -- people ------------------------------------------------------------------------
    async def remember(self, user: PlatformUser) -> None:
        """Keep who wrote, for ``lookup_user``."""
        await self.bot.store.set(user_key(user.id), user_json(user))

    # -- the Python API (see ``Turns``) --------------------------------------------------
    async def create_thread(self, thread_id: str | None = None, *, title: str = "",
                            metadata: Mapping[str, Any] | None = None) -> str:
        return await self.turns.create_thread(thread_id, title=title, metadata=metadata)

    async def send(self, thread_id: str, text: str, *, user: PlatformUser | None = None
                   ) -> WebRun:
        """Post ``text`` as ``user`` and start the bot's turn; returns the run at once."""
        return await self.turns.send(thread_id, [{"role": "user", "content": text}],
                                     user=user or _default_user())

    async def run(self, thread_id: str, text: str, *, user: PlatformUser | None = None
                  ) -> WebRun:
        """``send``, then wait for the run to finish."""
        return await self.engine.wait(await self.send(thread_id, text, user=user))

    async def follow(self, run: WebRun, *, after: int = 0) -> AsyncIterator[agui.BaseEvent]:
        """The run's AG-UI events (from event number ``after``) until it ends."""
        async for _, event in self.turns.follow(run, after=after):
            yield event


def _surface(conversation: Conversation) -> Any:
    surface = CURRENT.get()
    return surface if surface is not None and surface.thread_id == conversation.id else None


def _default_user() -> PlatformUser:
    return PlatformUser(id="web-user", name="you")


def _mime(filename: str) -> str:
    import mimetypes
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
