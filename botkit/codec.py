"""JSON codecs for botkit's values: what the store keeps of users, conversations, message
refs, attachments and inbound events.

Every ``encode_*`` returns JSON-compatible data (dicts, lists, strings, numbers, booleans,
None) and its ``decode_*`` gives back an equal value: ``decode_event(encode_event(e)) == e``
for every ``Event``, ``raw`` included (``raw`` must itself be JSON-compatible, as platform
payloads are). Attachment bytes travel base64-encoded. Decoders accept records written
before a field existed (it takes its default) and raise ``ValueError`` on data that is not
an encoded value, so a consumer of stored events can skip a bad record instead of crashing.
"""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Mapping
from typing import Any

from botkit._agent_context import ContextEntry
from botkit.events import (
    CommandEvent,
    Event,
    InteractionEvent,
    MessageEvent,
    ModalCloseEvent,
    ModalSubmitEvent,
    ReactionEvent,
    ThreadStartedEvent,
)
from botkit.types import NO_RAW, Attachment, Conversation, MessageRef, PlatformUser

__all__ = [
    "decode_attachment",
    "decode_conversation",
    "decode_event",
    "decode_ref",
    "decode_user",
    "encode_attachment",
    "encode_conversation",
    "encode_event",
    "encode_ref",
    "encode_user",
]

Json = dict[str, Any]


def _raw(value: Mapping[str, Any]) -> Json:
    return dict(value)


def _mapping(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"an encoded {what} must be an object, not {type(data).__name__}")
    return data


def _str(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"an encoded {what} needs a string {key!r}")
    return value


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _raw_of(data: Mapping[str, Any]) -> Mapping[str, Any]:
    raw = data.get("raw")
    return dict(raw) if isinstance(raw, Mapping) and raw else NO_RAW


# -- people, places, messages ----------------------------------------------------------
def encode_user(user: PlatformUser) -> Json:
    return {"id": user.id, "name": user.name, "handle": user.handle, "email": user.email,
            "is_bot": user.is_bot, "raw": _raw(user.raw)}


def decode_user(data: Any) -> PlatformUser:
    d = _mapping(data, "user")
    return PlatformUser(id=_str(d, "id", "user"), name=_opt_str(d, "name"),
                        handle=_opt_str(d, "handle"), email=_opt_str(d, "email"),
                        is_bot=bool(d.get("is_bot")), raw=_raw_of(d))


def encode_conversation(conversation: Conversation) -> Json:
    c = conversation
    return {"id": c.id, "channel": c.channel, "thread": c.thread, "is_direct": c.is_direct,
            "raw": _raw(c.raw)}


def decode_conversation(data: Any) -> Conversation:
    d = _mapping(data, "conversation")
    return Conversation(id=_str(d, "id", "conversation"),
                        channel=_str(d, "channel", "conversation"),
                        thread=_opt_str(d, "thread"), is_direct=bool(d.get("is_direct")),
                        raw=_raw_of(d))


def encode_ref(ref: MessageRef) -> Json:
    return {"id": ref.id, "channel": ref.channel, "raw": _raw(ref.raw)}


def decode_ref(data: Any) -> MessageRef:
    d = _mapping(data, "message ref")
    return MessageRef(id=_str(d, "id", "message ref"), channel=_opt_str(d, "channel") or "",
                      raw=_raw_of(d))


def encode_attachment(attachment: Attachment) -> Json:
    a = attachment
    return {"name": a.name, "mime_type": a.mime_type, "size": a.size, "url": a.url,
            "data": None if a.data is None else base64.b64encode(a.data).decode("ascii"),
            "raw": _raw(a.raw)}


def decode_attachment(data: Any) -> Attachment:
    d = _mapping(data, "attachment")
    size, blob = d.get("size"), d.get("data")
    try:
        content = None if blob is None else base64.b64decode(str(blob), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"an encoded attachment's data is not base64: {exc}") from exc
    return Attachment(name=_str(d, "name", "attachment"),
                      mime_type=mime if isinstance(mime := d.get("mime_type"), str)
                      else "application/octet-stream",
                      size=size if isinstance(size, int) and not isinstance(size, bool)
                      else None,
                      url=_opt_str(d, "url"), data=content, raw=_raw_of(d))


# -- a modal's typed values: JSON values as they are, dates tagged ----------------------
def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return {"date": value.isoformat()}
    if isinstance(value, list | tuple):
        return {"list": [_encode_value(v) for v in value]}
    return {"value": value}


def _decode_value(data: Any) -> Any:
    d = _mapping(data, "modal value")
    if "date" in d:
        try:
            return datetime.date.fromisoformat(str(d["date"]))
        except ValueError as exc:
            raise ValueError(f"an encoded modal date is not a date: {exc}") from exc
    if "list" in d and isinstance(d["list"], list):
        return [_decode_value(v) for v in d["list"]]
    return d.get("value")


