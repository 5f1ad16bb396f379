"""This process's pending ``await_choice`` calls: who may answer, and the future that
answering resolves.

Each choice has its own id, carried in its controls' action ids, so several choices
pending in one conversation never overwrite each other, and a click on one message's
buttons answers only that message's choice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.binding import iter_controls, mark_choice, option_label
from botkit.ui.nodes import Message

__all__ = ["ChoiceRegistry", "PendingChoice", "choice_label"]


def choice_label(message: Message, labels: dict[str, str], action_id: str, value: Any) -> str:
    """What the person picked, as they saw it (a button's label, a select option's)."""
    label = labels.get(action_id, str(value))
    for control in iter_controls(message):
        if control.action_id == action_id:
            label = option_label(control, value)
    return label


@dataclass(kw_only=True, slots=True)
class PendingChoice:
    id: str
    conversation: Conversation
    card: Message
    """The card as the handler gave it (the handler keeps it too): its controls pointed at
    this choice (``message``) are made again when needed, not kept beside it."""
    allowed_user_ids: frozenset[str] | None
    future: asyncio.Future[Any]
    ref: MessageRef | None = None
    allowed_names: tuple[str, ...] = field(default=())
    answered: bool = False
    """Set by the first accepted click, before the card is closed, so a second click
    arriving meanwhile is refused instead of resolving the future twice."""
    in_tool: bool = False
    """Asked by a bot tool (its call can be replayed elsewhere)."""
    recorded: bool = False
    """Recorded in the store: a click is claimed there, wherever it arrives."""
    suspend: bool = False
    """Inside a tool, on a durable store: when the bot stops, the run is suspended (to be
    replayed after the restart) rather than told the choice expired."""

    def allows(self, user: PlatformUser) -> bool:
        return self.allowed_user_ids is None or user.id in self.allowed_user_ids

    @property
    def message(self) -> Message:
        """The card as posted: its controls' action ids name this choice."""
        return mark_choice(self.card, self.id)[0]

    @property
    def labels(self) -> dict[str, str]:
        """Per action id, the label to show once answered."""
        return mark_choice(self.card, self.id)[1]


class ChoiceRegistry:
    def __init__(self) -> None:
        self._pending: dict[str, PendingChoice] = {}
        self._opened = asyncio.Event()

    def open(
        self,
        choice_id: str,
        *,
        conversation: Conversation,
        card: Message,
        allowed_users: Iterable[PlatformUser | str] | None,
    ) -> PendingChoice:
        allowed = None if allowed_users is None else list(allowed_users)
        pending = PendingChoice(
            id=choice_id,
            conversation=conversation,
            card=card,
            allowed_user_ids=None if allowed is None else frozenset(
                u.id if isinstance(u, PlatformUser) else u for u in allowed),
            allowed_names=() if allowed is None else tuple(
                u.display_name if isinstance(u, PlatformUser) else u for u in allowed),
            future=asyncio.get_running_loop().create_future(),
        )
        self._pending[choice_id] = pending
        return pending

    def announce(self) -> None:
        """Wake whoever waits for a choice to be shown (``wait_until_pending``)."""
        self._opened.set()
        self._opened = asyncio.Event()

    def get(self, choice_id: str) -> PendingChoice | None:
        return self._pending.get(choice_id)

    def close(self, choice_id: str) -> None:
        self._pending.pop(choice_id, None)

    def waiting(self) -> list[PendingChoice]:
        """Every choice still waiting for an answer."""
        return [p for p in self._pending.values() if not p.answered and not p.future.done()]

    def pending_in(self, conversation_id: str) -> list[PendingChoice]:
        return [p for p in self._pending.values()
                if p.conversation.id == conversation_id and p.ref is not None
                and not p.answered and not p.future.done()]

    async def wait_until_pending(self, conversation_id: str) -> None:
        """Return once a choice is shown and waiting in ``conversation_id``."""
        while not self.pending_in(conversation_id):
            await self._opened.wait()

    def cancel_all(self, reason: BaseException, *, suspend: BaseException | None = None
                   ) -> None:
        """End every waiting choice with ``reason`` (those marked ``suspend`` with
        ``suspend``, when given)."""
        for pending in list(self._pending.values()):
            if not pending.future.done():
                pending.future.set_exception(
                    suspend if suspend is not None and pending.suspend else reason)
        self._pending.clear()
