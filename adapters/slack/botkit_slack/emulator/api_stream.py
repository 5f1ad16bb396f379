"""chat.startStream / appendStream / stopStream (``markdown_text`` or ``chunks``).

Slack's types say "either markdown_text or chunks" and its helpers never send both; what Slack
answers to both is undocumented. With ``EmulatorConfig.strict`` (the default) the emulator
refuses such a call with ``invalid_arguments``; without it the text is concatenated as before.
The streamed message carries ``subtype: bot_message`` like Slack's.
"""

from __future__ import annotations

from typing import Any

from .. import limits as L
from .api_chat import stream_live
from .args import ApiRequest
from .blocks import check_blocks, check_blocks_text
from .core import Core
from .errors import ApiError
from .models import JSON, Message, Stream
from .posting import check_metadata, ensure_can_post, new_message, publish, thread_parent
from .registry import Table
from .store import Channel

METHODS = Table()
CHUNK_TYPES = {"markdown_text", "plan_update", "task_update", "blocks"}
TASK_STATES = {"pending", "in_progress", "complete", "error"}


BOTH_TEXT_AND_CHUNKS = "markdown_text and chunks are mutually exclusive; send one of them"


def read_chunks(req: ApiRequest, *, strict: bool = True) -> tuple[str, list[JSON]]:
    """The text to append (``markdown_text`` plus markdown chunks) and the other chunks."""
    text = req.get_str("markdown_text") or ""
    raw: Any = req.get_json("chunks", "invalid_chunks")
    if strict and text and raw:
        raise ApiError("invalid_arguments", detail=BOTH_TEXT_AND_CHUNKS)
    others: list[JSON] = []
    if raw is not None:
        if not isinstance(raw, list):
            raise ApiError("invalid_chunks")
        for chunk in raw:
            if not isinstance(chunk, dict) or chunk.get("type") not in CHUNK_TYPES:
                raise ApiError("invalid_chunks")
            kind = chunk["type"]
            if kind == "markdown_text":
                if not isinstance(chunk.get("text"), str):
                    raise ApiError("invalid_chunks")
                text += chunk["text"]
            elif kind == "task_update" and chunk.get("status") not in TASK_STATES:
                raise ApiError("invalid_chunks")
            elif kind == "blocks":
                check_blocks(chunk.get("blocks"))
                others.append(chunk)
            else:
                others.append(chunk)
    if len(text) > L.MAX_MARKDOWN_TEXT:
        raise ApiError("msg_too_long")
    return text, others


def streaming_message(core: Core, req: ApiRequest) -> tuple[Channel, Message]:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    message = core.ws.message(channel, req.required("ts"))
    if message.stream is None:
        raise ApiError("message_not_in_streaming_state")
    if req.actor.app is None or message.stream.app_id != req.actor.app.app_id:
        raise ApiError("message_not_owned_by_app")
    if not stream_live(core, message):
        raise ApiError("message_not_in_streaming_state")
    return channel, message


def append(core: Core, channel: Channel, message: Message, text: str, chunks: list[JSON]) -> None:
    assert message.stream is not None
    message.text += text
    message.stream.chunks.extend(chunks)
    message.stream.last_at = core.clock.now()
    core.changed("message", message)


@METHODS.method("chat.startStream", tokens=frozenset({"bot"}))
async def start_stream(core: Core, req: ApiRequest) -> JSON:
    actor = req.actor
    channel = core.ws.channel(req.required("channel"), viewer=actor.user_id)
    thread_ts = req.get_str("thread_ts") or None
    if core.config.stream_requires_thread and not thread_ts:
        raise ApiError("invalid_arguments", detail="thread_ts is required")
    if channel.kind != "im":
        if not req.has("recipient_team_id"):
            raise ApiError("missing_recipient_team_id")
        if not req.has("recipient_user_id"):
            raise ApiError("missing_recipient_user_id")
    ensure_can_post(channel, actor)
    thread_parent(core, channel, thread_ts)
    text, chunks = read_chunks(req, strict=core.config.strict)
    now = core.clock.now()
    assert actor.app is not None
    message = new_message(
        core,
        channel,
        author=actor,
        text=text,
        thread_ts=thread_ts,
        subtype="bot_message",
        username=req.get_str("username"),
        icon_emoji=req.get_str("icon_emoji"),
        icon_url=req.get_str("icon_url"),
    )
    message.stream = Stream(
        actor.app.app_id,
        now,
        now,
        recipient_user_id=req.get_str("recipient_user_id"),
        recipient_team_id=req.get_str("recipient_team_id"),
        chunks=chunks,
    )
    publish(core, channel, message)
    return {"channel": channel.id, "ts": message.ts}


@METHODS.method("chat.appendStream", tokens=frozenset({"bot"}))
async def append_stream(core: Core, req: ApiRequest) -> JSON:
    channel, message = streaming_message(core, req)
    text, chunks = read_chunks(req, strict=core.config.strict)
    if not text and not chunks:
        raise ApiError("no_text")
    append(core, channel, message, text, chunks)
    return {"channel": channel.id, "ts": message.ts}


@METHODS.method("chat.stopStream", tokens=frozenset({"bot"}))
async def stop_stream(core: Core, req: ApiRequest) -> JSON:
    channel, message = streaming_message(core, req)
    text, chunks = read_chunks(req, strict=core.config.strict)
    raw_blocks = req.get_json("blocks", "invalid_blocks_format")
    if isinstance(raw_blocks, list) and len(raw_blocks) > L.MAX_BLOCKS:
        raise ApiError("msg_blocks_too_many")
    blocks = check_blocks(raw_blocks)
    check_blocks_text([*(message.blocks or []), *(blocks or [])])
    metadata = req.get_json("metadata", "invalid_metadata_format")
    if metadata is not None:
        message.metadata = check_metadata(metadata, strict=core.config.strict) or None
    append(core, channel, message, text, chunks)
    if blocks:
        message.blocks = [*(message.blocks or []), *blocks]
    assert message.stream is not None
    message.stream.state = "completed"
    core.changed("message", message)
    return {"channel": channel.id, "ts": message.ts, "message": core.ws.render(channel, message)}
