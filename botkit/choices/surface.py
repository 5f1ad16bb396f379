"""The conversation a choice is asked and answered in, as the choices see it
(``ChoiceSurface``; the ``Thread``'s ``ChoicePort`` provides it), and closing a card."""

from __future__ import annotations

import logging
from typing import Protocol

from botkit.events import MessageEvent
from botkit.history import AgentMessage
from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.binding import close_controls
from botkit.ui.nodes import Message

__all__ = ["EXPIRED", "REQUEST_EXPIRED", "ChoiceSurface", "close_card"]

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


async def close_card(surface: ChoiceSurface, ref: MessageRef | None, card: Message,
                     note: str) -> None:
    """Replace the posted ``card`` (at ``ref``; None: not posted) by its closed version
    saying ``note``; a failure is logged."""
    if ref is None:
        return
    try:
        await surface.close(ref, close_controls(card, note))
    except Exception:
        log.exception("could not close the answered choice in %s", surface.conversation.id)
