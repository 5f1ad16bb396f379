"""This process's pending ``await_choice`` calls (each a ``PendingChoice``: who may answer,
and the future that answering resolves), by choice id.

Each choice has its own id, carried in its controls' action ids, so several choices
pending in one conversation never overwrite each other, and a click on one message's
buttons answers only that message's choice.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from botkit.ui.binding import iter_controls, option_label
from botkit.ui.nodes import Message

if TYPE_CHECKING:
    from botkit.choices.asking import PendingChoice

__all__ = ["ChoiceRegistry", "choice_label"]


def choice_label(message: Message, labels: dict[str, str], action_id: str, value: Any) -> str:
    """What the person picked, as they saw it (a button's label, a select option's)."""
    label = labels.get(action_id, str(value))
    for control in iter_controls(message):
        if control.action_id == action_id:
            label = option_label(control, value)
    return label


class ChoiceRegistry:
    def __init__(self) -> None:
        self._pending: dict[str, PendingChoice] = {}
        self._opened = asyncio.Event()

    def add(self, pending: PendingChoice) -> None:
        """``pending`` waits for its answer from now on."""
        self._pending[pending.id] = pending

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
