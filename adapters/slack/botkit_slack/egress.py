"""Posting, editing and deleting messages, ephemeral notes, and the metadata the bot writes.

Every message the bot posts keeps a small record (``Posted``): its content, tool-status rows
and metadata. ``record`` attaches the agent's tool calls and results to the message showing
those tools (or the conversation's latest bot message, or a new muted status line), so the
next turn's history, read back from Slack, includes them.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.nodes import Context, Markdown, Message, Section
from botkit.ui.text import render_plain
from botkit_slack import limits as L
from botkit_slack import metadata as meta
from botkit_slack.client import RateLimiter, slack_error
from botkit_slack.history import HistoryCache
from botkit_slack.render.blocks import render_block_list, render_blocks
from botkit_slack.render.mrkdwn import close_open_markdown, markdown_to_mrkdwn
from botkit_slack.render.overflow import message_parts
from botkit_slack.render.split import split_text
from botkit_slack.render.text import escape, replace_lone_surrogates

__all__ = ["Egress", "Posted", "ToolRow", "message_content", "stream_content"]

log = logging.getLogger("botkit.slack")
SECTION_SPLIT = 2900


@dataclass
class ToolRow:
    name: str
    state: str = "running"  # running | called | done | error
    error: str | None = None

    def title(self) -> str:
        if self.state == "done":
            return f"Used `{self.name}`"
        if self.state == "called":
            return f"Called `{self.name}`"
        if self.state == "error":
            return f"`{self.name}` failed" + (f": {self.error[:200]}" if self.error else "")
        return f"Using `{self.name}`"

    def line(self) -> str:
        icon = {"done": "✅", "error": "⚠️"}.get(self.state, "🔧")
        return f"{icon} {self.title()}" + ("…" if self.state == "running" else "")


@dataclass
class Posted:
    """A message the bot posted, as far as the bot needs to edit it again."""

    channel: str
    thread: str | None
    ts: str
    content: dict[str, Any] | None  # text/blocks/attachments to resend; None: native stream
    md: str | None = None  # the markdown of a streamed reply segment
    native: bool = False  # written by chat.startStream / appendStream / stopStream
    rows: dict[str, ToolRow] = field(default_factory=dict)
    records: list[dict[str, Any]] = field(default_factory=list)
    status: bool = False

    def metadata(self) -> dict[str, Any] | None:
        """The message's metadata: its tool records and status flag (the one place that
        builds it)."""
        return meta.encode(self.records, status=self.status)


def stream_content(md: str, rows: Mapping[str, ToolRow], *, final: bool) -> dict[str, Any]:
    """Block Kit for a streamed reply segment; open Markdown is closed until ``final``."""
    shown = md if final else close_open_markdown(md)
    nodes: list[Section | Context] = [Section(c) for c in split_text(shown, limit=SECTION_SPLIT)
                                      if c.strip()] if shown.strip() else []
    if rows:
        nodes.append(Context(*(r.line() for r in rows.values())))
    blocks = render_block_list(Message(*nodes))
    text = markdown_to_mrkdwn(shown).strip() or " · ".join(r.line() for r in rows.values())
    return {"text": text[: L.MAX_MESSAGE_TEXT] or "…", "blocks": blocks}


def message_content(message: Message, *, data_tables: bool = False) -> dict[str, Any]:
    """Blocks within Slack's limits plus a full plain-text fallback (what history reads)."""
    content = render_blocks(message, data_tables=data_tables).kwargs()
    plain = escape(render_plain(message)).strip()
    if len(plain) > L.RECOMMENDED_MESSAGE_TEXT:
        plain = plain[: L.RECOMMENDED_MESSAGE_TEXT - 1].rstrip() + "…"
    content["text"] = plain or content["text"]
    return content


def _text_only(message: Message) -> str | None:
    if message.accent or not message.blocks:
        return None
    if all(isinstance(b, Section | Markdown) for b in message.blocks):
        return "\n\n".join(b.text for b in message.blocks)  # type: ignore[union-attr]
    return None


