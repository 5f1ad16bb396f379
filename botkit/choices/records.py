"""What the store keeps of a pending choice (``keys.choice``) and of an answer handed to
the process waiting for it (``keys.choice_answer``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botkit.codec import (
    decode_conversation,
    decode_event,
    decode_ref,
    decode_user,
    encode_conversation,
    encode_event,
    encode_ref,
    encode_user,
)
from botkit.events import MessageEvent
from botkit.run.calls import ToolCall
from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.binding import iter_controls
from botkit.ui.codec import decode_message, encode_message
from botkit.ui.nodes import Button, Message

__all__ = ["ChoiceRecord", "HandedAnswer"]


@dataclass(frozen=True, kw_only=True, slots=True)
class ChoiceRecord:
    """A question waiting for a click, as every process sharing the store sees it."""

    platform: str
    conversation: Conversation
    card: Message
    labels: dict[str, str]
    allowed: tuple[str, ...] | None
    """The user ids that may answer (None: anyone)."""
    allowed_names: tuple[str, ...]
    owner: str
    """The replica id of the process waiting for the answer."""
    timeout: float | None
    deadline: float | None
    """When the question expires (Unix seconds; None: never)."""
    ref: MessageRef | None = None
    """The posted card (once posted)."""
    call: ToolCall | None = None
    """The bot tool call that asked (None: a handler asked; it cannot be replayed)."""
    user: PlatformUser | None = None
    message: MessageEvent | None = None
    """Who the asking tool ran for, and the message that started its turn (a replay
    needs both)."""
    on_answer: str | None = None
    """``offer_choice``: the ``module:qualname`` of the function the answer goes to (no
    process waits for it)."""

    def allows(self, user: PlatformUser) -> bool:
        return self.allowed is None or user.id in self.allowed

    def belongs_to(self, conversation_id: str, clicked: MessageRef | None) -> bool:
        """A click in ``conversation_id`` on the message ``clicked`` can answer it."""
        if self.conversation.id != conversation_id:
            return False
        return self.ref is None or clicked is None or clicked.id == self.ref.id

    def expired(self) -> bool:
        return self.deadline is not None and time.time() > self.deadline

    def to_json(self) -> dict[str, Any]:
        """The stored form, compact (thousands wait at once): fields at their defaults,
        and the labels the card itself gives, are left out; ``from_json`` fills them in."""
        data: dict[str, Any] = {
            "platform": self.platform,
            "conversation": _compact(encode_conversation(self.conversation)),
            "card": encode_message(self.card, compact=True), "owner": self.owner}
        if self.labels != labels_of(self.card):
            data["labels"] = dict(self.labels)
        if self.allowed is not None:
            data["allowed"] = list(self.allowed)
        if self.allowed_names:
            data["allowed_names"] = list(self.allowed_names)
        if self.timeout is not None:
            data["timeout"] = self.timeout
        if self.deadline is not None:
            data["deadline"] = self.deadline
        if self.ref is not None:
            data["ref"] = _compact(encode_ref(self.ref))
        if self.on_answer is not None:
            data["on_answer"] = self.on_answer
        if self.call is not None:
            data["call"] = self.call.to_json()
            data["user"] = None if self.user is None else encode_user(self.user)
            data["message"] = None if self.message is None else encode_event(self.message)
        return data

    @classmethod
    def from_json(cls, data: Any) -> ChoiceRecord:
        """``ValueError`` when ``data`` is not a choice record."""
        if not isinstance(data, Mapping):
            raise ValueError("a choice record must be an object")
        try:
            allowed = data.get("allowed")
            message = decode_event(data["message"]) if data.get("message") else None
            deadline, timeout = data.get("deadline"), data.get("timeout")
            card = decode_message(data.get("card")) or Message()
            return cls(
                platform=str(data.get("platform") or ""),
                conversation=decode_conversation(data.get("conversation")),
                card=card,
                labels={str(k): str(v) for k, v in data["labels"].items()}
                if isinstance(data.get("labels"), Mapping) else labels_of(card),
                allowed=None if allowed is None else tuple(str(u) for u in allowed),
                allowed_names=tuple(str(n) for n in data.get("allowed_names") or ()),
                owner=str(data.get("owner") or ""),
                timeout=timeout if isinstance(timeout, int | float) else None,
                deadline=deadline if isinstance(deadline, int | float) else None,
                ref=decode_ref(data["ref"]) if data.get("ref") else None,
                call=ToolCall.from_json(data["call"]) if isinstance(data.get("call"), Mapping)
                else None,
                user=decode_user(data["user"]) if data.get("user") else None,
                message=message if isinstance(message, MessageEvent) else None,
                on_answer=str(data["on_answer"]) if data.get("on_answer") else None)
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a choice record: {exc}") from exc


def labels_of(card: Message) -> dict[str, str]:
    """Per action id of a posted choice card, the label shown once answered (as
    ``mark_choice`` made them)."""
    return {control.action_id: control.label if isinstance(control, Button) else "option"
            for control in iter_controls(card) if control.action_id is not None}


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """An encoded conversation or message ref without what decoding defaults (an empty
    ``raw``, no thread, not direct)."""
    return {k: v for k, v in data.items()
            if not (v is None or v is False or (k == "raw" and not v))}


@dataclass(frozen=True, kw_only=True)
class HandedAnswer:
    """A click taken by one process for a choice another process waits on."""

    value: Any
    by: str
    """The replica id of the process that took the click."""

    def to_json(self) -> dict[str, Any]:
        return {"value": self.value, "by": self.by}

    @classmethod
    def from_json(cls, data: Any) -> HandedAnswer:
        if not isinstance(data, Mapping):
            raise ValueError("a handed answer must be an object")
        return cls(value=data.get("value"), by=str(data.get("by") or ""))
