"""Streaming a reply: Slack's native streams, or a message edited in place as text arrives.

A reply is shown ``first_post_delay`` seconds after it starts; one that is complete by then
is simply posted (one call). Native (``chat.startStream`` / ``appendStream`` /
``stopStream``, written by a ``NativeWriter``): when a native call fails (an expired stream,
a missing scope, an HTTP 500 …) the stream is closed and the reply carries on as edits: the
streamed message is rewritten with the full text by ``chat.update``.

Edits: the message is edited at most every ``interval`` seconds. Showing a reply early
commits to a final ``chat.update``, so it is paid for up front from the app-wide budget;
with no budget to spare (a burst of replies) the reply is posted once it is complete.
Intermediate edits only spend from the spare half of the budget and are folded into later
ones otherwise. Open Markdown is closed in intermediate renders. A reply longer than
``split_at`` characters continues in a new message. Parts arriving while a message is being
sent wait for the next flush, so nothing lands in a message already finished.

This module drives a reply (parts in, the flusher, failures); how its current message goes
out to Slack is ``streaming.sending.MessageSends``."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable

from slack_sdk.errors import SlackApiError

from botkit.adapter import StreamPart, ToolProgress
from botkit.types import Conversation, MessageRef
from botkit_slack.client import slack_error
from botkit_slack.egress import Egress, Posted, ToolRow, stream_content
from botkit_slack.render.split import split_head
from botkit_slack.render.text import replace_lone_surrogates
from botkit_slack.streaming.native import (
    NativeWriter,
    StreamMessage,
    StreamSettings,
    split_native,
)
from botkit_slack.streaming.sending import MessageSends

__all__ = ["ReplyStream"]

log = logging.getLogger("botkit.slack")


class ReplyStream(MessageSends):
    """One reply, shown as it arrives: native streams through a ``NativeWriter``, else
    messages posted and edited through ``Egress``."""

    def __init__(self, egress: Egress, conversation: Conversation, settings: StreamSettings):
        self.egress = egress
        self.limiter = egress.limiter
        self.writer = NativeWriter(egress, conversation, settings)
        self.conversation = conversation
        self.s = settings
        self.native = settings.native and bool(conversation.thread) and (
            conversation.is_direct or bool(settings.recipient_user_id))
        self.done: list[Posted] = []
        self.msg = StreamMessage()
        self._lock = asyncio.Lock()
        # what the flusher waits on: plain flags and one future while it waits (two
        # ``asyncio.Event``s and a ``wait_for`` task cost ~3 KB per reply in flight)
        self._dirty = False  # parts (or a retry) wait for the next flush
        self._closing = False  # the reply is complete: the final flush follows
        self._wake: asyncio.Future[None] | None = None
        self._wake_on_part = False  # the flusher waits for parts, not out its interval
        self._last_flush = time.monotonic() + settings.first_post_delay - settings.interval
        self.failed: Exception | None = None
        self.streamed = False  # a segment of this reply went out as a native stream
        self._pending: list[StreamPart] = []
        self._recorded = False  # reported to ``on_open``
        self._flushing: asyncio.Task[None] | None = None  # the flusher, once started

    # -- driving -----------------------------------------------------------------------
    async def run(self, parts: AsyncIterable[StreamPart]) -> MessageRef | None:
        """Show ``parts``; Slack failures are logged, the rest of the reply is drained and a
        short notice posted, so the run behind it still completes. The reply's last message
        (None: nothing was posted, and the "thinking" status is cleared)."""
        # The flusher starts once the loop turns: a reply complete before that (an agent
        # that does not pause) is posted by the final flush alone, without a task.
        start = asyncio.get_running_loop().call_soon(self._start_flusher)
        try:
            async for part in parts:
                if self.failed is not None:
                    continue
                self._add(part)
                self._mark_dirty()
        finally:
            start.cancel()
            self._closing = True
            self._mark_dirty(wake=True)
            if self._flushing is not None:
                await self._flushing
                self._flushing = None
        if self.failed is None:
            await self._guarded(final=True)
        if self.failed is not None:
            await self._notice_failure()
        await self._ended()  # not when the run was cut: a live process closes those
        if not self.done:
            if self.s.set_status is not None:  # the "thinking" status goes with no reply
                if self.s.status is not None:  # after it was set (it is best effort)
                    await asyncio.wait({self.s.status}, timeout=2.0)
                await self.s.set_status(self.conversation, "")
            return None
        posted = self.done[-1]
        return MessageRef(id=posted.ts, channel=posted.channel)

    def _start_flusher(self) -> None:
        self._flushing = asyncio.create_task(self._flusher())

    async def _opening(self, ts: str | None) -> None:
        """Report the open message (None: before the call opening it)."""
        if self.s.on_open is None:
            return
        self._recorded = True
        try:
            await self.s.on_open(ts)
        except Exception:
            log.warning("could not record an open reply", exc_info=True)

    async def _ended(self) -> None:
        if not self._recorded or self.s.on_end is None:
            return
        self._recorded = False
        try:
            await self.s.on_end()
        except Exception:
            log.warning("could not forget an ended reply", exc_info=True)

    async def _guarded(self, *, final: bool) -> None:
        """Flush; an intermediate failure waits for the next flush, a final one is tried
        once more when nothing of the message was shown, then given up."""
        async with self._lock:
            for attempt in (1, 2):
                if self.failed is not None:
                    return
                try:
                    await self._flush(final=final)
                    return
                except Exception as exc:
                    error = slack_error(exc)
                    if not final:
                        log.warning("a stream update in %s failed (%s); the next one retries",
                                    self.conversation.id, error)
                        return
                    if attempt == 1 and self.msg.posted is None:
                        log.warning("posting a reply into %s failed (%s); trying once more",
                                    self.conversation.id, error)
                        continue
                    log.warning("streaming a reply into %s failed (%s)", self.conversation.id,
                                error, exc_info=not isinstance(exc, SlackApiError))
                    self.failed = exc

    async def _notice_failure(self) -> None:
        assert self.failed is not None
        reason = slack_error(self.failed)
        try:
            posted = Posted(self.conversation.channel, self.conversation.thread, "",
                            stream_content(f"⚠️ I couldn't show the rest of this reply "
                                           f"(Slack: {reason}).", {}, final=True), status=True)
            posted.ts = await self.egress.post_content(self.conversation, posted.content or {},
                                                       posted.metadata())
            self.done.append(self.egress.track(posted))
        except Exception:
            log.exception("could not tell %s that a reply failed", self.conversation.id)

    def _add(self, part: StreamPart) -> None:
        """Queue a part; flushes take them in, so text never lands in a message being sent."""
        if isinstance(part, ToolProgress) and not self.s.tool_status:
            return
        self._pending.append(part)

    def _absorb(self) -> None:
        parts, self._pending = self._pending, []
        for part in parts:
            if isinstance(part, ToolProgress):
                row = self.msg.rows.get(part.tool_call_id) or ToolRow(part.name)
                if part.done:
                    row.state, row.error = ("error", part.error) if part.error else ("done", None)
                self.msg.rows[part.tool_call_id] = row
            else:
                self.msg.md += replace_lone_surrogates(part)

    def _mark_dirty(self, *, wake: bool = False) -> None:
        """Something to flush: wake the flusher if it waits for parts (or ``wake``)."""
        self._dirty = True
        if self._wake is not None and (wake or self._wake_on_part) and not self._wake.done():
            self._wake.set_result(None)

    async def _flusher(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._closing:
            delay: float | None = None  # until a part comes (or the reply ends)
            if self._dirty:
                delay = self._last_flush + self.s.interval - time.monotonic()
                if delay <= 0:
                    self._dirty = False
                    await self._guarded(final=False)
                    continue
            # waited here (not in a helper coroutine): a plain future, and a timer for an
            # interval, which only the reply's end cuts short
            wake = self._wake = loop.create_future()
            self._wake_on_part = delay is None
            timer = None if delay is None else loop.call_later(delay, _resolve, wake)
            try:
                await wake
            finally:
                self._wake = None
                if timer is not None:
                    timer.cancel()

    # -- flushing ----------------------------------------------------------------------
    async def _flush(self, *, final: bool) -> None:
        self._last_flush = time.monotonic()
        self._absorb()
        while True:
            # a new segment is native when it can still stream, or when it continues a
            # natively streamed reply (posted as Markdown, as Slack renders streams)
            native = self.msg.native or (self.msg.posted is None and self.native and (
                not final or self.streamed))
            limit = self.s.native_split_at if native else self.s.split_at
            if len(self.msg.md) > limit:
                head, tail = split_native(self.msg, limit) if native else split_head(
                    self.msg.md, limit)
                self.msg.md = head
                if not await self._send(final=True):
                    self.msg.md = head + tail  # fell back to edits: cut again, shorter
                    continue
                self._finish_msg()
                self.msg = StreamMessage(md=tail)
                continue
            if (final or self.msg.md.strip() or self.msg.rows) and \
                    not await self._send(final=final):
                continue
            break
        if final:
            self._finish_msg()


def _resolve(wake: asyncio.Future[None]) -> None:
    if not wake.done():
        wake.set_result(None)
