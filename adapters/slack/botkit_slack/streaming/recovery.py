"""Streamed replies a process died in the middle of: Slack keeps a native stream in its
streaming state (until it expires) and a message edited in place half-written.

``reply_hooks`` gives ``ReplyStream`` the bot's ``stream_opened`` / ``stream_ended`` for each
message it keeps open (a native stream, or a message it goes on editing), so the bot records
it with the process that owns it. ``close_open_reply`` is the adapter's ``close_stream``: a
live process ends such a message with the notice (``chat.stopStream`` with the notice as
its last text, or, for a message that is not a live stream, ``chat.update`` adding it).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from slack_sdk.errors import SlackApiError

from botkit.adapter import BotHandle, OpenStream
from botkit.types import Conversation, MessageRef
from botkit_slack.client import slack_error
from botkit_slack.egress import Egress
from botkit_slack.history import Identity
from botkit_slack.streaming.native import StreamSettings

__all__ = ["OpenReply", "close_open_reply", "reply_hooks"]

log = logging.getLogger("botkit.slack")
NOT_STREAMING = frozenset({"message_not_in_streaming_state", "message_not_owned_by_app"})
CLOCK_SLACK = 60.0  # seconds: how far Slack's clock (message ts) may trail this machine's


def reply_hooks(settings: StreamSettings, bot: BotHandle | None, platform: str,
                conversation: Conversation) -> StreamSettings:
    """``settings`` reporting the reply's open message in ``conversation`` to ``bot`` (as
    they are without a bot): one record per reply, written before each call that opens a
    message and again with its ts. ``settings`` is changed in place (it is the reply's)."""
    if bot is not None:
        record = OpenReply(bot, platform, conversation)
        settings.on_open, settings.on_end = record.opened, record.ended
    return settings


class OpenReply:
    """One reply's record with the bot (``stream_opened`` / ``stream_ended``): a small
    object, not two closures, while the reply waits for Slack's pacing."""

    __slots__ = ("bot", "conversation", "platform", "reply_id", "since")

    def __init__(self, bot: BotHandle, platform: str, conversation: Conversation) -> None:
        self.bot, self.platform, self.conversation = bot, platform, conversation
        self.reply_id = uuid.uuid4().hex
        self.since = time.time() - CLOCK_SLACK  # Slack's clock may run a little behind ours

    async def opened(self, ts: str | None) -> None:
        conversation = self.conversation
        ref = None if ts is None else MessageRef(id=ts, channel=conversation.channel)
        await self.bot.stream_opened(OpenStream(id=self.reply_id, platform=self.platform,
                                                conversation=conversation, ref=ref,
                                                opened_at=self.since))

    async def ended(self) -> None:
        await self.bot.stream_ended(OpenStream(id=self.reply_id, platform=self.platform,
                                               conversation=self.conversation))


async def close_open_reply(egress: Egress, identity: Identity | None, stream: OpenStream,
                           notice: str) -> None:
    """End the reply ``stream`` names with ``notice``: a native stream is stopped with it as
    its last text; any other message (edited in place, or a stream Slack expired) gets it
    added by an edit. A message deleted since is left alone. Without the message's ts (the
    process died while Slack opened it), the bot's own streams in the thread since
    ``opened_at`` are stopped."""
    if stream.ref is None:
        for ts in await _own_since(egress, identity, stream):
            await _stop(egress, stream, ts, notice)
        return
    ts = stream.ref.id
    if await _stop(egress, stream, ts, notice):
        return
    channel = stream.ref.channel or stream.conversation.channel
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


async def _stop(egress: Egress, stream: OpenStream, ts: str, notice: str) -> bool:
    """``chat.stopStream`` with the notice; False when ``ts`` is not a live stream (any
    more), True when it was stopped or is gone."""
    await egress.limiter.take("chat.stopStream")
    try:
        await egress.client.chat_stopStream(channel=stream.conversation.channel, ts=ts,
                                            markdown_text=notice)
    except SlackApiError as exc:
        error = slack_error(exc)
        if error == "message_not_found":
            return True  # deleted since
        if error in NOT_STREAMING:
            return False
        raise
    log.info("closed the reply %s left streaming in %s", ts, stream.conversation.id)
    return True


async def _own_since(egress: Egress, identity: Identity | None, stream: OpenStream
                     ) -> list[str]:
    """The ts of the bot's own messages in the stream's thread since it was opened."""
    thread = stream.conversation.thread
    if identity is None or not thread:
        return []
    messages = await _replies(egress, stream.conversation.channel, thread,
                              oldest=f"{stream.opened_at:.6f}")
    return [str(m["ts"]) for m in messages if identity.is_own(m) and m.get("ts") != thread]


async def _message(egress: Egress, channel: str, ts: str) -> dict[str, Any] | None:
    """The message at ``ts`` (a thread's reply or not), or None when it is gone."""
    messages = await _replies(egress, channel, ts, oldest=ts, latest=ts, limit=2)
    return next((m for m in messages if m.get("ts") == ts), None)


async def _replies(egress: Egress, channel: str, ts: str, **window: Any
                   ) -> list[dict[str, Any]]:
    await egress.limiter.take("conversations.replies")
    try:
        response: Any = await egress.client.conversations_replies(
            channel=channel, ts=ts, inclusive=True, **window)
    except SlackApiError as exc:
        if slack_error(exc) in ("thread_not_found", "message_not_found"):
            return []
        raise
    return [m for m in response.get("messages") or () if isinstance(m, dict)]
