"""The Python side of web threads: create one, send a message (a run), resume an
interrupt, answer a button — each checked the way the HTTP routes need (404 / 403 / 409 /
422 errors are typed here, mapped to statuses in ``botkit_web.http``)."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui

from botkit.choices import choice_id_of
from botkit.errors import BotkitError
from botkit.events import InteractionEvent, MessageEvent
from botkit.threads.records import ThreadNotFound, ThreadQueryError
from botkit.types import MessageRef, PlatformUser
from botkit_web.messages import Control, WebMessage
from botkit_web.runs import WebRun
from botkit_web.surface import RunSurface

if TYPE_CHECKING:
    from botkit_web.adapter import WebAdapter

__all__ = ["Forbidden", "NotFound", "NotWaiting", "Turns", "user_text"]

MAX_INPUT_MESSAGES = 50


class Forbidden(BotkitError):
    """The caller may not answer this (HTTP 403)."""


class NotFound(BotkitError, LookupError):
    """No such message, control or run (HTTP 404)."""


class NotWaiting(BotkitError):
    """Nothing waits for this answer any more, or the thread is not a web thread (409)."""


def user_text(message: Mapping[str, Any], index: int) -> str:
    """The text of one input message (LangGraph or AG-UI shape); 422 for anything else."""
    where = f"input.messages[{index}]"
    if not isinstance(message, Mapping):
        raise ThreadQueryError([(where, "must be an object")])
    role = message.get("role", message.get("type"))
    if role not in ("user", "human"):
        raise ThreadQueryError([(f"{where}.role", "must be 'user' (or 'human'): the bot "
                                 "writes its own messages")])
    content = message.get("content")
    if isinstance(content, list):
        texts = [str(p["text"]) for p in content if isinstance(p, Mapping)
                 and p.get("type") == "text" and isinstance(p.get("text"), str)]
        content = "\n".join(texts) if len(texts) == len(content) else None
    if not isinstance(content, str) or not content.strip():
        raise ThreadQueryError([(f"{where}.content", "must be non-empty text (a string or a "
                                 "list of {type: 'text', text} parts)")])
    return content


class Turns:
    def __init__(self, adapter: WebAdapter) -> None:
        self.adapter = adapter
        self.bot = adapter.bot
        self.engine = adapter.engine

    async def create_thread(self, thread_id: str | None = None, *, title: str = "",
                            metadata: Mapping[str, Any] | None = None) -> str:
        """A new web thread (or the existing web thread with this id)."""
        tid = thread_id or str(uuid.uuid4())
        threads = self.bot.threads

        def apply(old: dict[str, Any] | None) -> dict[str, Any] | None:
            if old is not None:
                return None
            record = threads.new_record(tid, "web", self.adapter.conversation(tid), title=title)
            record["metadata"] = dict(metadata or {})
            return record
        record = await threads.mutate(tid, apply)
        if record is not None and record.get("platform") != "web":
            raise NotWaiting(f"thread {tid!r} is a {record.get('platform')} thread, not a "
                             "web thread")
        return tid

    async def check_web_thread(self, thread_id: str, *, create: bool = False) -> None:
        try:
            record = await self.bot.threads.get(thread_id)
        except ThreadNotFound:
            if not create:
                raise
            await self.create_thread(thread_id)
            return
        if record.platform != "web":
            raise NotWaiting(f"thread {thread_id!r} is a {record.platform} thread: runs over "
                             "HTTP drive web threads")

    # -- runs --------------------------------------------------------------------------
    async def send(self, thread_id: str, messages: Sequence[Mapping[str, Any]], *,
                   user: PlatformUser, assistant_id: str | None = None,
                   metadata: Mapping[str, Any] | None = None, strategy: str = "enqueue",
                   run_id: str | None = None, create: bool = False) -> WebRun:
        if not isinstance(messages, Sequence) or isinstance(messages, str) or not messages:
            raise ThreadQueryError([("input.messages", "must be a non-empty list")])
        if len(messages) > MAX_INPUT_MESSAGES:
            raise ThreadQueryError([("input.messages", f"at most {MAX_INPUT_MESSAGES}")])
        texts = [user_text(m, i) for i, m in enumerate(messages)]
        ids = [str(m.get("id") or uuid.uuid4().hex) for m in messages]
        await self.check_web_thread(thread_id, create=create)
        adapter, conversation = self.adapter, self.adapter.conversation(thread_id)

        async def work(surface: RunSurface) -> None:
            await adapter.remember(user)
            now = time.time()
            for message_id, text in zip(ids, texts, strict=True):
                await adapter.messages.add(WebMessage(
                    id=message_id, thread_id=thread_id, text=text, author=user,
                    run_id=surface.run_id, created_at=now, updated_at=now))
            await self.bot.dispatch(MessageEvent(
                platform="web", event_id=f"run:{surface.run_id}", conversation=conversation,
                user=user, text=texts[-1], mentioned=True,
                ref=MessageRef(id=ids[-1], channel=conversation.channel)))
        return await self.engine.start(
            thread_id, work, kind="message", user=user, metadata=metadata, strategy=strategy,
            assistant_id=assistant_id or adapter.assistant_id, run_id=run_id)

    async def resume(self, thread_id: str, value: Any = None, *, user: PlatformUser,
                     cancel: bool = False, assistant_id: str | None = None,
                     metadata: Mapping[str, Any] | None = None, strategy: str = "enqueue",
                     run_id: str | None = None) -> WebRun:
        """Answer the interrupt the agent waits on in this thread (only the person whose
        run was interrupted may)."""
        await self.check_web_thread(thread_id)
        if await self.bot.store.get(f"interrupt:{thread_id}") is None:
            raise NotWaiting(f"no interrupted run waits in thread {thread_id!r}")
        interrupted = await self.engine.log.list(thread_id, limit=1, status="interrupted")
        asker = interrupted[0].user if interrupted else None
        if asker is not None and asker.id != user.id:
            raise Forbidden(f"only {asker.display_name} can answer this interrupt")
        thread = self.bot.thread("web", self.adapter.conversation(thread_id), user=user)

        async def work(surface: RunSurface) -> None:
            await thread.resume(value, cancel=cancel)
        return await self.engine.start(
            thread_id, work, kind="resume", user=user, metadata=metadata, strategy=strategy,
            assistant_id=assistant_id or self.adapter.assistant_id, run_id=run_id)

    async def act(self, thread_id: str, action_id: str, value: Any = None, *,
                  user: PlatformUser, message_id: str | None = None) -> WebRun:
        """Click a button (or pick an option) of a message the bot posted here."""
        await self.check_web_thread(thread_id)
        message, control = await self._control(thread_id, action_id, value, message_id)
        await self._may_answer(action_id, user)
        conversation = self.adapter.conversation(thread_id)
        answer = control.value if value is None else value

        async def work(surface: RunSurface) -> None:
            await self.bot.dispatch(InteractionEvent(
                platform="web", event_id=f"run:{surface.run_id}", conversation=conversation,
                user=user, action_id=action_id, value=answer,
                message=MessageRef(id=message.id, channel=conversation.channel)))
        return await self.engine.start(thread_id, work, kind="action", user=user,
                                       assistant_id=self.adapter.assistant_id)

    async def _control(self, thread_id: str, action_id: str, value: Any,
                       message_id: str | None) -> tuple[WebMessage, Control]:
        if not isinstance(action_id, str) or not action_id:
            raise ThreadQueryError([("action_id", "must be a non-empty string")])
        messages = await self.adapter.messages.all(thread_id, include_private=True)
        for message in reversed(messages):
            if message_id is not None and message.id != message_id:
                continue
            controls = [c for c in message.controls if c.action_id == action_id]
            if not controls:
                continue
            if value is None and len(controls) == 1:
                return message, controls[0]
            for control in controls:
                if value is not None and control.value == value:
                    return message, control
            allowed = ", ".join(repr(c.value) for c in controls)
            raise ThreadQueryError([("value", f"must be one of {allowed}")])
        if choice_id_of(action_id) is not None:  # its card was closed when answered
            raise NotWaiting("this choice has already been answered or has expired")
        where = f"message {message_id!r}" if message_id else f"thread {thread_id!r}"
        raise NotFound(f"{where} has no control {action_id!r}")

    async def _may_answer(self, action_id: str, user: PlatformUser) -> None:
        choice_id = choice_id_of(action_id)
        if choice_id is None:
            return
        pending = self.bot.choices.get(choice_id)
        if pending is not None:
            if pending.answered or pending.future.done():
                raise NotWaiting("this choice has already been answered")
            if not pending.allows(user):
                who = ", ".join(pending.allowed_names) or "someone else"
                raise Forbidden(f"only {who} can answer this choice")
            return
        record = await self.bot.store.get(f"choice:{choice_id}")
        if record is None:
            raise NotWaiting("this choice has already been answered or has expired")
        allowed = record.get("allowed")
        if allowed is not None and user.id not in allowed:
            who = ", ".join(record.get("allowed_names") or ()) or "someone else"
            raise Forbidden(f"only {who} can answer this choice")

    # -- following ---------------------------------------------------------------------
    async def follow(self, run: WebRun, *, after: int = 0
                     ) -> AsyncIterator[tuple[int, agui.BaseEvent]]:
        """Numbered AG-UI events of a run of this process (replayed from ``after``)."""
        feed = self.engine.feeds.get(run.run_id)
        if feed is None:
            raise NotFound(f"run {run.run_id!r} is not followable here (it ran in another "
                             "process, or too long ago)")
        async for item in feed.follow(after):
            yield item
