"""The events adapters feed into ``bot.dispatch``.

An adapter turns whatever its platform delivered into one of these and calls
``await bot.dispatch(event)``. Everything after that is platform-neutral.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botkit._agent_context import ContextEntry
from botkit.types import Attachment, Conversation, MessageRef, PlatformUser

__all__ = ["CommandEvent", "Event", "InteractionEvent", "MessageEvent"]



@dataclass(frozen=True, kw_only=True)
class MessageEvent:
    """Someone wrote in a conversation the bot can see.

    ``mentioned`` is true when the message addresses the bot (an @-mention, a DM, or any
    line typed on the console); such turns go to ``on_mention`` handlers first.
    """

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    text: str
    ref: MessageRef
    mentioned: bool = False
    attachments: tuple[Attachment, ...] = ()
    context: tuple[ContextEntry, ...] = ()
    """Facts the sender's client sent with the message (AG-UI ``context``, from a web
    page): ``run_agent`` on this turn gives them to the agent with the bot's own."""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class InteractionEvent:
    """Someone clicked a button or picked an option on a message the bot posted.

    ``value`` is the control's value, already decoded from the wire.
    """

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    action_id: str
    value: Any = None
    message: MessageRef | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True, kw_only=True)
class CommandEvent:
    """Someone ran a slash command (``/ticket printer is on fire``)."""

    platform: str
    event_id: str
    conversation: Conversation
    user: PlatformUser
    command: str
    text: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)


Event = MessageEvent | InteractionEvent | CommandEvent
