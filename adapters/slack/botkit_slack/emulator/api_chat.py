"""chat.postMessage, chat.update, chat.delete, chat.postEphemeral, chat.getPermalink."""

from __future__ import annotations

from .args import ApiRequest
from .core import Core
from .errors import ApiError
from .models import JSON, Actor, Message
from .posting import (
    Content,
    delete,
    edit,
    ensure_can_post,
    new_message,
    publish,
    resolve_target,
    thread_parent,
)
from .registry import Table
from .store import Channel

METHODS = Table()


def stream_live(core: Core, message: Message) -> bool:
    """Whether a streamed message still takes appends (flips to ``completed`` once expired)."""
    stream = message.stream
    if stream is None or stream.state != "in_progress":
        return False
    since = stream.started_at if core.config.stream_expiry == "total" else stream.last_at
    if core.clock.now() - since > core.config.stream_ttl:
        stream.state = "completed"
        return False
    return True


def owned_by(actor: Actor, message: Message) -> bool:
    if actor.app is not None:
        return message.bot_id == actor.app.bot_id
    return message.bot_id is None and message.user == actor.user_id


@METHODS.method("chat.postMessage")
async def post_message(core: Core, req: ApiRequest) -> JSON:
    actor = req.actor
    channel = resolve_target(core, req, actor)
    content = Content(req, truncate=True, strict=core.config.strict)
    ensure_can_post(channel, actor)
    thread_ts = req.get_str("thread_ts") or None
    thread_parent(core, channel, thread_ts)
    message = new_message(
        core,
        channel,
        author=actor,
        text=content.text,
        blocks=content.blocks,
        attachments=content.attachments,
        metadata=content.metadata or None,
        thread_ts=thread_ts,
        username=req.get_str("username"),
        icon_emoji=req.get_str("icon_emoji"),
        icon_url=req.get_str("icon_url"),
    )
    publish(core, channel, message, broadcast=bool(thread_ts) and req.get_bool("reply_broadcast"))
    return {
        "channel": channel.id,
        "ts": message.ts,
        "message": core.ws.render(channel, message),
        **content.response_metadata(),
    }


@METHODS.method("chat.update")
async def update(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    message = core.ws.message(channel, req.required("ts"))
    if not owned_by(req.actor, message):
        raise ApiError("cant_update_message")
    if stream_live(core, message):
        raise ApiError("streaming_state_conflict")
    content = Content(
        req,
        truncate=False,
        require=not req.has("metadata") and not req.has("file_ids"),
        strict=core.config.strict,
    )
    changes: JSON = {}
    if req.has("text") or req.has("markdown_text") or content.blocks is not None:
        changes.update(text=content.text, blocks=content.blocks)
    if content.attachments is not None:
        changes["attachments"] = content.attachments
    if content.has_metadata:
        changes["metadata"] = content.metadata or None
    if message.stream is not None:
        changes["stream"] = None
    edit(core, channel, message, editor=req.actor.user_id, **changes)
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": core.ws.render(channel, message),
    }


@METHODS.method("chat.delete")
async def delete_message(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    message = core.ws.message(channel, req.required("ts"))
    if not owned_by(req.actor, message):
        raise ApiError("cant_delete_message")
    delete(core, channel, message)
    return {"channel": channel.id, "ts": message.ts}


@METHODS.method("chat.postEphemeral")
async def post_ephemeral(core: Core, req: ApiRequest) -> JSON:
    channel = resolve_target(core, req, req.actor)
    target = core.ws.user(req.required("user"))
    content = Content(req, truncate=True, strict=core.config.strict)
    ensure_can_post(channel, req.actor)
    if target.id not in channel.members:
        raise ApiError("user_not_in_channel")
    message = new_message(
        core,
        channel,
        author=req.actor,
        text=content.text,
        blocks=content.blocks,
        attachments=content.attachments,
        thread_ts=req.get_str("thread_ts") or None,
    )
    message.ephemeral_for = target.id
    core.ws.ephemerals.append(message)
    core.changed("ephemeral", message)
    return {"message_ts": message.ts, **content.response_metadata()}


@METHODS.method("chat.getPermalink")
async def get_permalink(core: Core, req: ApiRequest) -> JSON:
    channel: Channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    message = core.ws.message(channel, req.required("message_ts"))
    link = (
        f"https://{core.ws.domain}.slack.com/archives/{channel.id}/p{message.ts.replace('.', '')}"
    )
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}
