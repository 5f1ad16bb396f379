"""The Python side of web threads: send a message (a run), resume an interrupt, answer a
button — each checked the way the HTTP routes need (404 / 403 / 409 / 422 errors are typed
in ``botkit_web.errors`` and mapped to statuses in ``botkit_web.http``).

Every check happens before a run starts, so a refused request changes nothing; what a run
answers (a choice, an interrupt) is claimed before the request is answered, so of two
identical answers exactly one is accepted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui

from botkit import ThreadQueryError, keys
from botkit.errors import InteractionExpired
from botkit.events import InteractionEvent, MessageEvent
from botkit.types import MessageRef, PlatformUser
from botkit.ui.binding import choice_id_of
from botkit_web.engine import Outcome, failure_reference
from botkit_web.errors import Conflict, Forbidden, NotFound, NotWaiting
from botkit_web.keys import answered_key
from botkit_web.messages import Control, WebMessage, new_id
from botkit_web.runs import WebRun
from botkit_web.surface import RunSurface
from botkit_web.waiting import Waiting, WaitingInterrupt

if TYPE_CHECKING:
    from botkit import Bot
    from botkit_web.adapter import WebAdapter

__all__ = ["MAX_INPUT_MESSAGES", "Turns", "UserInput"]

log = logging.getLogger("botkit.web")
MAX_INPUT_MESSAGES = 50
ANSWER_CLAIM_TTL = 7 * 24 * 3600.0


@dataclass(frozen=True, kw_only=True)
class UserInput:
    """One message a person sends: its text, and the id their client gave it (if any)."""

    text: str
    client_id: str | None = None


class Turns:
    def __init__(self, adapter: WebAdapter) -> None:
        self.adapter = adapter
        self.bot: Bot = adapter.bot
        self.engine = adapter.engine
        self.access = adapter.access

    # -- runs --------------------------------------------------------------------------
    async def send(self, thread_id: str, inputs: Sequence[UserInput], *,
                   user: PlatformUser, assistant_id: str | None = None,
                   metadata: Mapping[str, Any] | None = None, strategy: str = "enqueue",
                   run_id: str | None = None, create: bool = False,
                   raw: Mapping[str, Any] | None = None, state: Any = None) -> WebRun:
        """Store ``inputs`` as ``user``'s messages and start the bot's turn. ``raw`` is
        handed to the handler as the event's ``raw`` (the AG-UI ``context``, say);
        ``state`` (when not None) becomes the agent state once the run has its turn."""
        if not inputs:
            raise ThreadQueryError([("input.messages", "must be a non-empty list")])
        if len(inputs) > MAX_INPUT_MESSAGES:
            raise ThreadQueryError([("input.messages", f"at most {MAX_INPUT_MESSAGES}")])
        await self.access.check(thread_id, user, create=create)
        await self._refuse_known_ids(thread_id, inputs)
        adapter, conversation = self.adapter, self.adapter.conversation(thread_id)
        ids = [new_id() for _ in inputs]

        async def prepare(run_id: str) -> None:
            await adapter.remember(user)
            now = time.time()
            for message_id, given in zip(ids, inputs, strict=True):
                await adapter.messages.add(WebMessage(
                    id=message_id, thread_id=thread_id, text=given.text, author=user,
                    run_id=run_id, client_id=given.client_id, created_at=now, updated_at=now))

        async def work(surface: RunSurface) -> Outcome:
            if state is not None:
                await self.bot.threads.set_state(thread_id, state)
            before = await self._last_run_at(thread_id)
            await self.bot.dispatch(MessageEvent(
                platform="web", event_id=f"run:{surface.run_id}", conversation=conversation,
                user=user, text=inputs[-1].text, mentioned=True, raw=dict(raw or {}),
                ref=MessageRef(id=ids[-1], channel=conversation.channel)))
            return await self._message_outcome(thread_id, ids[-1], before, surface.run_id)
        return await self.engine.start(
            thread_id, work, kind="message", user=user, metadata=metadata, strategy=strategy,
            assistant_id=assistant_id or adapter.assistant_id, run_id=run_id, prepare=prepare)

    async def _refuse_known_ids(self, thread_id: str, inputs: Sequence[UserInput]) -> None:
        given = [i.client_id for i in inputs if i.client_id]
        if len(set(given)) != len(given):
            raise Conflict("two input messages have the same id")
        if given and (known := set(given) & await self.adapter.messages.find_client_ids(
                thread_id)):
            raise Conflict(f"message {sorted(known)[0]!r} is already in the thread")

    async def _last_run_at(self, thread_id: str) -> Any:
        record = await self.access.record(thread_id) or {}
        return record.get("last_run_at")

    async def _message_outcome(self, thread_id: str, message_id: str, before: Any,
                               run_id: str) -> Outcome:
        """How the agent runs this message's handler made ended. The handler's results do
        not reach the adapter, so this reads what they left: the pending interrupt whose
        history ends with this run's message is this run's; a run that ended during this
        one with an error on the thread record is this run's failure."""
        pending = await self.bot.store.get(keys.pending_interrupt(thread_id))
        if isinstance(pending, Mapping) and _last_user_message(pending) == message_id:
            return Outcome(status="interrupted", interrupts=_interrupts(pending, run_id))
        record = await self.access.record(thread_id) or {}
        if record.get("status") == "error" and record.get("last_run_at") != before:
            ref = new_id()[:8]
            log.error("web run %s: the agent run failed (error %s): %s", run_id, ref,
                      record.get("last_error"))
            return Outcome(status="error", error=f"the agent run failed (error {ref})")
        return Outcome(status="success")

    async def resume(self, thread_id: str, value: Any = None, *, user: PlatformUser,
                     cancel: bool = False, assistant_id: str | None = None,
                     metadata: Mapping[str, Any] | None = None, strategy: str = "enqueue",
                     run_id: str | None = None) -> WebRun:
        """Answer the interrupt the agent waits on in this thread (only the person whose
        run was interrupted may): 409 when nothing waits or another answer came first,
        403 for someone else, 422 for an answer that does not fit the interrupts."""
        await self.access.check(thread_id, user)
        waiting = await Waiting(self.bot.store).peek(thread_id)
        if waiting is None or await self.bot.store.get(
                keys.pending_interrupt(thread_id)) is None:
            raise NotWaiting(f"no interrupted run waits in thread {thread_id!r}")
        if waiting.asker_id is not None and waiting.asker_id != user.id:
            raise Forbidden(f"only {waiting.asker_name or waiting.asker_id} can answer this "
                            "interrupt")
        _check_resume_value(waiting, value, cancel)
        thread = self.bot.thread("web", self.adapter.conversation(thread_id), user=user)
        claimed: list[WaitingInterrupt] = []

        async def prepare(run_id: str) -> None:
            taken = await Waiting(self.bot.store).claim(thread_id)
            if taken is None:
                raise Conflict("this interrupt was answered by another request")
            claimed.append(taken)

        async def work(surface: RunSurface) -> Outcome:
            try:
                result = await thread.resume(value, cancel=cancel)
            except InteractionExpired:
                return Outcome(status="error", error=failure_reference(
                    f"web run {surface.run_id}: nothing to resume"))
            if result.status == "completed":
                return Outcome(status="success")
            if result.status == "interrupted":
                pending = await self.bot.store.get(keys.pending_interrupt(thread_id))
                return Outcome(status="interrupted",
                               interrupts=_interrupts(pending or {}, surface.run_id))
            ref = new_id()[:8]
            log.error("web run %s: the resumed agent run ended %s (error %s): %s",
                      surface.run_id, result.status, ref, result.error)
            return Outcome(status="error", error=f"the agent run failed (error {ref})")
        try:
            return await self.engine.start(
                thread_id, work, kind="resume", user=user, metadata=metadata,
                strategy=strategy, assistant_id=assistant_id or self.adapter.assistant_id,
                run_id=run_id, prepare=prepare)
        except BaseException:
            for taken in claimed:
                await Waiting(self.bot.store).put_back(taken)
            raise

    async def act(self, thread_id: str, action_id: str, value: Any = None, *,
                  user: PlatformUser, message_id: str | None = None) -> WebRun:
        """Click a button (or pick an option) of a message the bot posted here. A
        choice's answer is claimed before the run starts: a second answer gets 409."""
        await self.access.check(thread_id, user)
        message, control = await self._control(thread_id, action_id, value, message_id,
                                                user.id)
        choice_id = choice_id_of(action_id)
        if choice_id is not None:
            await self._may_answer(choice_id, user)
            if await self.bot.store.seen(answered_key(choice_id), ttl=ANSWER_CLAIM_TTL):
                raise Conflict("this choice has already been answered")
        conversation = self.adapter.conversation(thread_id)
        answer = control.value if value is None else value

        async def work(surface: RunSurface) -> Outcome:
            await self.bot.dispatch(InteractionEvent(
                platform="web", event_id=f"run:{surface.run_id}", conversation=conversation,
                user=user, action_id=action_id, value=answer,
                message=MessageRef(id=message.id, channel=conversation.channel)))
            return Outcome(status="success")
        return await self.engine.start(thread_id, work, kind="action", user=user,
                                       assistant_id=self.adapter.assistant_id)

    async def _control(self, thread_id: str, action_id: str, value: Any,
                       message_id: str | None, viewer: str) -> tuple[WebMessage, Control]:
        if not isinstance(action_id, str) or not action_id:
            raise ThreadQueryError([("action_id", "must be a non-empty string")])
        messages = await self.adapter.messages.all(thread_id, viewer=viewer)
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

    async def _may_answer(self, choice_id: str, user: PlatformUser) -> None:
        """Who may answer: the choice's record (``botkit.keys.choice``, written by the core
        for every question it asks): 409 once it is gone, 403 for someone not allowed."""
        record = await self.bot.store.get(keys.choice(choice_id))
        if not isinstance(record, Mapping):
            raise NotWaiting("this choice has already been answered or has expired")
        allowed = record.get("allowed")
        if allowed is not None and user.id not in allowed:
            who = ", ".join(record.get("allowed_names") or ()) or "someone else"
            raise Forbidden(f"only {who} can answer this choice")


def _last_user_message(pending: Mapping[str, Any]) -> str | None:
    users = [m for m in pending.get("messages") or ()
             if isinstance(m, Mapping) and m.get("role") == "user"]
    return str(users[-1].get("id")) if users else None


def _interrupts(pending: Mapping[str, Any], run_id: str) -> tuple[agui.Interrupt, ...]:
    if pending.get("channel") == "outcome":
        return tuple(agui.Interrupt.model_validate(i) for i in pending.get("interrupts") or ())
    # the legacy CUSTOM on_interrupt convention has no ids: one interrupt, named for the run
    return (agui.Interrupt(id=f"{run_id}:interrupt", reason=str(pending.get("event_name")),
                           metadata={"payload": pending.get("payload")}),)


def _check_resume_value(waiting: WaitingInterrupt, value: Any, cancel: bool) -> None:
    ids = waiting.interrupt_ids
    if cancel or len(ids) <= 1:
        return
    if not isinstance(value, Mapping) or set(ids) - set(value):
        raise ThreadQueryError([("resume", "several interrupts wait: answer each, as "
                                 f"{{interrupt id: value}} for {', '.join(ids)}")])
