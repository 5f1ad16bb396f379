"""``WebAdapter``: botkit itself is the platform of record.

A web thread's messages (authors, text, components, tool calls and results, files) live in
the bot's store (SQLite by default under ``botkit run``, Redis for replicas), and the core
rebuilds the agent's history from them on every turn, as it does from Slack. People reach
the bot over HTTP (``botkit_web.create_app``: LangGraph-shaped runs and an AG-UI endpoint)
or from Python (``adapter.send`` / ``run`` / ``follow`` / ``turns.resume`` / ``turns.act``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui

from botkit.adapter import BaseAdapter, BotHandle, Capabilities, StreamPart, ToolProgress, find_user
from botkit.errors import AdapterError, UserError
from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.nodes import Message
from botkit_web.access import ThreadAccess
from botkit_web.auth import LOCAL_USER, Authenticate, check_authenticate, local_user
from botkit_web.engine import RunEngine
from botkit_web.errors import NotFound
from botkit_web.keys import thread_keys, thread_prefixes, user_key, user_prefix
from botkit_web.messages import MessageLog, WebFile, WebMessage, new_id, stored_user
from botkit_web.recovery import RECOVER_EVERY, Recovery
from botkit_web.surface import CURRENT, MESSAGE_DELETED, MESSAGE_POSTED, MESSAGE_UPDATED, RunSurface
from botkit_web.turns import Turns, UserInput

if TYPE_CHECKING:
    from botkit import RunResult
    from botkit_web.runs import WebRun
    from botkit_web.server import WebServer

__all__ = ["WebAdapter"]

log = logging.getLogger("botkit.web")
MAX_FILE_BYTES = 10 * 1024 * 1024


class WebAdapter(BaseAdapter):
    """The web platform. ``authenticate(request) -> PlatformUser`` (sync or async) says who
    calls the HTTP routes (default: one local user, for development on 127.0.0.1 only —
    another ``host`` needs a real hook, or ``allow_local_user=True``); ``users`` is a
    directory for ``lookup_user`` (everyone who wrote in a web thread is found too).
    When the bot serves the threads API (``threads_api=``, ``botkit run --threads-api``)
    the routes are served there too, behind its tokens (``botkit_web.auth`` says how a
    token and ``authenticate`` combine). With ``port`` the adapter also serves its routes
    itself while the bot runs (``port=0`` picks a free one; read ``adapter.url``).
    Streams send a keepalive comment after ``keepalive`` idle seconds."""

    platform = "web"

    def __init__(self, *, authenticate: Authenticate | None = None,
                 users: Sequence[PlatformUser] = (), port: int | None = None,
                 host: str = "127.0.0.1", max_body_bytes: int = 1024 * 1024,
                 max_file_bytes: int = MAX_FILE_BYTES, assistant_id: str = "botkit",
                 keepalive: float = 15.0, allow_local_user: bool = False) -> None:
        if port is not None and (isinstance(port, bool) or not isinstance(port, int)
                                 or not 0 <= port <= 65535):
            raise UserError(f"WebAdapter port must be 0-65535 or None, not {port!r}")
        if not isinstance(max_body_bytes, int) or max_body_bytes < 1024:
            raise UserError("max_body_bytes must be an integer >= 1024")
        if isinstance(keepalive, bool) or not isinstance(keepalive, int | float) \
                or keepalive <= 0:
            raise UserError("keepalive must be a positive number of seconds")
        self.authenticate: Authenticate = check_authenticate(authenticate or local_user)
        if self.authenticate is local_user and port is not None and not _loopback(host) \
                and not allow_local_user:
            raise UserError(
                f"WebAdapter(host={host!r}) would let anyone on the network in as one local "
                "user: pass authenticate= (e.g. botkit_web.header_user() behind a signing-in "
                "proxy), bind host='127.0.0.1', or pass allow_local_user=True if you mean it")
        self.capabilities = Capabilities(streaming=True, get_messages=True, lookup_user=True,
                                         post_file=True, ephemeral=True, agent_records=True,
                                         own_intake=True)
        self.directory = tuple(users)
        self.port, self.host = port, host
        self.max_body_bytes, self.max_file_bytes = max_body_bytes, max_file_bytes
        self.assistant_id = assistant_id
        self.keepalive = float(keepalive)
        self._bot: BotHandle | None = None
        self._bot_user = PlatformUser(id="web-bot", name="bot", is_bot=True)
        self._engine: RunEngine | None = None
        self._server: WebServer | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._recovery: Recovery | None = None
        self.recover_every = RECOVER_EVERY
        """How often (seconds) this process looks for runs of stopped processes."""
        self.mounted = False
        """Whether the routes are served by the bot's threads API (set by ``start``)."""

    @property
    def bot_user(self) -> PlatformUser:
        return self._bot_user

    @property
    def bot(self) -> BotHandle:
        if self._bot is None:
            raise UserError("the web adapter is not started: add it to a bot and start it")
        return self._bot

    @property
    def engine(self) -> RunEngine:
        if self._engine is None:
            raise UserError("the web adapter is not started: add it to a bot and start it")
        return self._engine

    @property
    def recovery(self) -> Recovery:
        """This process's watch over the runs of stopped processes (``check()`` looks now)."""
        if self._recovery is None:
            raise UserError("the web adapter is not started: add it to a bot and start it")
        return self._recovery

    @property
    def messages(self) -> MessageLog:
        return MessageLog(self.bot.records.store)

    @property
    def access(self) -> ThreadAccess:
        return ThreadAccess(self)

    @property
    def turns(self) -> Turns:
        """Send messages, resume interrupts and answer actions (the Python API)."""
        return Turns(self)

    @property
    def url(self) -> str | None:
        """Where the adapter's own server listens (with ``port=``), once started."""
        return None if self._server is None else self._server.url

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self, bot: BotHandle) -> None:
        self._bot = bot
        self._bot_user = PlatformUser(id="web-bot", name=bot.name, is_bot=True)
        self._engine = RunEngine(bot)
        await self._engine.open()
        self._recovery = Recovery(self._engine, self.turns.rerun,
                                  every=self.recover_every).start()
        from botkit_web.http import web_route_group
        self.mounted = bot.mount_routes(web_route_group(self))
        listening = asyncio.Event()
        self._watcher = asyncio.create_task(self._forget_deleted(listening),
                                            name="web-thread-deletions")
        await listening.wait()
        if self.port is not None:
            from botkit_web.server import WebServer
            self._server = await WebServer(self, host=self.host, port=self.port).start()

    async def begin_drain(self) -> None:
        """The bot is stopping: take over no more runs of stopped processes."""
        recovery, self._recovery = self._recovery, None
        if recovery is not None:
            await recovery.close()

    async def stop(self) -> None:
        await self.begin_drain()
        server, self._server = self._server, None
        if server is not None:
            await server.stop()
        if self._engine is not None:
            await self._engine.close()
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _forget_deleted(self, listening: asyncio.Event) -> None:
        """Drop a web thread's messages, runs and files when ``bot.threads.delete`` drops
        its record (in this process; ``create_thread`` also clears leftovers)."""
        async with self.bot.records.thread_changes() as events:
            listening.set()
            async for event in events:
                if event.type == "deleted":
                    try:
                        await self.forget_thread(event.thread_id)
                    except Exception:
                        log.exception("could not forget web thread %s", event.thread_id)

    async def forget_thread(self, thread_id: str) -> None:
        """Delete the web data of a thread (messages, files, runs, waiting interrupt) and
        cancel its runs here. For ``bot.threads.delete`` to call; safe to repeat."""
        for run_id in self.engine.active(thread_id):
            self.engine.cancel(run_id)
        store = self.bot.records.store
        for prefix in thread_prefixes(thread_id):
            for key in await store.scan(prefix):
                await store.delete(key)
        for key in thread_keys(thread_id):
            await store.delete(key)

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
            raise AdapterError(f"no message {ref.id!r} in web thread {conversation.id!r}",
                               platform="web", code="message_not_found")
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
        """Show text as it arrives; what was shown is stored even if the run is cancelled
        midway."""
        surface = _surface(conversation)
        message_id = new_id()
        text: list[str] = []
        try:
            async for part in parts:
                if isinstance(part, ToolProgress):
                    if surface is not None:
                        await surface.tool_progress(part, message_id if text else None)
                    continue
                if surface is not None and not text:
                    await surface.text_start(message_id)
                text.append(part)
                if surface is not None:
                    await surface.text_delta(message_id, part)
        finally:
            body = "".join(text)
            if body.strip():
                now = time.time()
                await self.messages.add(WebMessage(
                    id=message_id, thread_id=conversation.id, text=body,
                    author=self._bot_user, is_bot=True,
                    run_id=surface.run_id if surface else None, created_at=now,
                    updated_at=now))
            if surface is not None:
                await surface.text_end(message_id)
        if not body.strip():
            return None
        return MessageRef(id=message_id, channel=conversation.channel)

    async def post_ephemeral(self, conversation: Conversation, user: PlatformUser,
                             message: Message) -> MessageRef | None:
        surface = _surface(conversation)
        stored = WebMessage.posted(conversation.id, message, author=self._bot_user,
                                   run_id=surface.run_id if surface else None,
                                   visible_to=user.id)
        await self.messages.add(stored)
        if surface is not None:  # followers of the run see it only if they are ``user``
            await surface.message(MESSAGE_POSTED, stored)
        return MessageRef(id=stored.id, channel=conversation.channel)

    async def get_messages(self, conversation: Conversation) -> list[ThreadMessage]:
        stored = await self.messages.all(conversation.id, include_private=True,
                                         with_files=True)
        return [m.to_thread_message() for m in stored]

    async def lookup_user(self, query: str) -> PlatformUser | None:
        store = self.bot.records.store
        seen = await store.get_many(await store.scan(user_prefix()))
        people = [u for u in (stored_user(d) for d in seen) if u is not None]
        return find_user([*self.directory, *people], query)

    async def post_file(self, conversation: Conversation, data: bytes, filename: str, *,
                        title: str | None = None, alt_text: str | None = None) -> FileResult:
        if len(data) > self.max_file_bytes:
            return FileResult(ok=False, error=f"the file is {len(data)} bytes; web threads "
                              f"take files up to {self.max_file_bytes} bytes")
        name = filename.rsplit("/", 1)[-1] or "file"
        file = WebFile(id=new_id(), name=name,
                       mime_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                       size=len(data), title=title)
        surface = _surface(conversation)
        now = time.time()
        stored = WebMessage(id=new_id(), thread_id=conversation.id,
                            text=f"[file: {title or file.name}]", author=self._bot_user,
                            is_bot=True, files=(file,),
                            run_id=surface.run_id if surface else None,
                            created_at=now, updated_at=now)
        await self.messages.add(stored, file_data={file.id: data})
        if surface is not None:
            await surface.message(MESSAGE_POSTED, stored)
        return FileResult(ok=True, file_id=file.id)

    async def run_ended(self, conversation: Conversation, result: RunResult) -> None:
        """The core's word on how an agent run ended: the web run it ran for keeps it."""
        if (surface := _surface(conversation)) is not None:
            surface.results.append(result)

    async def record_agent_messages(self, conversation: Conversation,
                                    messages: Sequence[Mapping[str, Any]]) -> None:
        surface = _surface(conversation)
        now = time.time()
        await self.messages.add(WebMessage(
            id=new_id(), thread_id=conversation.id, text="", author=self._bot_user,
            is_bot=True, is_status=True, agent_messages=tuple(dict(m) for m in messages),
            run_id=surface.run_id if surface else None, created_at=now, updated_at=now))
        if surface is not None:
            await surface.recorded(messages)

    # -- people ------------------------------------------------------------------------
    async def remember(self, user: PlatformUser) -> None:
        """Keep who wrote, for ``lookup_user``."""
        from botkit.codec import encode_user
        await self.bot.records.store.set(user_key(user.id), encode_user(user))

    # -- the Python API (see ``Turns``) --------------------------------------------------
    async def create_thread(self, thread_id: str | None = None, *,
                            user: PlatformUser | None = None, title: str = "",
                            metadata: Mapping[str, Any] | None = None,
                            participants: Iterable[str] = ()) -> str:
        """A new web thread owned by ``user`` (open to every caller without one), or the
        existing web thread with this id."""
        tid = thread_id or new_id()
        await self.access.create(tid, owner=user, title=title, metadata=metadata,
                                 participants=participants)
        return tid

    async def add_participants(self, thread_id: str, user_ids: Iterable[str]) -> None:
        """Let these people use an owned thread too."""
        await self.access.add_participants(thread_id, user_ids)

    async def send(self, thread_id: str, text: str, *, user: PlatformUser | None = None
                   ) -> WebRun:
        """Post ``text`` as ``user`` and start the bot's turn; returns the run at once."""
        return await self.turns.send(thread_id, [UserInput(text=text)],
                                     user=user or LOCAL_USER)

    async def run(self, thread_id: str, text: str, *, user: PlatformUser | None = None
                  ) -> WebRun:
        """``send``, then wait for the run to finish."""
        return await self.engine.wait(await self.send(thread_id, text, user=user))

    async def follow(self, run: WebRun, *, after: int = 0, viewer: str | None = None
                     ) -> AsyncIterator[agui.BaseEvent]:
        """The run's AG-UI events (from event number ``after``) that ``viewer`` (a user
        id; default the run's user) may see, until it ends."""
        feed = await self.engine.feed_for(run)
        if feed is None:
            raise NotFound(f"run {run.run_id!r} ended too long ago to follow: read the "
                           "thread's messages")
        who = viewer if viewer is not None else (run.user.id if run.user else None)
        async for item in feed.follow(after, viewer=who):
            if item is not None:
                yield item.event


def _surface(conversation: Conversation) -> RunSurface | None:
    surface = CURRENT.get()
    return surface if surface is not None and surface.thread_id == conversation.id else None


def _loopback(host: str) -> bool:
    import ipaddress
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