# -- inbound events --------------------------------------------------------------------
def encode_event(event: Event) -> Json:
    """An inbound event as JSON; ``kind`` says which event type it is."""
    base: Json = {"platform": event.platform, "event_id": event.event_id,
                  "conversation": encode_conversation(event.conversation),
                  "user": encode_user(event.user), "raw": _raw(event.raw)}
    if isinstance(event, MessageEvent):
        return {**base, "kind": "message", "text": event.text, "ref": encode_ref(event.ref),
                "mentioned": event.mentioned,
                "attachments": [encode_attachment(a) for a in event.attachments],
                "context": [{"description": c.description, "value": c.value}
                            for c in event.context]}
    if isinstance(event, InteractionEvent):
        return {**base, "kind": "interaction", "action_id": event.action_id,
                "value": event.value,
                "message": None if event.message is None else encode_ref(event.message)}
    if isinstance(event, CommandEvent):
        return {**base, "kind": "command", "command": event.command, "text": event.text}
    if isinstance(event, ReactionEvent):
        return {**base, "kind": "reaction", "emoji": event.emoji, "added": event.added,
                "message": encode_ref(event.message)}
    if isinstance(event, ThreadStartedEvent):
        return {**base, "kind": "thread_started", "context": _raw(event.context),
                "context_changed": event.context_changed}
    if isinstance(event, ModalSubmitEvent):
        return {**base, "kind": "modal_submit", "callback_id": event.callback_id,
                "metadata": event.metadata,
                "values": {k: _encode_value(v) for k, v in event.values.items()}}
    if isinstance(event, ModalCloseEvent):
        return {**base, "kind": "modal_close", "callback_id": event.callback_id,
                "metadata": event.metadata}
    raise TypeError(f"not a botkit event: {type(event).__name__}")


def decode_event(data: Any) -> Event:
    """The event ``encode_event`` encoded (a record without ``kind`` is a message, as
    queued turns were stored before ``kind`` existed)."""
    d = _mapping(data, "event")
    kind = d.get("kind", "message")
    common: dict[str, Any] = {
        "platform": _str(d, "platform", "event"), "event_id": _str(d, "event_id", "event"),
        "conversation": decode_conversation(d.get("conversation")),
        "user": decode_user(d.get("user")), "raw": _raw_of(d)}
    if kind == "message":
        attachments = d.get("attachments") or ()
        if not isinstance(attachments, list | tuple):
            raise ValueError("an encoded message's attachments must be a list")
        return MessageEvent(**common, text=_str(d, "text", "message"),
                            ref=decode_ref(d.get("ref")), mentioned=bool(d.get("mentioned")),
                            attachments=tuple(decode_attachment(a) for a in attachments),
                            context=_context_of(d))
    if kind == "interaction":
        message = d.get("message")
        return InteractionEvent(**common, action_id=_str(d, "action_id", "interaction"),
                                value=d.get("value"),
                                message=None if message is None else decode_ref(message))
    if kind == "command":
        return CommandEvent(**common, command=_str(d, "command", "command"),
                            text=_opt_str(d, "text") or "")
    return _decode_newer(kind, d, common)


def _decode_newer(kind: Any, d: Mapping[str, Any], common: dict[str, Any]) -> Event:
    if kind == "reaction":
        return ReactionEvent(**common, emoji=_str(d, "emoji", "reaction"),
                             added=bool(d.get("added", True)),
                             message=decode_ref(d.get("message")))
    if kind == "thread_started":
        context = d.get("context")
        return ThreadStartedEvent(**common,
                                  context=dict(context) if isinstance(context, Mapping) else {},
                                  context_changed=bool(d.get("context_changed")))
    if kind == "modal_submit":
        values = _mapping(d.get("values", {}), "modal's values")
        return ModalSubmitEvent(**common, callback_id=_str(d, "callback_id", "modal submit"),
                                metadata=_opt_str(d, "metadata") or "",
                                values={str(k): _decode_value(v) for k, v in values.items()})
    if kind == "modal_close":
        return ModalCloseEvent(**common, callback_id=_str(d, "callback_id", "modal close"),
                               metadata=_opt_str(d, "metadata") or "")
    raise ValueError(f"unknown event kind {kind!r}")


def _context_of(d: Mapping[str, Any]) -> tuple[ContextEntry, ...]:
    entries = d.get("context") or ()
    if not isinstance(entries, list | tuple) or not all(
            isinstance(e, Mapping) and isinstance(e.get("description"), str)
            and isinstance(e.get("value"), str) for e in entries):
        raise ValueError("an encoded message's context must be a list of "
                         "{description, value} strings")
    return tuple(ContextEntry(description=e["description"], value=e["value"])
                 for e in entries)
