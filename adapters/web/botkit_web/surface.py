"""What a run shows, as AG-UI events: the adapter's egress turned into the run's feed.

While a run goes, ``CURRENT`` (a context variable) holds its ``RunSurface``; the adapter's
``stream``/``post``/``update``/``record_agent_messages`` calls made on behalf of that run
(the handler, the agent loop, bot tools, interrupt handlers) land here and become AG-UI
events: text deltas, tool calls with their arguments and results, and ``CUSTOM`` events
carrying botkit messages (with their buttons) as they are posted, edited and deleted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import ag_ui.core as agui

from botkit.adapter import ToolProgress
from botkit.run.result import RunResult
from botkit_web.messages import WebMessage
from botkit_web.runs import FeedItem, RunFeed

__all__ = ["CURRENT", "MESSAGE_DELETED", "MESSAGE_POSTED", "MESSAGE_UPDATED", "TAKEOVER_GAP",
           "RunSurface"]

MESSAGE_POSTED = "botkit.message"
MESSAGE_UPDATED = "botkit.message_updated"
MESSAGE_DELETED = "botkit.message_deleted"
TAKEOVER_GAP = 1000
"""How far past a stopped process's last stored event a run taken over numbers on (the
events it showed but could not store keep their numbers, never reused)."""


class RunSurface:
    def __init__(self, feed: RunFeed) -> None:
        self.feed = feed
        self.thread_id = feed.run.thread_id
        self.run_id = feed.run.run_id
        self.results: list[RunResult] = []
        """How the agent runs made for this web run ended (``WebAdapter.run_ended``)."""
        self._open_calls: set[str] = set()
        self._open_texts: set[str] = set()
        self._started = False

    async def start(self) -> None:
        """Announce the run (once)."""
        if not self._started:
            self._started = True
            await self.emit(agui.RunStartedEvent(thread_id=self.thread_id, run_id=self.run_id))

    async def emit(self, event: agui.BaseEvent, *, visible_to: str | None = None) -> None:
        await self.feed.publish(event, visible_to=visible_to)

    # -- text ------------------------------------------------------------------------
    async def text_start(self, message_id: str) -> None:
        self._open_texts.add(message_id)
        await self.emit(agui.TextMessageStartEvent(message_id=message_id, role="assistant"))

    async def text_delta(self, message_id: str, delta: str) -> None:
        if delta:
            await self.emit(agui.TextMessageContentEvent(message_id=message_id, delta=delta))

    async def text_end(self, message_id: str) -> None:
        if message_id in self._open_texts:
            self._open_texts.discard(message_id)
            await self.emit(agui.TextMessageEndEvent(message_id=message_id))

    # -- tools -----------------------------------------------------------------------
    async def tool_progress(self, progress: ToolProgress, parent: str | None) -> None:
        if not progress.done and progress.tool_call_id not in self._open_calls:
            self._open_calls.add(progress.tool_call_id)
            await self.emit(agui.ToolCallStartEvent(
                tool_call_id=progress.tool_call_id, tool_call_name=progress.name,
                parent_message_id=parent))

    async def recorded(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Tool calls (with their arguments) and results the run recorded."""
        for record in records:
            if record.get("role") == "assistant":
                for call in record.get("toolCalls") or ():
                    await self._whole_call(call, str(record.get("id") or ""))
            elif record.get("role") == "tool":
                content = record.get("content")
                await self.emit(agui.ToolCallResultEvent(
                    message_id=str(record.get("id") or f"result-{record['toolCallId']}"),
                    tool_call_id=str(record["toolCallId"]), role="tool",
                    content=content if isinstance(content, str) else json.dumps(content)))

    async def _whole_call(self, call: Mapping[str, Any], parent: str) -> None:
        call_id = str(call["id"])
        function = call.get("function") or {}
        if call_id not in self._open_calls:
            await self.emit(agui.ToolCallStartEvent(
                tool_call_id=call_id, tool_call_name=str(function.get("name") or ""),
                parent_message_id=parent or None))
        self._open_calls.discard(call_id)
        arguments = function.get("arguments")
        if arguments:
            await self.emit(agui.ToolCallArgsEvent(
                tool_call_id=call_id,
                delta=arguments if isinstance(arguments, str) else json.dumps(arguments)))
        await self.emit(agui.ToolCallEndEvent(tool_call_id=call_id))

    # -- botkit messages -------------------------------------------------------------
    async def message(self, name: str, message: WebMessage) -> None:
        """A posted, edited or deleted botkit message; a new one with text also shows as
        an AG-UI text message, so plain AG-UI clients display it."""
        await self.emit(agui.CustomEvent(name=name, value=message.to_json()),
                        visible_to=message.visible_to)
        if name == MESSAGE_POSTED and message.text.strip() and message.visible_to is None:
            await self.text_start(message.id)
            await self.text_delta(message.id, message.text)
            await self.text_end(message.id)

    async def carry_on(self, shown: list[FeedItem], notice: str) -> None:
        """Go on with a run another process started and stopped running: ``shown`` is
        what it showed (from the run's stream); a reply it was writing is cut off with
        ``notice`` and ended, and so are the tool calls it had started."""
        self.feed.carry(shown, gap=TAKEOVER_GAP if shown else 0)
        texts: set[str] = set()
        for item in shown:
            event = item.event
            if isinstance(event, agui.RunStartedEvent):
                self._started = True
            elif isinstance(event, agui.TextMessageStartEvent):
                texts.add(event.message_id)
            elif isinstance(event, agui.TextMessageEndEvent):
                texts.discard(event.message_id)
            elif isinstance(event, agui.ToolCallStartEvent):
                self._open_calls.add(event.tool_call_id)
            elif isinstance(event, agui.ToolCallEndEvent):
                self._open_calls.discard(event.tool_call_id)
        for message_id in sorted(texts):
            await self.emit(agui.TextMessageContentEvent(message_id=message_id,
                                                         delta=f" … ({notice})"))
            await self.emit(agui.TextMessageEndEvent(message_id=message_id))
        for call_id in sorted(self._open_calls):
            await self.emit(agui.ToolCallEndEvent(tool_call_id=call_id))
        self._open_calls.clear()

    async def close_open(self) -> None:
        """End what was started and never finished (calls cut short by an interrupt)."""
        for message_id in sorted(self._open_texts):
            await self.text_end(message_id)
        for call_id in sorted(self._open_calls):
            await self.emit(agui.ToolCallEndEvent(tool_call_id=call_id))
        self._open_calls.clear()


CURRENT: ContextVar[RunSurface | None] = ContextVar("botkit_web_run", default=None)
