"""Streamed replies a process died in the middle of: Slack keeps a native stream in its
streaming state (until it expires) and a message edited in place half-written.

``reply_hooks`` gives ``ReplyStream`` the bot's ``stream_opened`` / ``stream_ended`` for each
message it keeps open (a native stream, or a message it goes on editing), so the bot records
it with the process that owns it. ``close_open_reply`` is the adapter's ``close_stream``: a
live process ends such a message with the notice (``chat.stopStream`` with the notice as
its last text, or, for a message that is not a live stream, ``chat.update`` adding it).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from slack_sdk.errors import SlackApiError

from botkit.adapter import BotHandle, OpenStream
from botkit.types import Conversation, MessageRef
from botkit_slack.client import slack_error
from botkit_slack.egress import Egress, Posted
from botkit_slack.streaming.native import StreamSettings

__all__ = ["close_open_reply", "reply_hooks"]

log = logging.getLogger("botkit.slack")
NOT_STREAMING = "message_not_in_streaming_state"


def reply_hooks(settings: StreamSettings, bot: BotHandle | None, platform: str,
                conversation: Conversation) -> StreamSettings:
    """``settings`` reporting ``conversation``'s reply messages to ``bot`` (as they are
    without a bot)."""
    if bot is None:
        return settings

    def record(posted: Posted) -> OpenStream:
        return OpenStream(platform=platform, conversation=conversation,
                          ref=MessageRef(id=posted.ts, channel=posted.channel))

    async def opened(posted: Posted) -> None:
        await bot.stream_opened(record(posted))

    async def ended(posted: Posted) -> None:
        await bot.stream_ended(record(posted))
    return dataclasses.replace(settings, on_open=opened, on_end=ended)


async def close_open_reply(egress: Egress, stream: OpenStream, notice: str) -> None:
    """End the message ``stream`` names with ``notice``: a native stream is stopped with it
    as its last text; any other message (edited in place, or a stream Slack expired) gets
    it added by an edit. A message deleted since is left alone."""
    channel = stream.ref.channel or stream.conversation.channel
    ts = stream.ref.id
    await egress.limiter.take("chat.stopStream")
    try:
        await egress.client.chat_stopStream(channel=channel, ts=ts, markdown_text=notice)
        log.info("closed the reply %s left streaming in %s", ts, stream.conversation.id)
        return
    except SlackApiError as exc:
        if slack_error(exc) == "message_not_found":
            return  # deleted since
        if slack_error(exc) != NOT_STREAMING:
            raise
    message = await _message(egress, channel, ts)
    if message is None:
        return
    text = str(message.get("text") or "").rstrip()
    if notice.strip() in text:
        return  # closed already
    blocks: list[Any] = list(message.get("blocks") or [])
    if blocks:
        blocks.append({"type": "context",
                       "elements": [{"type": "mrkdwn", "text": notice.strip()}]})
    content: dict[str, Any] = {"text": text + notice, **({"blocks": blocks} if blocks else {})}
    await egress.update_content(channel, ts, content, thread=stream.conversation.thread)
    log.info("closed the reply %s left half-written in %s", ts, stream.conversation.id)


async def _message(egress: Egress, channel: str, ts: str) -> dict[str, Any] | None:
    """The message at ``ts`` (a thread's reply or not), or None when it is gone."""
    await egress.limiter.take("conversations.replies")
    try:
        response: Any = await egress.client.conversations_replies(
            channel=channel, ts=ts, oldest=ts, latest=ts, inclusive=True, limit=2)
    except SlackApiError as exc:
        if slack_error(exc) in ("thread_not_found", "message_not_found"):
            return None
        raise
    return next((m for m in response.get("messages") or () if m.get("ts") == ts), None)
