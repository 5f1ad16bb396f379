"""How a streamed reply's current message goes out (``MessageSends``, the part of
``ReplyStream`` that talks to Slack): posted, streamed natively, or edited in place, with the
``chat.update`` budget paid up front for a message shown early, and the status flag of a
message kept right (a message with only tool rows is a status line)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from botkit.types import Conversation
from botkit_slack.client import RateLimiter, slack_error
from botkit_slack.egress import Egress, Posted, stream_content
from botkit_slack.streaming.native import NativeWriter, StreamMessage, StreamSettings

__all__ = ["MessageSends"]

log = logging.getLogger("botkit.slack")


class MessageSends:
    """Sending the current message of a reply; ``ReplyStream`` drives it."""

    egress: Egress
    limiter: RateLimiter
    writer: NativeWriter
    conversation: Conversation
    s: StreamSettings
    native: bool
    streamed: bool
    done: list[Posted]
    msg: StreamMessage

    async def _opening(self, ts: str | None) -> None:
        raise NotImplementedError

    def _mark_dirty(self, *, wake: bool = False) -> None:
        raise NotImplementedError

    def _finish_msg(self) -> None:
        if self.msg.posted is not None:
            self.msg.posted.md = self.msg.md
            self.msg.posted.native = self.msg.native
            self.msg.posted.rows = self.msg.rows
            self.msg.posted.status = not self.msg.md.strip()
            self.done.append(self.egress.track(self.msg.posted))

    async def _send(self, *, final: bool) -> bool:
        """Show the current message; False when a native stream failed and the message is
        now too long to edit (the caller cuts it first)."""
        msg = self.msg
        if msg.posted is None:
            if not msg.md.strip() and not msg.rows:
                return True
            if self.s.status is not None and not self.done:  # the "thinking" status first
                await asyncio.wait({self.s.status}, timeout=2.0)
            started = False
            if self.native and not final:
                await self._opening(None)  # recorded first: a crash during the call is covered
                started = await self.writer.start(msg)
            if started:
                self.streamed = True
                await self._opening(msg.posted.ts if msg.posted else None)
                if msg.unsent:
                    self._mark_dirty()  # the text goes with the next call
                return True
            if self.native and final and self.streamed and not msg.rows:
                await self._post_markdown()
                return True
            if not final:
                # Showing it now commits to a final edit: pay for it up front, or, with no
                # edits to spare, post the reply once it is complete.
                if not self.limiter.try_take("chat.update", optional=True):
                    self._mark_dirty()
                    return True
                msg.prepaid = True
                await self._opening(None)
            await self._post(final)
            if not final and msg.posted is not None:
                await self._opening(msg.posted.ts)
            return True
        if msg.native:
            try:
                if final:
                    await self.writer.stop(msg)
                elif await self.writer.append(msg):
                    self._mark_dirty()  # more to send: the next flush takes it
                return True
            except Exception as exc:
                await self._native_failed(exc)
                if len(msg.md) > self.s.split_at:
                    return False
        await self._edit(final)
        return True

    async def _native_failed(self, exc: Exception) -> None:
        """A native call failed: close the stream, then carry on by editing the message."""
        msg = self.msg
        assert msg.posted is not None
        error = slack_error(exc)
        log.info("native stream %s failed (%s); continuing with edits", msg.posted.ts, error)
        if self.s.on_native_error is not None:
            self.s.on_native_error(error, self.conversation)
        await self.writer.abandon(msg)
        self.native, msg.native, msg.rendered = False, False, None
        msg.posted.content = {}

    def _status_change(self, posted: Posted) -> dict[str, Any] | None:
        """Metadata flipping the message's status flag (a message with only tool rows is a
        status line; one with text is a reply), or None when it is right already."""
        status = not self.msg.md.strip()
        if status == self.msg.status:
            return None
        self.msg.status = posted.status = status
        return posted.metadata() or {}

    async def _post(self, final: bool) -> None:
        content = stream_content(self.msg.md, self.msg.rows, final=final)
        posted = Posted(self.conversation.channel, self.conversation.thread, "", content)
        posted.ts = await self.egress.post_content(self.conversation, content,
                                                   self._status_change(posted))
        self.msg.posted, self.msg.rendered = posted, content
        self.egress.track(posted)

    async def _post_markdown(self) -> None:
        """Post a continuation of a natively streamed reply as Markdown, in one call."""
        msg = self.msg
        content = {"markdown_text": msg.md}
        posted = Posted(self.conversation.channel, self.conversation.thread, "", content,
                        native=True)
        posted.ts = await self.egress.post_content(self.conversation, content,
                                                   self._status_change(posted))
        msg.posted, msg.rendered, msg.native, msg.sent = posted, content, True, len(msg.md)
        self.egress.track(posted)

    async def _edit(self, final: bool) -> None:
        msg = self.msg
        assert msg.posted is not None
        content = stream_content(msg.md, msg.rows, final=final)
        status_differs = (not msg.md.strip()) != msg.status
        if content == msg.rendered and not (final and status_differs):
            return
        if not final and not self.limiter.try_take("chat.update", optional=True):
            self._mark_dirty()  # no budget now: fold this edit into a later one
            return
        metadata = self._status_change(msg.posted) if final else None
        paced = final and not msg.prepaid
        msg.prepaid = msg.prepaid and not final
        await self.egress.update_content(msg.posted.channel, msg.posted.ts, content, metadata,
                                         thread=msg.posted.thread, paced=paced)
        msg.rendered = msg.posted.content = content
