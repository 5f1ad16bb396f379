"""A click on a choice's controls, routed to the question it answers: a choice waiting in
this process (``await_choice``), or a recorded one (waiting in another process, asked
before a restart, or offered with ``offer_choice``); and cancelling waiting choices."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from botkit.choices.asking import PendingChoice
from botkit.choices.offers import Offers
from botkit.choices.records import ChoiceRecord
from botkit.choices.registry import ChoiceRegistry, choice_label
from botkit.choices.relay import ChoiceRelay
from botkit.choices.replay import close_tool_call
from botkit.choices.surface import EXPIRED, REQUEST_EXPIRED, ChoiceSurface, close_card
from botkit.errors import ChoiceCancelled
from botkit.events import InteractionEvent
from botkit.ui.binding import choice_id_of, mark_choice

__all__ = ["Answerer", "Answering", "ReplayBlocker", "Replayer"]

log = logging.getLogger("botkit")
Replayer = Callable[[ChoiceRecord, Any, ChoiceSurface], Awaitable[None]]
"""Run the tool call of a record again with ``value`` as its newest answer, then let the
agent continue (the bot's facade does it: only it can build the tool's ``Thread``)."""
ReplayBlocker = Callable[[ChoiceRecord], "str | None"]
"""Why a record's tool call cannot be replayed here (None: it can)."""
Answerer = Callable[[ChoiceRecord, InteractionEvent], Awaitable[None]]
"""Run an offered choice's ``on_answer`` for the click ``event`` (the facade does it)."""


class Answering:
    """Clicks on choices, and cancels, for one bot."""

    def __init__(self, registry: ChoiceRegistry, relay: ChoiceRelay, offers: Offers, *,
                 replay: Replayer, replay_blocker: ReplayBlocker,
                 answer: Answerer | None) -> None:
        self._registry = registry
        self._relay = relay
        self._offers = offers
        self._replay = replay
        self._blocker = replay_blocker
        self._answer = answer

    async def on_click(self, event: InteractionEvent, surface: ChoiceSurface) -> None:
        """A click on a choice's control (``choice_id_of(event.action_id)`` is set)."""
        choice_id = choice_id_of(event.action_id) or ""
        pending = self._registry.get(choice_id)
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
            await surface.tell(event.user, _only(pending.allowed_names))
            return
        pending.answered = True  # claim it before awaiting anything: a second click is refused
        if pending.recorded and not await self._relay.claim(pending.id):
            pending.answered = False  # another process took a click on it first: its answer
            await surface.tell(event.user, EXPIRED)  # comes through the store
            try:
                await self._relay.collect([pending.id])
            except Exception:
                log.exception("could not check the store for the answer to %s", pending.id)
            return
        if pending.ref is not None:
            message, labels = mark_choice(pending.card, pending.id)
            label = choice_label(message, labels, event.action_id, event.value)
            await close_card(surface, pending.ref, message,
                             f"✓ {label} (by {event.user.display_name})")
        if not pending.future.done():  # the bot may have stopped while the card was closing
            pending.future.set_result(event.value)

    async def _answer_elsewhere(self, choice_id: str, surface: ChoiceSurface,
                                event: InteractionEvent) -> None:
        """Checked against the record (same conversation and card, an allowed person),
        claimed, then: handed to the live process that waits for it; or, with none alive,
        its tool call is replayed here; or, when that cannot be, closed as expired (the
        clicker is told; the tool call gets an error result)."""
        relay = self._relay
        record = await relay.read(choice_id)
        if record is None or not record.belongs_to(surface.conversation.id, event.message):
            await surface.tell(event.user, EXPIRED)
            return
        if not record.allows(event.user):
            await surface.tell(event.user, _only(record.allowed_names))
            return
        claimed = await relay.take(choice_id)
        if claimed is None:
            await surface.tell(event.user, EXPIRED)
            return
        ref = event.message or claimed.ref
        label = choice_label(claimed.card, claimed.labels, event.action_id, event.value)
        note = f"✓ {label} (by {event.user.display_name})"
        closed = False
        reason: str | None = f"nobody answered within {claimed.timeout} seconds"
        self._offers.answered(choice_id)
        if not claimed.expired() and claimed.on_answer is not None and \
                self._answer is not None:
            await close_card(surface, ref, claimed.card, note)
            await self._answer(claimed, event)
            return
        if not claimed.expired():
            owner = claimed.owner
            if owner != relay.replica and await relay.alive(owner):
                await close_card(surface, ref, claimed.card, note)
                closed = True
                if await relay.hand_over(choice_id, owner, event.value):
                    return
            reason = self._why_not_replayable(claimed)
            if reason is None:  # nobody else will answer it: replay the tool call here
                if not closed:
                    await close_card(surface, ref, claimed.card, note)
                await self._replay(claimed, event.value, surface)
                return
        await close_card(surface, ref, claimed.card, "⏱ This request expired.")
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
        for pending in self._registry.pending_in(surface.conversation.id):
            if choice_id is not None and pending.id != choice_id:
                continue
            pending.answered = True  # a click arriving now is refused
            if pending.recorded and not await self._relay.claim(pending.id):
                pending.answered = False  # a click elsewhere got it first
                continue
            await close_card(surface, pending.ref, pending.message, f"✖ {reason}")
            if not pending.future.done():
                pending.future.set_exception(ChoiceCancelled(reason))
                cancelled.append(pending.id)
        return cancelled


def _only(names: Sequence[str]) -> str:
    """What someone who may not answer a choice is told."""
    return f"Sorry, only {', '.join(names) or 'someone else'} can answer this one."
