"""Composing and storing messages for chat.*, streams, files, response_url and the test API."""

from __future__ import annotations

import re
import zlib
from typing import Any

from .. import limits as L
from .args import ApiRequest
from .blocks import check_blocks, check_blocks_text
from .core import Core
from .errors import ApiError
from .models import JSON, Actor, App, Message
from .store import Channel

TRUNCATED = (
    "[WARN] Your message was truncated but still posted. "
    "The `text` field accepts up to 40,000 characters."
)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def mentions(text: str) -> list[str]:
    return _MENTION.findall(text or "")


def _flat(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _flat_object(value: Any) -> bool:
    return isinstance(value, dict) and all(_flat(v) for v in value.values())


def payload_shape_ok(payload: JSON) -> bool:
    """Slack's documented ``event_payload``: each value a flat value, a flat object, or an array
    of flat objects (``@slack/types`` MessageMetadataEventPayloadObject). Deeper nesting is not."""
    for value in payload.values():
        if _flat(value) or _flat_object(value):
            continue
        if isinstance(value, list) and all(_flat_object(item) for item in value):
            continue
        return False
    return True


def check_metadata(value: Any, *, strict: bool = True) -> JSON:
    """A ``{event_type, event_payload}`` object, or ``invalid_metadata_format``.

    With ``strict`` a payload nested deeper than Slack documents is refused with
    ``invalid_metadata_format`` too: Slack documents the shape but not its answer to a breach,
    so the emulator picks the error it gives for other malformed metadata.
    """
    if not isinstance(value, dict):
        raise ApiError("invalid_metadata_format")
    if value == {}:
        return {}
    event_type = value.get("event_type")
    payload = value.get("event_payload")
    if not isinstance(event_type, str) or not event_type or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_format")
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", event_type) or set(value) - {
        "event_type",
        "event_payload",
    }:
        raise ApiError("invalid_metadata_schema")
    if strict and not payload_shape_ok(payload):
        raise ApiError(
            "invalid_metadata_format",
            detail="event_payload values must be flat values, flat objects or arrays of flat "
            "objects",
        )
    return {"event_type": event_type, "event_payload": payload}


class Content:
    """The body of a post or update (text, blocks, attachments, metadata) plus any warnings."""

    def __init__(
        self, req: ApiRequest, *, truncate: bool, require: bool = True, strict: bool = True
    ) -> None:
        self.warnings: list[str] = []
        self.messages: list[str] = []
        text = req.get_str("text")
        markdown = req.get_str("markdown_text")
        blocks = check_blocks(req.get_json("blocks", "invalid_blocks_format"))
        attachments = req.get_json("attachments", "invalid_attachments")
        if markdown is not None and markdown != "":
            if text or blocks:
                raise ApiError("markdown_text_conflict")
            if len(markdown) > L.MAX_MARKDOWN_TEXT:
                raise ApiError("msg_too_long")
            text, blocks = markdown, [{"type": "markdown", "text": markdown}]
        check_blocks_text(blocks)
        if attachments is not None:
            if not isinstance(attachments, list):
                raise ApiError("invalid_attachments")
            if len(attachments) > L.MAX_ATTACHMENTS:
                raise ApiError("too_many_attachments")
        if require and not text and not blocks and not attachments:
            raise ApiError("no_text")
        if text and len(text) > L.MAX_MESSAGE_TEXT:
            if not truncate:
                raise ApiError("msg_too_long")
            text = text[: L.MAX_MESSAGE_TEXT]
            self.warnings.append("message_truncated")
            self.messages.append(TRUNCATED)
        self.text = text or ""
        self.blocks: list[JSON] | None = blocks
        self.attachments: list[JSON] | None = attachments
        self.has_metadata = req.has("metadata")
        raw_meta = req.get_json("metadata", "invalid_metadata_format")
        self.metadata = check_metadata(raw_meta, strict=strict) if self.has_metadata else None
        if self.has_metadata and len(str(raw_meta)) > 8000:
            raise ApiError("metadata_too_large")

    def response_metadata(self) -> JSON:
        if not self.warnings:
            return {}
        return {
            "warning": self.warnings[0],
            "response_metadata": {"warnings": self.warnings, "messages": self.messages},
        }


