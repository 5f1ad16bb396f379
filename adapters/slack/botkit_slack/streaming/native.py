"""Slack's native streams (``chat.startStream`` / ``appendStream`` / ``stopStream``): paced
appends of the new Markdown, tool progress as ``task_update`` chunks.

A call carries either ``markdown_text`` or ``chunks``, never both (Slack's own helpers never
mix them): pending tool rows go first, the text in the next call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from botkit.types import Conversation
from botkit_slack import limits as L
from botkit_slack.client import RateLimiter, slack_error
from botkit_slack.egress import Egress, Posted, ToolRow

__all__ = ["PERMANENT_NATIVE_ERRORS", "NativeWriter", "StreamMessage", "StreamSettings",
           "refuse_native", "split_native"]

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
    on_native_error: Callable[[str, Conversation], None] | None = None
    """Slack refused a native stream in this conversation (its error code)."""
    status: asyncio.Future[None] | None = None
    """The "thinking" status being set: the first post waits for it (up to 2 s), and a
    reply that posts nothing clears it (``set_status``)."""
    set_status: Callable[[Conversation, str], Awaitable[None]] | None = None
    on_open: Callable[[str | None], Awaitable[None]] | None = None
    """A message of the reply is about to open (None), or is open at this ts (streaming,
    or to be edited again)."""
    on_end: Callable[[], Awaitable[None]] | None = None
    """The whole reply is shown (after an ``on_open``)."""


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

    @property
    def unsent(self) -> bool:
        return self.sent < len(self.md)


def refuse_native(off: set[str], error: str, kind: str) -> None:
    """Add to ``off`` where Slack refuses native streams for good: this type of channel
    (``channel_type_not_supported``), or everywhere (``*``: a missing scope …)."""
    if error not in PERMANENT_NATIVE_ERRORS:
        return
    where = kind if error == "channel_type_not_supported" else "*"
    if where not in off:
        off.add(where)
        log.warning("Slack refused native streaming (%s); streaming by editing messages "
                    "%s from now on", error,
                    "everywhere" if where == "*" else f"in {where} conversations")


def split_native(msg: StreamMessage, limit: int) -> tuple[str, str]:
    """Native streams cannot take text back: cut after what was sent, at a line if any."""
    cut = msg.md.rfind("\n", msg.sent, limit)
    cut = cut + 1 if cut > 0 else max(msg.sent, limit)
    return msg.md[:cut], msg.md[cut:]


class NativeWriter:
    """Writes one reply's messages as native streams. Failures raise (the caller falls back
    to edits) except in ``start``, which reports them and answers False."""

    def __init__(self, egress: Egress, conversation: Conversation,
                 settings: StreamSettings) -> None:
        self.egress = egress
        self.client: AsyncWebClient = egress.client
        self.limiter: RateLimiter = egress.limiter
        self.conversation = conversation
        self.s = settings

    def _chunks(self, msg: StreamMessage) -> list[dict[str, Any]]:
        chunks: list[dict[str, Any]] = []
        for call_id, row in msg.rows.items():
            status = _status(row)
            if msg.rows_sent.get(call_id) != status:
                chunks.append({"type": "task_update", "id": call_id, "title": row.title(),
                               "status": status})
                msg.rows_sent[call_id] = status
        return chunks

    @staticmethod
    def _delta(msg: StreamMessage) -> str:
        text = msg.md[msg.sent:][: L.MAX_MARKDOWN_TEXT]
        msg.sent += len(text)
        return text

    def _content(self, msg: StreamMessage) -> dict[str, Any]:
        """The next call's content: pending tool rows, else the next piece of text."""
        chunks = self._chunks(msg)
        if chunks:
            return {"chunks": chunks}
        text = self._delta(msg)
        return {"markdown_text": text} if text else {}

    async def start(self, msg: StreamMessage) -> bool:
        """Open the stream with ``msg``'s first content (False: not now, or refused)."""
        if not self.limiter.try_take("chat.startStream"):
            return False
        conv = self.conversation
        recipient: dict[str, Any] = {}
        if not conv.is_direct:
            recipient = {"recipient_user_id": self.s.recipient_user_id,
                         "recipient_team_id": self.s.recipient_team_id}
        content = self._content(msg)
        try:
            response: Any = await self.client.chat_startStream(
                channel=conv.channel, thread_ts=conv.thread or "", task_display_mode="timeline",
                **content, **recipient)
            ts = str(response["ts"])
        except Exception as exc:
            error = slack_error(exc)
            log.info("chat.startStream failed (%s); streaming with edits", error)
            if self.s.on_native_error is not None:
                self.s.on_native_error(error, conv)
            msg.sent, msg.rows_sent = 0, {}
            return False
        msg.native = True
        msg.posted = Posted(conv.channel, conv.thread, ts, None)
        self.egress.track(msg.posted)
        return True

    async def append(self, msg: StreamMessage) -> bool:
        """Send what is new, if the budget allows; True when more is left to send."""
        if not msg.unsent and all(msg.rows_sent.get(c) == _status(r)
                                  for c, r in msg.rows.items()):
            return False
        if not self.limiter.try_take("chat.appendStream", optional=True):
            return True
        assert msg.posted is not None
        content = self._content(msg)
        if content:
            await self.client.chat_appendStream(channel=msg.posted.channel, ts=msg.posted.ts,
                                                **content)
        return msg.unsent

    async def stop(self, msg: StreamMessage) -> None:
        """Send the rest and close the stream."""
        assert msg.posted is not None
        for row in msg.rows.values():
            if row.state == "running":
                row.state = "called"
        chunks = self._chunks(msg)
        channel, ts = msg.posted.channel, msg.posted.ts
        while msg.unsent and (chunks or len(msg.md) - msg.sent > L.MAX_MARKDOWN_TEXT):
            await self.limiter.take("chat.appendStream")
            await self.client.chat_appendStream(channel=channel, ts=ts,
                                                markdown_text=self._delta(msg))
        await self.limiter.take("chat.stopStream")
        last: dict[str, Any] = {"chunks": chunks} if chunks else (
            {"markdown_text": self._delta(msg)} if msg.unsent else {})
        response: Any = await self.client.chat_stopStream(channel=channel, ts=ts, **last)
        self.egress.history.own(channel, msg.posted.thread, response.get("message"), ts=ts)

    async def abandon(self, msg: StreamMessage) -> None:
        """End the stream after a failed call (best effort), so the message can be edited."""
        if msg.posted is None:
            return
        with contextlib.suppress(Exception):
            await self.limiter.take("chat.stopStream")
            await self.client.chat_stopStream(channel=msg.posted.channel, ts=msg.posted.ts)


def _status(row: ToolRow) -> str:
    return {"done": "complete", "called": "complete", "error": "error"}.get(
        row.state, "in_progress")
