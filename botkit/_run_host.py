"""The run loop's view of a conversation: how a ``Thread`` shows and stores a run."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from botkit import keys
from botkit._tool_calls import ToolCall
from botkit.adapter import StreamPart
from botkit.context import InterruptContext
from botkit.history import AgentMessage
from botkit.threads.tracking import summarize_tool_calls
from botkit.tools import ToolContext
from botkit.types import MessageRef

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.thread import Thread

log = logging.getLogger("botkit")

INTERRUPT_TTL = 7 * 24 * 3600.0
MAX_MESSAGE_IDS = 1000


class ThreadRunHost:
    def __init__(self, thread: Thread, bot: Bot, *,
                 replays: Mapping[str, Sequence[Any]] | None = None) -> None:
        self.thread = thread
        self.bot = bot
        self.thread_id = thread.id
        self.replays = {k: list(v) for k, v in (replays or {}).items()}
        """Recorded ``await_choice`` answers per tool call id (replaying after a restart)."""
        self.tool_calls: list[dict[str, Any]] = []  # for the run's record (bot.threads)
        self.checkpoint: Any = None

    async def show_stream(self, parts: AsyncIterator[StreamPart]) -> MessageRef | None:
        return await self.thread._adapter.stream(self.thread.conversation, parts)

    async def show_text(self, text: str) -> MessageRef:
        return await self.thread._show_text(text)

    async def show_error(self, text: str) -> None:
        try:
            await self.thread.show_notice(f"⚠️ {text}")
        except Exception:
            log.exception("could not show an agent error in %s", self.thread_id)

    async def record(self, messages: list[AgentMessage]) -> None:
        self.tool_calls.extend(summarize_tool_calls(messages))
        if not messages or not self.thread.capabilities.agent_records:
            return
        try:
            await self.thread._adapter.record_agent_messages(self.thread.conversation, messages)
        except Exception:
            log.exception("could not record tool calls in %s", self.thread_id)

    async def save_state(self, state: Any) -> None:
        self.checkpoint = state
        await self.bot.threads.write_state(self.thread_id, state)  # the run made the record

    async def message_ids(self) -> dict[str, str]:
        ids = await self.bot.store.get(keys.message_ids(self.thread_id))
        return dict(ids) if isinstance(ids, dict) else {}

    async def remember_message_ids(self, ids: dict[str, str]) -> None:
        known = {**await self.message_ids(), **ids}
        newest = dict(list(known.items())[-MAX_MESSAGE_IDS:])
        await self.bot.store.set(keys.message_ids(self.thread_id), newest)

    def tool_context(self, tool_call_id: str, call: ToolCall | None = None) -> ToolContext:
        thread = self.thread
        if call is not None:  # the tool's thread knows its call, for await_choice
            call.replay = self.replays.pop(call.id, [])
            thread = thread._for_tool_call(call)
        return ToolContext(thread=thread, message=thread.message, user=thread.user,
                           platform=thread.platform, tool_call_id=tool_call_id)

    async def interrupted(self, pending: dict[str, Any]) -> None:
        await self.bot.store.set(keys.pending_interrupt(self.thread_id), pending, ttl=INTERRUPT_TTL)
        name = pending["event_name"]
        ctx = InterruptContext(thread=self.thread, user=self.thread.user,
                               platform=self.thread.platform, bot=self.bot, event_name=name,
                               payload=pending["payload"],
                               interrupts=tuple(pending["interrupts"]),
                               message=self.thread.message)
        handled = await self.bot.handle_interrupt(ctx)
        if not handled:
            log.warning("the agent interrupted (%r) but no on_interrupt handler matches", name)
            await self.show_error(
                f"The agent is waiting for input ({name}), but this bot has no handler for it.")
