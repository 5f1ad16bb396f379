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

from botkit import ContextEntry, ThreadQueryError
from botkit.errors import InteractionExpired, UserError
from botkit.events import InteractionEvent, MessageEvent
from botkit.types import MessageRef, PlatformUser
from botkit.ui.binding import choice_id_of
from botkit_web.engine import Outcome, Work, failure_reference
from botkit_web.errors import Conflict, Forbidden, NotFound, NotWaiting
from botkit_web.keys import answered_key
from botkit_web.messages import Control, WebMessage, new_id
from botkit_web.runs import WebRun
from botkit_web.surface import MESSAGE_DELETED, RunSurface
from botkit_web.waiting import Waiting, WaitingInterrupt

if TYPE_CHECKING:
    from botkit.adapter import BotHandle
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
        self.bot: BotHandle = adapter.bot
        self.engine = adapter.engine
        self.access = adapter.access

    # -- runs --------------------------------------------------------------------------
    async def send(self, thread_id: str, inputs: Sequence[UserInput], *,
                   user: PlatformUser, assistant_id: str | None = None,
                   metadata: Mapping[str, Any] | None = None, strategy: str = "enqueue",
                   run_id: str | None = None, create: bool = False,
                   raw: Mapping[str, Any] | None = None, state: Any = None,
                   context: Sequence[ContextEntry] = ()) -> WebRun:
        """Store ``inputs`` as ``user``'s messages and start the bot's turn. ``context``
        (the client's AG-UI ``context``) rides on the ``MessageEvent`` to the agent;
        ``raw`` is handed to the handler as the event's ``raw`` (``forwardedProps``);
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
                await self.bot.records.set_state(thread_id, state)
            await self.bot.dispatch(MessageEvent(
                platform="web", event_id=f"run:{surface.run_id}", conversation=conversation,
                user=user, text=inputs[-1].text, mentioned=True, raw=dict(raw or {}),
                context=tuple(context),
                ref=MessageRef(id=ids[-1], channel=conversation.channel)))
            return Outcome.of(surface.results, surface.run_id)
        return await self.engine.start(
            thread_id, work, kind="message", user=user, metadata=metadata, strategy=strategy,
            assistant_id=assistant_id or adapter.assistant_id, run_id=run_id, prepare=prepare)

    async def rerun(self, run: WebRun) -> Work | None:
        """The work that runs a ``message`` run again (``botkit_web.recovery``: its
        process stopped): the bot's turn on the user's stored message, once the bot's
        messages stored for the run before are deleted. None when it cannot be run again
        (another kind, or its message is gone)."""
        if run.kind != "message" or run.user is None:
            return None
        stored = await self.adapter.messages.all(run.thread_id, include_private=True)
        asked = [m for m in stored if m.run_id == run.run_id and not m.is_bot]
        if not asked:
            return None
        said = [m for m in stored if m.run_id == run.run_id and m.is_bot]
        user, conversation, last = run.user, self.adapter.conversation(run.thread_id), asked[-1]

        async def work(surface: RunSurface) -> Outcome:
            for message in said:  # what the stopped process answered is withdrawn
                if await self.adapter.messages.delete(run.thread_id, message.id):
                    await surface.message(MESSAGE_DELETED, message)
            await self.bot.dispatch(MessageEvent(
                platform="web", event_id=f"run:{run.run_id}:{run.owner}",
                conversation=conversation, user=user, text=last.text, mentioned=True,
                ref=MessageRef(id=last.id, channel=conversation.channel)))
            return Outcome.of(surface.results, surface.run_id)
        return work

    async def _refuse_known_ids(self, thread_id: str, inputs: Sequence[UserInput]) -> None:
        given = [i.client_id for i in inputs if i.client_id]
        if len(set(given)) != len(given):
            raise Conflict("two input messages have the same id")
        if given and (known := set(given) & await self.adapter.messages.find_client_ids(
                thread_id)):
            raise Conflict(f"message {sorted(known)[0]!r} is already in the thread")

    async def resume(self, thread_id: str, value: Any = None, *, user: PlatformUser,
                     cancel: bool = False, assistant_id: str | None = None,
                     metadata: Mapping[str, Any] | None = None, strategy: str = "enqueue",
                     run_id: str | None = None) -> WebRun:
        """Answer the interrupt the agent waits on in this thread (only the person whose
        run was interrupted may): 409 when nothing waits or another answer came first,
        403 for someone else, 422 for an answer that does not fit the interrupts."""
        await self.access.check(thread_id, user)
        store = self.bot.records.store
        waiting = await Waiting(store).peek(thread_id)
        if waiting is None:
            raise NotWaiting(f"no interrupted run waits in thread {thread_id!r}")
        if waiting.asker_id is not None and waiting.asker_id != user.id:
            raise Forbidden(f"only {waiting.asker_name or waiting.asker_id} can answer this "
                            "interrupt")
        try:
            await self.bot.check_resume(thread_id, value, cancel=cancel)
        except InteractionExpired:
            raise NotWaiting(f"no interrupted run waits in thread {thread_id!r}") from None
        except UserError as exc:
            raise ThreadQueryError([("resume", str(exc))]) from None
        conversation = self.adapter.conversation(thread_id)
        claimed: list[WaitingInterrupt] = []

        async def prepare(run_id: str) -> None:
            taken = await Waiting(store).claim(thread_id)
            if taken is None:
                raise Conflict("this interrupt was answered by another request")
            claimed.append(taken)

        async def work(surface: RunSurface) -> Outcome:
            try:
                result = await self.bot.records.resume("web", conversation, value, user=user,
                                                       cancel=cancel)
            except InteractionExpired:
                return Outcome(status="error", error=failure_reference(
                    f"web run {surface.run_id}: nothing to resume"))
            return Outcome.of([result], surface.run_id)
        try:
            return await self.engine.start(
                thread_id, work, kind="resume", user=user, metadata=metadata,
                strategy=strategy, assistant_id=assistant_id or self.adapter.assistant_id,
                run_id=run_id, prepare=prepare)
        except BaseException:
            for taken in claimed:
                await Waiting(store).put_back(taken)
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
            if await self.bot.records.store.seen(answered_key(choice_id),
                                                 ttl=ANSWER_CLAIM_TTL):
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
        """Who may answer, by the core's rule (``BotHandle.may_answer``): 409 once it is
        answered or gone, 403 for someone not allowed."""
        check = await self.bot.may_answer(choice_id, user)
        if check.status == "closed":
            raise NotWaiting("this choice has already been answered or has expired")
        if check.status == "not_allowed":
            who = ", ".join(check.allowed_names) or "someone else"
            raise Forbidden(f"only {who} can answer this choice")
