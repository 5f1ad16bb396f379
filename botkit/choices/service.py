"""``Choices``: asking a person (``thread.await_choice``) and routing a click on a choice's
controls to the question it answers, in this process or another (see ``relay``)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from botkit import keys
from botkit.choices.deadlines import Deadlines
from botkit.choices.records import ChoiceRecord
from botkit.choices.registry import ChoiceRegistry, PendingChoice, choice_label
from botkit.choices.relay import ChoiceRelay
from botkit.choices.replay import close_tool_call
from botkit.errors import ChoiceCancelled, ChoiceTimeout, RunSuspended, UserError
from botkit.events import InteractionEvent, MessageEvent
from botkit.history import AgentMessage
from botkit.run.calls import ToolCall
from botkit.store.base import StateStore
from botkit.store.memory import MemoryStore
from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.binding import choice_id_of, close_controls, mark_choice, to_message
from botkit.ui.nodes import Message, Renderable

__all__ = ["EXPIRED", "REQUEST_EXPIRED", "ChoiceSurface", "Choices", "Replayer"]

log = logging.getLogger("botkit")
EXPIRED = "This button has expired or was already used."
REQUEST_EXPIRED = "This request expired before it was answered; ask again if you still need it."


class ChoiceSurface(Protocol):
    """The conversation a choice is asked or answered in (the ``Thread`` provides it)."""

    @property
    def conversation(self) -> Conversation: ...
    @property
    def platform(self) -> str: ...
    @property
    def user(self) -> PlatformUser | None: ...
    @property
    def message(self) -> MessageEvent | None: ...

    async def post(self, message: Message) -> MessageRef:
        """Post the card (its ``on_click`` handlers bound)."""
        ...

    async def close(self, ref: MessageRef, message: Message) -> None:
        """Replace the card by its closed version."""
        ...

    async def tell(self, user: PlatformUser, text: str) -> None:
        """Answer the clicker (privately where the platform can); never raises."""
        ...

    async def record(self, messages: list[AgentMessage]) -> None:
        """Keep tool results with the platform's history."""
        ...

    async def waiting(self, waiting: bool) -> bool:
        """Say a person has the turn (``waiting``: the run that asks waits for them), or no
        longer; whether that changed anything."""
        ...


Replayer = Callable[[ChoiceRecord, Any, ChoiceSurface], Awaitable[None]]
"""Run the tool call of a record again with ``value`` as its newest answer, then let the
agent continue (the bot's facade does it: only it can build the tool's ``Thread``)."""
ReplayBlocker = Callable[[ChoiceRecord], "str | None"]
"""Why a record's tool call cannot be replayed here (None: it can)."""
Answerer = Callable[[ChoiceRecord, InteractionEvent], Awaitable[None]]
"""Run an offered choice's ``on_answer`` for the click ``event`` (the facade does it)."""
SurfaceFor = Callable[[ChoiceRecord], "ChoiceSurface | None"]
"""The conversation a record was asked in (None: not one of this bot's platforms)."""


