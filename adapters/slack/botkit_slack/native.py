"""Slack's native streams (``chat.startStream`` / ``appendStream`` / ``stopStream``) for
``ReplyStream``: paced appends of the new Markdown, tool progress as ``task_update`` chunks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit.types import Conversation
from botkit_slack import limits as L
from botkit_slack.client import RateLimiter
from botkit_slack.egress import Egress, Posted, ToolRow

__all__ = ["PERMANENT_NATIVE_ERRORS", "NativeStreaming", "StreamMessage", "StreamSettings",
           "split_native"]

log = logging.getLogger("botkit.slack")
PERMANENT_NATIVE_ERRORS = frozenset({
    "unknown_method", "missing_scope", "not_allowed_token_type", "method_deprecated",
    "no_permission", "feature_not_enabled", "channel_type_not_supported"})


@dataclass
class StreamSettings:
    native: bool
    interval: float = 1.0
    first_post_delay: float = 0.5
    """Wait this long before showing a reply: one that is complete by then is posted once."""
    split_at: int = 3500
    native_split_at: int = 11_000
    tool_status: bool = True
    recipient_user_id: str | None = None
    recipient_team_id: str | None = None
    on_native_error: Callable[[str], None] | None = None
    before_first_post: Callable[[], Awaitable[None]] | None = None


@dataclass
class StreamMessage:
    posted: Posted | None = None
    md: str = ""
    sent: int = 0  # native: characters of ``md`` already sent
    rows: dict[str, ToolRow] = field(default_factory=dict)
    rows_sent: dict[str, str] = field(default_factory=dict)
    rendered: dict[str, Any] | None = None
    native: bool = False
    status: bool = False  # the message carries the "status" metadata flag
    prepaid: bool = False  # a chat.update token was taken for the final render


def split_native(msg: StreamMessage, limit: int) -> tuple[str, str]:
    """Native streams cannot take text back: cut after what was sent, at a line if any."""
    cut = msg.md.rfind("\n", msg.sent, limit)
    cut = cut + 1 if cut > 0 else max(msg.sent, limit)
    return msg.md[:cut], msg.md[cut:]


class NativeStreaming:
    """The native half of ``ReplyStream`` (which provides these attributes)."""

    msg: StreamMessage
    s: StreamSettings
    native: bool
    client: AsyncWebClient
    limiter: RateLimiter
    conversation: Conversation
    egress: Egress
    _dirty: asyncio.Event

    def _chunks(self) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        for call_id, row in self.msg.rows.items():
            status = {"done": "complete", "called": "complete", "error": "error"}.get(
                row.state, "in_progress")
            if self.msg.rows_sent.get(call_id) != status:
                title = row.line().split(" ", 1)[1].rstrip("…")
                chunks.append({"type": "task_update", "id": call_id, "title": title,
                               "status": status})
                self.msg.rows_sent[call_id] = status
        return chunks

    def _delta(self) -> str:
        text = self.msg.md[self.msg.sent:][: L.MAX_MARKDOWN_TEXT]
        self.msg.sent += len(text)
        return text

    async def _start_native(self) -> bool:
        if not self.limiter.try_take("chat.startStream"):
            return False
        conv = self.conversation
        recipient: dict[str, Any] = {}
        if not conv.is_direct:
            recipient = {"recipient_user_id": self.s.recipient_user_id,
                         "recipient_team_id": self.s.recipient_team_id}
        chunks = self._chunks()
        text = self._delta()
        try:
            response: Any = await self.client.chat_startStream(
                channel=conv.channel, thread_ts=conv.thread or "", markdown_text=text or None,
                chunks=chunks or None, task_display_mode="timeline", **recipient)
        except SlackApiError as exc:
            error = str(exc.response.get("error"))
            log.info("chat.startStream failed (%s); streaming with edits", error)
            if self.s.on_native_error is not None:
                self.s.on_native_error(error)
            self.native, self.msg.sent, self.msg.rows_sent = False, 0, {}
            return False
        self.msg.native = True
        self.msg.posted = Posted(conv.channel, conv.thread, str(response["ts"]), None)
        self.egress.track(self.msg.posted)
        return True

    async def _native_append(self) -> None:
        chunks = self._chunks()
        if self.msg.sent >= len(self.msg.md) and not chunks:
            return
        if not self.limiter.try_take("chat.appendStream", optional=True):
            self._dirty.set()
            return
        assert self.msg.posted is not None
        text = self._delta()
        await self.client.chat_appendStream(channel=self.msg.posted.channel, ts=self.msg.posted.ts,
                                            markdown_text=text or None, chunks=chunks or None)

    async def _native_stop(self) -> None:
        assert self.msg.posted is not None
        for row in self.msg.rows.values():
            if row.state == "running":
                row.state = "called"
        await self.limiter.take("chat.stopStream")
        chunks = self._chunks()
        text = self._delta()
        while len(self.msg.md) > self.msg.sent:  # more than one append's worth is left
            await self.client.chat_appendStream(
                channel=self.msg.posted.channel, ts=self.msg.posted.ts, markdown_text=text)
            text = self._delta()
        await self.client.chat_stopStream(channel=self.msg.posted.channel, ts=self.msg.posted.ts,
                                          markdown_text=text or None, chunks=chunks or None)
        self.egress.history.invalidate(self.msg.posted.channel, self.msg.posted.thread,
                                       self.msg.posted.ts)
