"""``RunSurface``: one conversation as an agent run sees it. It shows the run (streamed
text, replies, notices) through the conversation's adapter, records tool calls with the
platform's history, and keeps what the run leaves in the store (agent state, message-id
map, a pending interrupt). It also collects the run's trace for its run record, and tells
the adapter how the run ended (``PlatformAdapter.run_ended``)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

from botkit import keys
from botkit.adapter import PlatformAdapter, post_once
from botkit.history import AgentMessage
from botkit.inbox.closing import OPEN_STREAMS, StreamClosed
from botkit.run.fair import FAIR
from botkit.run.interrupts import PendingInterrupt
from botkit.run.result import RunResult
from botkit.run.tracking import summarize_tool_calls
from botkit.store.base import StateStore
from botkit.threads.errors import ThreadNotFound
from botkit.threads.service import Threads
from botkit.types import Conversation, MessageRef, StreamPart, ToolProgress
from botkit.ui.nodes import Context, Message, Section

__all__ = ["MAX_MESSAGE_IDS", "RunSurface", "notice"]

log = logging.getLogger("botkit")
MAX_MESSAGE_IDS = 1000


def notice(text: str) -> Message:
    """A short muted notice (errors, expirations)."""
    return Message(Context(text), status=True)


class RunSurface:
    __slots__ = ("adapter", "checkpoint", "conversation", "final_state", "interrupt", "threads",
                 "tool_calls")

    def __init__(self, adapter: PlatformAdapter, conversation: Conversation, *,
                 threads: Threads) -> None:
        self.adapter = adapter
        self.conversation = conversation
        self.threads = threads
        self.tool_calls: list[dict[str, Any]] = []
        """Summaries of the run's tool calls, for its run record."""
        self.checkpoint: Any = None
        """The agent state the run left (None when it did not change it)."""
        self.interrupt: PendingInterrupt | None = None
        """The interrupt the run ended waiting on (None: it did not)."""
        self.final_state: tuple[Any] | None = None
        """``(state,)``: the state the run ended with, not written yet: the checkpoint its
        run record leaves carries it (``keep_state``)."""

    @property
    def conversation_id(self) -> str:
        return self.conversation.id

    @property
    def store(self) -> StateStore:
        return self.threads.store

    # -- showing -----------------------------------------------------------------------
    async def show_stream(self, parts: AsyncIterator[StreamPart]) -> MessageRef | None:
        stream = OPEN_STREAMS.wrap(parts)  # a graceful drain may close it with a notice
        adapter = self.adapter  # as ``stream_to``, awaited here (no frame of its own)
        ref = await (adapter.stream(self.conversation, stream) if adapter.capabilities.streaming
                     else post_once(adapter, self.conversation, stream))
        await FAIR.turn()  # replies streamed together end together: spread what follows
        if stream.closed:
            raise StreamClosed(f"the reply stream in {self.conversation_id} was closed")
        return ref

    async def show_text(self, text: str) -> MessageRef:
        return await self.adapter.post(self.conversation, Message(Section(text)))

    async def show_progress(self, progress: ToolProgress) -> None:
        """A bot tool finished (the stream that announced it is closed); never raises."""
        try:
            await self.adapter.show_progress(self.conversation, progress)
        except Exception:
            log.exception("could not show tool progress in %s", self.conversation_id)

    async def show_error(self, text: str) -> None:
        try:
            await self.adapter.post(self.conversation, notice(f"⚠️ {text}"))
        except Exception:
            log.exception("could not show an agent error in %s", self.conversation_id)

    # -- keeping -----------------------------------------------------------------------
    async def record(self, messages: list[AgentMessage]) -> None:
        """Keep tool calls and results with the platform's history (where it can)."""
        self.tool_calls.extend(summarize_tool_calls(messages))
        if not messages or not self.adapter.capabilities.agent_records:
            return
        try:
            await self.adapter.record_agent_messages(self.conversation, messages)
        except Exception:
            log.exception("could not record tool calls in %s", self.conversation_id)

    def keep_state(self, state: Any) -> None:
        """The state of a run that ends now: run tracking writes it with the run's end
        (one checkpoint for the run instead of one now and one then)."""
        self.checkpoint = state
        self.final_state = (state,)

    async def save_state(self, state: Any) -> None:
        self.checkpoint = state
        try:
            await self.threads.write_state(self.conversation_id, state)
        except ThreadNotFound:  # deleted during the run: its state stays gone
            log.info("thread %s was deleted during its run: state not kept",
                     self.conversation_id)

    async def message_ids(self) -> dict[str, str]:
        ids = await self.store.get(keys.message_ids(self.conversation_id))
        return dict(ids) if isinstance(ids, dict) else {}

    async def remember_message_ids(self, ids: dict[str, str]) -> None:
        known = {**await self.message_ids(), **ids}
        newest = dict(list(known.items())[-MAX_MESSAGE_IDS:])
        await self.store.set(keys.message_ids(self.conversation_id), newest)

    async def save_interrupt(self, pending: PendingInterrupt) -> None:
        self.interrupt = pending
        await pending.save(self.store, self.conversation_id)

    # -- the end -----------------------------------------------------------------------
    async def ended(self, result: RunResult) -> RunResult:
        """``result`` with the interrupts it waits on, handed to the adapter's
        ``run_ended`` (its failure is logged: the run's outcome stands)."""
        pending = self.interrupt if result.status == "interrupted" else None
        if pending is not None:
            result = dataclasses.replace(result, interrupts=_interrupts(pending, result.run_id))
        try:
            await self.adapter.run_ended(self.conversation, result)
        except Exception:
            log.exception("the %s adapter failed on the end of a run in %s",
                          self.adapter.platform, self.conversation_id)
        return result


def _interrupts(pending: PendingInterrupt, run_id: str | None
                ) -> tuple[dict[str, Any], ...]:
    if pending.channel == "outcome":
        return pending.interrupts
    # the legacy CUSTOM convention has no ids: one interrupt, named for the run
    return ({"id": f"{run_id or 'run'}:interrupt", "reason": pending.event_name,
             "metadata": {"payload": pending.payload}},)