def resolve_target(core: Core, req: ApiRequest, actor: Actor, arg: str = "channel") -> Channel:
    """The channel a post goes to; a user id opens the DM with the caller, as Slack does."""
    ref = req.required(arg)
    if ref[:1] in ("U", "W") and ref in core.ws.users:
        return core.ws.open_dm(actor.user_id, ref)
    return core.ws.channel(ref, viewer=actor.user_id)


def ensure_can_post(channel: Channel, actor: Actor) -> None:
    if channel.is_archived:
        raise ApiError("is_archived")
    if actor.user_id not in channel.members:
        raise ApiError("not_in_channel")
    if channel.kind == "im" and actor.app is not None and not actor.app.messages_tab:
        raise ApiError("messages_tab_disabled")


def thread_parent(core: Core, channel: Channel, thread_ts: str | None) -> Message | None:
    if not thread_ts:
        return None
    parent = channel.messages.get(thread_ts)
    if parent is None:
        raise ApiError("thread_not_found")
    if parent.is_reply:
        raise ApiError("cannot_reply_to_message")
    return parent


def new_message(
    core: Core,
    channel: Channel,
    *,
    author: Actor | None = None,
    app: App | None = None,
    user: str | None = None,
    **fields: Any,
) -> Message:
    """A message by a bot (``app``) or a person (``user``) with a fresh channel ``ts``."""
    message = Message(
        ts=core.ws.ts.next(channel.id), channel=channel.id, team=core.ws.team_id, **fields
    )
    bot = app or (author.app if author else None)
    if bot is not None:
        message.user, message.bot_id, message.app_id = bot.bot_user_id, bot.bot_id, bot.app_id
        message.bot_profile = bot.bot_profile(core.ws.team_id)
    else:
        message.user = user or (author.user_id if author else None)
    return message


def publish(
    core: Core, channel: Channel, message: Message, *, broadcast: bool = False, events: bool = True
) -> Message:
    """Store a message, clear the assistant status of its thread, raise the events."""
    if broadcast and message.is_reply:
        message.subtype = message.subtype or "thread_broadcast"
    core.ws.store(channel, message, broadcast=broadcast)
    if message.bot_id and message.thread_ts:
        core.ws.assistant.get((channel.id, message.thread_ts), {}).pop("status", None)
    core.changed("message", message)
    if events:
        core.events.message_posted(channel, message)
    return message


def human_blocks(text: str) -> list[JSON]:
    """The ``rich_text`` block Slack's clients attach to what a person types."""
    elements: list[JSON] = []
    last = 0
    for match in _MENTION.finditer(text):
        if match.start() > last:
            elements.append({"type": "text", "text": text[last : match.start()]})
        elements.append({"type": "user", "user_id": match.group(1)})
        last = match.end()
    if last < len(text):
        elements.append({"type": "text", "text": text[last:]})
    return [
        {
            "type": "rich_text",
            "block_id": format(zlib.crc32(text.encode()) & 0xFFFFF, "05x"),
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def edit(
    core: Core, channel: Channel, message: Message, *, editor: str | None, **changes: Any
) -> Message:
    """Change fields of a stored message and raise ``message_changed`` (not for ephemerals)."""
    previous = message.to_api(include_metadata=False)
    for name, value in changes.items():
        setattr(message, name, value)
    if message.ephemeral_for is None:
        ts = core.ws.ts.next(channel.id)
        if editor:
            message.edited = {"user": editor, "ts": ts}
        core.events.message_changed(channel, previous, message, ts)
    core.changed("message", message)
    return message


def delete(core: Core, channel: Channel, message: Message) -> None:
    """Remove a message and raise ``message_deleted`` (ephemerals just vanish)."""
    if message.ephemeral_for is not None:
        if message in core.ws.ephemerals:
            core.ws.ephemerals.remove(message)
        core.changed("ephemeral", message)
        return
    previous = message.to_api(include_metadata=False)
    core.ws.remove(channel, message)
    core.changed("message", message)
    core.events.message_deleted(channel, previous, core.ws.ts.next(channel.id))