class Choices:
    """Pending choices: this process's (``registry``), and recorded ones (``relay``)."""

    def __init__(self, store: Callable[[], StateStore], *, replay: Replayer,
                 replay_blocker: ReplayBlocker, answer: Answerer | None = None,
                 surface_for: SurfaceFor | None = None) -> None:
        self._store = store
        self._answer = answer
        self._surface_for = surface_for
        self._offered: set[str] = set()
        """Offered choices with a deadline this process keeps (they have no future)."""
        self._expiring: set[asyncio.Task[None]] = set()
        self.registry = ChoiceRegistry()
        self.relay = ChoiceRelay(store, self.registry)
        self._replay = replay
        self._blocker = replay_blocker
        self._deadlines = Deadlines(self._expire, self._waiting)

    # -- asking ------------------------------------------------------------------------
    async def ask(self, surface: ChoiceSurface, ui: Renderable, *,
                  allowed_users: Iterable[PlatformUser | str] | None, timeout: float | None,
                  call: ToolCall | None) -> Any:
        # One coroutine from asking to the answer (no nested wait; ``Thread.await_choice``
        # returns this one): thousands of these stay suspended for hours, and each frame
        # costs memory while they wait.
        waiting = await surface.waiting(True)  # a person has the turn of the run that asks
        choice_id = uuid.uuid4().hex[:16]
        pending: PendingChoice | None = None
        try:
            pending = await self._open(surface, ui, choice_id, allowed_users, timeout, call)
            self.registry.announce()
            # at the deadline ``_expire`` wakes this wait and leaves a fresh future for an
            # answer given at the last moment
            if timeout is not None:
                self._deadlines.add(choice_id, timeout)
            try:
                value = await pending.future
            finally:
                if timeout is not None:
                    self._deadlines.discard(choice_id)
            if value is _TIMED_OUT:
                value = await self._timed_out(surface, pending, timeout)
            if call is not None:
                call.answers.append(value)  # replayed, if the tool call runs again
            return value
        except RunSuspended:
            raise  # the record stays: the answer will be replayed
        except BaseException:
            if pending is not None and pending.recorded:  # nobody waits for it any more
                await self.relay.forget(choice_id)
            raise
        finally:
            if pending is not None:
                self.registry.close(choice_id)
            if waiting:
                await surface.waiting(False)

    async def _open(self, surface: ChoiceSurface, ui: Renderable, choice_id: str,
                    allowed_users: Iterable[PlatformUser | str] | None,
                    timeout: float | None, call: ToolCall | None) -> PendingChoice:
        """Register, record and post the choice ``choice_id``, in a frame of its own: what
        it makes (the marked card, the record) is not kept in ``ask``'s while it waits."""
        card = to_message(ui)
        message, labels = mark_choice(card, choice_id)
        if not labels:
            raise UserError("await_choice needs a message with at least one Button or Select")
        pending = self.registry.open(choice_id, conversation=surface.conversation,
                                     card=card, allowed_users=allowed_users)
        try:
            pending.in_tool = call is not None
            record = self._record(surface, message, labels, pending, timeout, call)
            pending.recorded = await self.relay.save(choice_id, record)
            pending.suspend = pending.recorded and call is not None and \
                not isinstance(self._store(), MemoryStore)
            if pending.recorded:
                await self.relay.start()
            pending.ref = await surface.post(message)
            if pending.recorded:
                await self.relay.note_ref(choice_id, record, _with_ref(record, pending.ref))
        except BaseException:
            if pending.recorded:  # nobody waits for it any more
                await self.relay.forget(choice_id)
            self.registry.close(choice_id)
            raise
        return pending

    def _record(self, surface: ChoiceSurface, card: Message, labels: dict[str, str],
                pending: PendingChoice, timeout: float | None, call: ToolCall | None
                ) -> ChoiceRecord:
        return ChoiceRecord(
            platform=surface.platform, conversation=surface.conversation,
            card=card, labels=labels,
            allowed=None if pending.allowed_user_ids is None
            else tuple(sorted(pending.allowed_user_ids)),
            allowed_names=pending.allowed_names, owner=self.relay.replica, timeout=timeout,
            deadline=None if timeout is None else time.time() + timeout, call=call,
            user=surface.user if call is not None else None,
            message=surface.message if call is not None else None)

    def _waiting(self, choice_id: str) -> bool:
        """Whether the choice ``choice_id`` (with a deadline here) still waits."""
        pending = self.registry.get(choice_id)
        return choice_id in self._offered or (pending is not None and not pending.future.done())

    def _expire(self, choice_id: str) -> None:
        """A choice's deadline passed: wake its wait; a later answer resolves the new
        future."""
        if choice_id in self._offered:
            self._offered.discard(choice_id)
            task = asyncio.get_running_loop().create_task(self._expire_offer(choice_id))
            self._expiring.add(task)
            task.add_done_callback(self._expiring.discard)
            return
        pending = self.registry.get(choice_id)
        if pending is not None and not pending.future.done():
            waiting, pending.future = pending.future, pending.future.get_loop().create_future()
            waiting.set_result(_TIMED_OUT)

    async def _timed_out(self, surface: ChoiceSurface, pending: PendingChoice,
                         timeout: float | None) -> Any:
        if pending.recorded and not await self.relay.claim(pending.id):
            # answered at the last moment, here or in another process: its answer is coming
            try:
                return await asyncio.wait_for(asyncio.shield(pending.future),
                                              self.relay.handoff_timeout * 2)
            except TimeoutError:
                if pending.in_tool:
                    raise RunSuspended("another process took this tool call over") from None
        if pending.ref is not None:
            await surface.close(pending.ref, close_controls(pending.message,
                                                            "⏱ No answer in time."))
        raise ChoiceTimeout(f"nobody answered within {timeout} seconds")

    async def offer(self, surface: ChoiceSurface, ui: Renderable, *, on_answer: str,
                    allowed_users: Iterable[PlatformUser | str] | None,
                    timeout: float | None) -> str:
        """Post a question whose answer goes to the function ``on_answer`` names: nothing
        waits for it in memory, only its record in the store (and, with ``timeout``, its
        deadline). Returns the choice id."""
        choice_id = uuid.uuid4().hex[:16]
        message, labels = mark_choice(to_message(ui), choice_id)
        if not labels:
            raise UserError("offer_choice needs a message with at least one Button or Select")
        allowed = None if allowed_users is None else list(allowed_users)
        record = ChoiceRecord(
            platform=surface.platform, conversation=surface.conversation, card=message,
            labels=labels, allowed=None if allowed is None else tuple(sorted(
                {u.id if isinstance(u, PlatformUser) else u for u in allowed})),
            allowed_names=() if allowed is None else tuple(
                u.display_name if isinstance(u, PlatformUser) else u for u in allowed),
            owner=self.relay.replica, timeout=timeout,
            deadline=None if timeout is None else time.time() + timeout, on_answer=on_answer)
        await self.relay.store.set(keys.choice(choice_id), record.to_json(),
                                   ttl=self.relay.ttl(timeout))  # no record, no answer
        try:
            ref = await surface.post(message)
        except BaseException:
            await self.relay.forget(choice_id)
            raise
        await self.relay.note_ref(choice_id, record, _with_ref(record, ref))
        if timeout is not None:
            self._offered.add(choice_id)
            self._deadlines.add(choice_id, timeout)
        return choice_id

    async def _expire_offer(self, choice_id: str) -> None:
        """An offered choice's deadline: claim its record and close its card."""
        try:
            record = await self.relay.take(choice_id)
            surface = None if record is None or self._surface_for is None \
                else self._surface_for(record)
            if record is not None and surface is not None:
                await _close(surface, record.ref, record.card, "⏱ No answer in time.")
        except Exception:
            log.exception("could not expire the offered choice %s", choice_id)

    # -- answering ---------------------------------------------------------------------
    async def on_click(self, event: InteractionEvent, surface: ChoiceSurface) -> None:
        """A click on a choice's control (``choice_id_of(event.action_id)`` is set)."""
        choice_id = choice_id_of(event.action_id) or ""
        pending = self.registry.get(choice_id)
        if pending is None:  # waiting in another process, or from before a restart
            await self._answer_elsewhere(choice_id, surface, event)
        else:
            await self._answer_here(pending, surface, event)

    async def _answer_here(self, pending: PendingChoice, surface: ChoiceSurface,
                           event: InteractionEvent) -> None:
        if pending.answered or pending.future.done() or \
                pending.conversation.id != surface.conversation.id:
            await surface.tell(event.user, EXPIRED)
            return
        if pending.ref is not None and event.message is not None \
                and event.message.id != pending.ref.id:
            await surface.tell(event.user, EXPIRED)
            return
        if not pending.allows(event.user):
            who = ", ".join(pending.allowed_names) or "someone else"
            await surface.tell(event.user, f"Sorry, only {who} can answer this one.")
            return
        pending.answered = True  # claim it before awaiting anything: a second click is refused
        if pending.recorded and not await self.relay.claim(pending.id):
            pending.answered = False  # another process took a click on it first: its answer
            await surface.tell(event.user, EXPIRED)  # comes through the store
            try:
                await self.relay.collect([pending.id])
            except Exception:
                log.exception("could not check the store for the answer to %s", pending.id)
            return
        if pending.ref is not None:
            message, labels = mark_choice(pending.card, pending.id)
            label = choice_label(message, labels, event.action_id, event.value)
            await _close(surface, pending.ref, message,
                         f"✓ {label} (by {event.user.display_name})")
        if not pending.future.done():  # the bot may have stopped while the card was closing
            pending.future.set_result(event.value)

    async def _answer_elsewhere(self, choice_id: str, surface: ChoiceSurface,
                                event: InteractionEvent) -> None:
        """Checked against the record (same conversation and card, an allowed person),
        claimed, then: handed to the live process that waits for it; or, with none alive,
        its tool call is replayed here; or, when that cannot be, closed as expired (the
        clicker is told; the tool call gets an error result)."""
        record = await self.relay.read(choice_id)
        if record is None or not record.belongs_to(surface.conversation.id, event.message):
            await surface.tell(event.user, EXPIRED)
            return
        if not record.allows(event.user):
            who = ", ".join(record.allowed_names) or "someone else"
            await surface.tell(event.user, f"Sorry, only {who} can answer this one.")
            return
        claimed = await self.relay.take(choice_id)
        if claimed is None:
            await surface.tell(event.user, EXPIRED)
            return
        ref = event.message or claimed.ref
        label = choice_label(claimed.card, claimed.labels, event.action_id, event.value)
        note = f"✓ {label} (by {event.user.display_name})"
        closed = False
        reason: str | None = f"nobody answered within {claimed.timeout} seconds"
        if choice_id in self._offered:
            self._offered.discard(choice_id)
            self._deadlines.discard(choice_id)
        if not claimed.expired() and claimed.on_answer is not None and \
                self._answer is not None:
            await _close(surface, ref, claimed.card, note)
            await self._answer(claimed, event)
            return
        if not claimed.expired():
            owner = claimed.owner
            if owner != self.relay.replica and await self.relay.alive(owner):
                await _close(surface, ref, claimed.card, note)
                closed = True
                if await self.relay.hand_over(choice_id, owner, event.value):
                    return
            reason = self._why_not_replayable(claimed)
            if reason is None:  # nobody else will answer it: replay the tool call here
                if not closed:
                    await _close(surface, ref, claimed.card, note)
                await self._replay(claimed, event.value, surface)
                return
        await _close(surface, ref, claimed.card, "⏱ This request expired.")
        await surface.tell(event.user, REQUEST_EXPIRED)
        if claimed.call is not None:
            await close_tool_call(surface, claimed.call, str(reason))

    def _why_not_replayable(self, record: ChoiceRecord) -> str | None:
        if record.call is None:
            return "the process that asked has stopped"
        return self._blocker(record)

    async def cancel(self, surface: ChoiceSurface, reason: str,
                     choice_id: str | None = None) -> list[str]:
        """Cancel this process's choices waiting in ``surface``'s conversation (only
        ``choice_id`` when given): each card is closed with ``reason`` and its
        ``await_choice`` raises ``ChoiceCancelled``. Returns the ids cancelled."""
        cancelled: list[str] = []
        for pending in self.registry.pending_in(surface.conversation.id):
            if choice_id is not None and pending.id != choice_id:
                continue
            pending.answered = True  # a click arriving now is refused
            if pending.recorded and not await self.relay.claim(pending.id):
                pending.answered = False  # a click elsewhere got it first
                continue
            await _close(surface, pending.ref, pending.message, f"✖ {reason}")
            if not pending.future.done():
                pending.future.set_exception(ChoiceCancelled(reason))
                cancelled.append(pending.id)
        return cancelled

    # -- lifecycle ---------------------------------------------------------------------
    def cancel_all(self, reason: BaseException, *, suspend: BaseException | None = None
                   ) -> None:
        self.registry.cancel_all(reason, suspend=suspend)

    async def stop(self) -> None:
        for task in list(self._expiring):
            task.cancel()
        await asyncio.gather(*self._expiring, return_exceptions=True)
        await self.relay.stop()


_TIMED_OUT = object()


def _with_ref(record: ChoiceRecord, ref: MessageRef) -> ChoiceRecord:
    return dataclasses.replace(record, ref=ref)


async def _close(surface: ChoiceSurface, ref: MessageRef | None, card: Message, note: str
                 ) -> None:
    if ref is None:
        return
    try:
        await surface.close(ref, close_controls(card, note))
    except Exception:
        log.exception("could not close the answered choice in %s", surface.conversation.id)