class Egress:
    def __init__(self, client: AsyncWebClient, limiter: RateLimiter, history: HistoryCache,
                 *, on_post: Callable[[str, str | None], None] | None = None,
                 max_tracked: int = 2000) -> None:
        self.client = client
        self.limiter = limiter
        self.history = history
        self.on_post = on_post
        self.max_tracked = max_tracked
        self._by_ts: OrderedDict[str, Posted] = OrderedDict()
        self._last: OrderedDict[tuple[str, str | None], Posted] = OrderedDict()
        self._tool_owner: OrderedDict[str, Posted] = OrderedDict()
        self.data_tables = True
        """Tables fitting Slack's ``data_table`` block become one, until Slack refuses one
        (``invalid_blocks``: a workspace without it); then the ``table`` block or text."""

    def content(self, message: Message) -> dict[str, Any]:
        return message_content(message, data_tables=self.data_tables)

    def _tables_refused(self, exc: Exception, content: dict[str, Any] | None) -> bool:
        """Whether ``exc`` is Slack refusing a ``data_table`` we sent (then never again)."""
        if not self.data_tables or slack_error(exc) != "invalid_blocks" or \
                '"data_table"' not in json.dumps(content or {}):
            return False
        self.data_tables = False
        log.warning("Slack refused a data_table block (invalid_blocks): tables are shown as "
                    "table blocks or text from now on")
        return True

    # -- bookkeeping -------------------------------------------------------------------
    def track(self, posted: Posted) -> Posted:
        for table, key in ((self._by_ts, posted.ts), (self._last, (posted.channel, posted.thread))):
            table[key] = posted  # type: ignore[index]
            table.move_to_end(key)  # type: ignore[arg-type]
            while len(table) > self.max_tracked:
                table.popitem(last=False)
        for call_id in posted.rows:
            self._tool_owner[call_id] = posted
        while len(self._tool_owner) > self.max_tracked:
            self._tool_owner.popitem(last=False)
        if self.on_post is not None:
            self.on_post(posted.channel, posted.thread)
        return posted

    def posted(self, ts: str) -> Posted | None:
        return self._by_ts.get(ts)

    # -- messages ----------------------------------------------------------------------
    async def post_content(self, conversation: Conversation, content: dict[str, Any],
                           metadata: dict[str, Any] | None = None) -> str:
        channel = conversation.channel
        await self.limiter.take("chat.postMessage", channel)
        await self.limiter.take("chat.postMessage:workspace")
        extra: dict[str, Any] = {"metadata": metadata} if metadata else {}
        response: Any = await self.client.chat_postMessage(
            channel=channel, thread_ts=conversation.thread, unfurl_links=False,
            unfurl_media=False, **_clean(content), **extra)
        ts = str(response["ts"])
        self.history.own(channel, conversation.thread, response.get("message"), ts=ts,
                         metadata=metadata)
        return ts

    async def update_content(self, channel: str, ts: str, content: dict[str, Any] | None,
                             metadata: dict[str, Any] | None = None, *,
                             thread: str | None = None, paced: bool = True) -> None:
        if paced:
            await self.limiter.take("chat.update")
        extra: dict[str, Any] = {"metadata": metadata} if metadata is not None else {}
        response: Any = await self.client.chat_update(channel=channel, ts=ts,
                                                      **_clean(content or {}), **extra)
        self.history.own(channel, thread, response.get("message"), ts=ts, metadata=metadata)

    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        text = _text_only(message)
        if text is not None and len(text) > SECTION_SPLIT:
            ts = ""
            for chunk in split_text(text, limit=L.MAX_SECTION_TEXT - 100):
                part = Message(Section(chunk), status=message.status)
                ts = await self._post_one(conversation, part)
            return MessageRef(id=ts, channel=conversation.channel)
        ts = ""
        for part in message_parts(message):  # more than one when too big for one message
            ts = await self._post_one(conversation, part)
        return MessageRef(id=ts, channel=conversation.channel)

    async def _post_one(self, conversation: Conversation, message: Message) -> str:
        posted = Posted(conversation.channel, conversation.thread, "", self.content(message),
                        status=message.status)
        try:
            posted.ts = await self.post_content(conversation, posted.content or {},
                                                posted.metadata())
        except Exception as exc:
            if not self._tables_refused(exc, posted.content):
                raise
            posted.content = self.content(message)
            posted.ts = await self.post_content(conversation, posted.content or {},
                                                posted.metadata())
        self.track(posted)
        return posted.ts

    async def update(self, conversation: Conversation, ref: MessageRef, message: Message
                     ) -> MessageRef:
        channel = ref.channel or conversation.channel
        posted = self._by_ts.get(ref.id) or Posted(channel, conversation.thread, ref.id, None)
        posted.content, posted.md = self.content(message), None
        metadata = None
        if message.status != posted.status:
            posted.status = message.status
            metadata = posted.metadata() or {}
        try:
            await self.update_content(channel, ref.id, posted.content, metadata,
                                      thread=conversation.thread)
        except Exception as exc:
            if not self._tables_refused(exc, posted.content):
                raise
            posted.content = self.content(message)
            await self.update_content(channel, ref.id, posted.content, metadata,
                                      thread=conversation.thread)
        self.track(posted)
        return MessageRef(id=ref.id, channel=channel)

    async def delete(self, conversation: Conversation, ref: MessageRef) -> None:
        channel = ref.channel or conversation.channel
        await self.client.chat_delete(channel=channel, ts=ref.id)
        self._by_ts.pop(ref.id, None)
        self.history.invalidate(channel, conversation.thread, ref.id)

    async def ephemeral(self, conversation: Conversation, user: PlatformUser, message: Message
                        ) -> MessageRef | None:
        content = message_content(message)  # no data tables: best effort, never retried
        try:
            response: Any = await self.client.chat_postEphemeral(
                channel=conversation.channel, user=user.id, thread_ts=conversation.thread,
                **_clean(content))
        except Exception as exc:  # best effort, like every gated method: never raises
            log.info("ephemeral message to %s failed: %s", user.id, slack_error(exc))
            return None
        return MessageRef(id=str(response.get("message_ts", "")), channel=conversation.channel)

    # -- tool calls and results in metadata ---------------------------------------------
    async def record(self, conversation: Conversation,
                     records: Sequence[Mapping[str, Any]]) -> None:
        new = [dict(r) for r in records]
        results = {str(r.get("toolCallId")): r for r in new if r.get("role") == "tool"}
        calls = [str(c.get("id")) for r in new for c in r.get("toolCalls") or ()]
        carrier = next((self._tool_owner[c] for c in calls if c in self._tool_owner), None)
        carrier = carrier or self._last.get((conversation.channel, conversation.thread))
        if carrier is not None:
            before = carrier.records
            merged = meta.fit_records([*before, *new])
            if merged is not None:
                carrier.records = merged
                for call_id, row in carrier.rows.items():
                    if call_id in results:
                        error = results[call_id].get("error")
                        row.state, row.error = ("error", str(error)) if error else ("done", None)
                if carrier.native:
                    lines = "\n".join(r.line() for r in carrier.rows.values())
                    carrier.content = {"markdown_text": (carrier.md or "").strip() or lines or "…"}
                elif carrier.md is not None:
                    carrier.content = stream_content(carrier.md, carrier.rows, final=True)
                try:
                    await self.update_content(carrier.channel, carrier.ts, carrier.content,
                                              carrier.metadata(), thread=carrier.thread)
                    return
                except Exception as exc:
                    log.info("could not attach tool records to %s: %s", carrier.ts,
                             slack_error(exc))
                    carrier.records = before
        await self._status_record(conversation, new)

    async def _status_record(self, conversation: Conversation,
                             records: list[dict[str, Any]]) -> None:
        """Post the records on a muted status line (split when they do not fit one)."""
        names = [str((c.get("function") or {}).get("name", "tool"))
                 for r in records for c in r.get("toolCalls") or ()]
        line = "🔧 " + (", ".join(f"`{n}`" for n in names) if names else "tool results")
        batch: list[dict[str, Any]] = []
        for record in [*records, None]:
            fitted = meta.fit_records([*batch, record]) if record is not None else None
            if record is not None and fitted is not None:
                batch = fitted
                continue
            if batch:
                posted = Posted(conversation.channel, conversation.thread, "",
                                message_content(Message(Context(line))), records=batch,
                                status=True)
                posted.ts = await self.post_content(conversation, posted.content or {},
                                                    posted.metadata())
                self.track(posted)
            batch = meta.fit_records([record]) or [] if record is not None else []


def _clean(content: dict[str, Any]) -> dict[str, Any]:
    """``content`` with lone surrogates replaced in every text (they cannot be sent)."""

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return replace_lone_surrogates(value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return {k: walk(v) for k, v in content.items()}
