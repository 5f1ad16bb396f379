"""Turns one run's AG-UI events into chat output and the conversation's next state.

``RunAssembler.feed(event)`` returns what to show right now (text deltas, tool progress)
and accumulates what the run loop needs afterwards: the updated message list (assistant
text and tool calls, tool results, snapshots reconciled by id), the agent state (snapshots
and JSON-Patch deltas), interrupts from either channel, and any error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

import ag_ui.core as agui
from pydantic import BaseModel

from botkit.history import AgentMessage, new_message_id
from botkit.store.base import json_copy
from botkit.types import StreamPart, ToolProgress

__all__ = ["LegacyInterrupt", "RunAssembler"]

log = logging.getLogger("botkit.agents")
_KEEP_ON_SNAPSHOT = {"activity", "reasoning"}
_CHUNKS_KEPT = 16
"""Streamed deltas kept apart before the latest are joined (see ``_grow``)."""


class LegacyInterrupt:
    """A ``CUSTOM`` interrupt event (the LangGraph convention)."""

    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self.value = value


class RunAssembler:
    def __init__(
        self, messages: Iterable[AgentMessage], state: Any, interrupt_names: frozenset[str]
    ) -> None:
        self._messages: list[AgentMessage] = [json_copy(m) for m in messages]
        self._growing: dict[str, tuple[AgentMessage, list[str]]] = {}
        """Streamed text not yet joined into its message's ``content`` (a delta costs an
        append, not a copy of all the text before it)."""
        self._initial_ids = {m["id"] for m in self._messages}
        self._earlier_ids: set[str] = set()
        self.state = json_copy(state)
        self.interrupt_names = interrupt_names
        self.interrupts: list[agui.Interrupt] = []
        self.legacy_interrupt: LegacyInterrupt | None = None
        self.error: str | None = None
        self.finished = False
        self.snapshot_seen = False
        """A MESSAGES_SNAPSHOT arrived: the agent holds the history and its ids matter."""
        self.streamed_text_ids: set[str] = set()
        self.run_tool_call_ids: list[str] = []
        self._calls: dict[str, dict[str, Any]] = {}
        self._text_id: str | None = None
        self._call_id: str | None = None
        self._last_assistant: str | None = None

    @property
    def messages(self) -> list[AgentMessage]:
        """The run's messages so far (streamed text joined in)."""
        for message, chunks in self._growing.values():
            message["content"] = "".join(chunks)
        self._growing.clear()
        return self._messages

    @messages.setter
    def messages(self, value: list[AgentMessage]) -> None:
        self._growing.clear()
        self._messages = value

    # -- lookups ---------------------------------------------------------------------
    def _find(self, message_id: str) -> AgentMessage | None:
        for m in reversed(self._messages):
            if m["id"] == message_id:
                return m
        return None

    def _assistant(self, message_id: str | None) -> AgentMessage:
        if message_id is None:
            message_id = self._last_assistant or new_message_id()
        found = self._find(message_id)
        if found is None:
            found = {"id": message_id, "role": "assistant"}
            self._messages.append(found)
        self._last_assistant = message_id
        return found

    # -- text ------------------------------------------------------------------------
    def _text(self, message_id: str, delta: str) -> list[StreamPart]:
        message = self._assistant(message_id)
        growing = self._growing.get(message_id)
        if growing is None or growing[0] is not message:
            if growing is not None:  # another message took this id: finish the first
                growing[0]["content"] = "".join(growing[1])
            growing = self._growing[message_id] = (message, [message.get("content") or ""])
        if delta:
            _grow(growing[1], delta)
            self.streamed_text_ids.add(message_id)
            return [delta]
        return []

    def text_delta(self, message_id: str, delta: str) -> bool:
        """``feed`` of a ``TEXT_MESSAGE_CONTENT`` event, the commonest by far, without the
        dispatch: whether ``delta`` is to be shown."""
        growing = self._growing.get(message_id)
        if growing is None or self._last_assistant != message_id:
            return bool(self._text(message_id, delta))
        if delta:  # the message streaming now, its id the latest: no lookup needed
            _grow(growing[1], delta)
            self.streamed_text_ids.add(message_id)
            return True
        return False

    # -- tool calls ------------------------------------------------------------------
    def _start_call(self, call_id: str, name: str, parent: str | None) -> list[StreamPart]:
        call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
        self._calls[call_id] = call
        self.run_tool_call_ids.append(call_id)
        owner = self._assistant(parent)
        owner.setdefault("toolCalls", []).append(call)
        return [ToolProgress(tool_call_id=call_id, name=name)]

    def _args(self, call_id: str, delta: str) -> None:
        call = self._calls.get(call_id)
        if call is None:
            log.warning("arguments for unknown tool call %s ignored", call_id)
            return
        call["function"]["arguments"] += delta

    def _result(self, event: agui.ToolCallResultEvent) -> list[StreamPart]:
        content = event.content if isinstance(event.content, str) else [
            p.model_dump(by_alias=True, exclude_none=True) for p in event.content
        ]
        self.messages.append({"id": event.message_id, "role": "tool",
                              "toolCallId": event.tool_call_id, "content": content})
        call = self._calls.get(event.tool_call_id)
        name = call["function"]["name"] if call else "tool"
        return [ToolProgress(tool_call_id=event.tool_call_id, name=name, done=True)]

    def answered(self, call_id: str) -> bool:
        return any(m.get("role") == "tool" and m.get("toolCallId") == call_id
                   for m in self.messages)

    def adopt_calls(self, call_ids: Iterable[str]) -> None:
        """Count calls already in the messages as this run's (a batch taken over after a
        restart: the ones still unanswered run, and the whole batch is recorded)."""
        wanted = set(call_ids)
        for m in self.messages:
            for call in m.get("toolCalls") or () if m.get("role") == "assistant" else ():
                if call["id"] in wanted and call["id"] not in self._calls:
                    self._calls[call["id"]] = call
                    self.run_tool_call_ids.append(call["id"])

    def unanswered_calls(self) -> list[dict[str, Any]]:
        """Tool calls made in this run that no tool message answers yet."""
        return [self._calls[c] for c in self.run_tool_call_ids if not self.answered(c)]

    # -- snapshots and state ----------------------------------------------------------
    def _messages_snapshot(self, event: agui.MessagesSnapshotEvent) -> None:
        snapshot = [m.model_dump(by_alias=True, exclude_none=True) for m in event.messages]
        by_id = {m["id"]: m for m in snapshot}
        roles_in_snapshot = {m.get("role") for m in snapshot}
        merged: list[AgentMessage] = []
        for local in self.messages:
            if local["id"] in by_id:
                merged.append(by_id.pop(local["id"]))
            elif local.get("role") in _KEEP_ON_SNAPSHOT - roles_in_snapshot:
                merged.append(local)
        merged.extend(m for m in snapshot if m["id"] in by_id)
        self.messages = merged
        self.snapshot_seen = True
        given = [i for i, m in enumerate(snapshot) if m["id"] in self._initial_ids]
        if given:  # what the agent holds from before the last message it was given is old
            self._earlier_ids.update(m["id"] for m in snapshot[:given[-1]])
        for m in merged:  # calls seen only in a snapshot still count as this run's calls
            for call in m.get("toolCalls") or ():
                if call["id"] not in self._calls and m["id"] not in self._initial_ids:
                    self._calls[call["id"]] = call
                    self.run_tool_call_ids.append(call["id"])

    def _state_delta(self, event: agui.StateDeltaEvent) -> None:
        import jsonpatch  # loaded by the first STATE_DELTA, not by every bot (startup memory)

        ops: list[dict[str, Any]] = [
            op.model_dump(by_alias=True, exclude_none=True) if isinstance(op, BaseModel)
            else dict(op) for op in event.delta]
        try:
            self.state = jsonpatch.apply_patch(self.state or {}, ops, in_place=False)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            log.warning("STATE_DELTA could not be applied (%s); keeping the prior state", exc)

    def snapshot_only_replies(self) -> list[AgentMessage]:
        """New assistant text that arrived only in a MESSAGES_SNAPSHOT (never streamed).

        Only what the snapshot places after the last message this run was given is new:
        an agent that keeps the history may list earlier replies under ids the bot never
        saw."""
        return [m for m in self.messages
                if m.get("role") == "assistant" and isinstance(m.get("content"), str)
                and m["content"].strip() and m["id"] not in self._initial_ids
                and m["id"] not in self.streamed_text_ids and m["id"] not in self._earlier_ids]

    def streamed_ids(self) -> list[str]:
        """Ids of the messages whose text was streamed in this run, in message order."""
        return [m["id"] for m in self.messages if m["id"] in self.streamed_text_ids]

    # -- the dispatcher ---------------------------------------------------------------
    def feed(self, event: agui.BaseEvent) -> list[StreamPart]:
        t = agui.EventType
        match event.type:
            case t.TEXT_MESSAGE_START:
                assert isinstance(event, agui.TextMessageStartEvent)
                self._text_id = event.message_id
                self._assistant(event.message_id)
            case t.TEXT_MESSAGE_CONTENT:
                assert isinstance(event, agui.TextMessageContentEvent)
                return self._text(event.message_id, event.delta)
            case t.TEXT_MESSAGE_CHUNK:
                assert isinstance(event, agui.TextMessageChunkEvent)
                message_id = event.message_id or self._text_id or new_message_id()
                self._text_id = message_id
                return self._text(message_id, event.delta or "")
            case t.TEXT_MESSAGE_END:
                self._text_id = None
            case t.TOOL_CALL_START:
                assert isinstance(event, agui.ToolCallStartEvent)
                return self._start_call(event.tool_call_id, event.tool_call_name,
                                        event.parent_message_id)
            case t.TOOL_CALL_ARGS:
                assert isinstance(event, agui.ToolCallArgsEvent)
                self._args(event.tool_call_id, event.delta)
            case t.TOOL_CALL_CHUNK:
                assert isinstance(event, agui.ToolCallChunkEvent)
                call_id = event.tool_call_id or self._call_id
                parts: list[StreamPart] = []
                if call_id and call_id not in self._calls:
                    parts = self._start_call(call_id, event.tool_call_name or "tool",
                                             event.parent_message_id)
                self._call_id = call_id
                if call_id and event.delta:
                    self._args(call_id, event.delta)
                return parts
            case t.TOOL_CALL_END:
                self._call_id = None
            case t.TOOL_CALL_RESULT:
                assert isinstance(event, agui.ToolCallResultEvent)
                return self._result(event)
            case t.STATE_SNAPSHOT:
                assert isinstance(event, agui.StateSnapshotEvent)
                self.state = json_copy(event.snapshot)
            case t.STATE_DELTA:
                assert isinstance(event, agui.StateDeltaEvent)
                self._state_delta(event)
            case t.MESSAGES_SNAPSHOT:
                assert isinstance(event, agui.MessagesSnapshotEvent)
                self._messages_snapshot(event)
            case t.CUSTOM:
                assert isinstance(event, agui.CustomEvent)
                if event.name in self.interrupt_names:
                    self.legacy_interrupt = LegacyInterrupt(event.name, _decode(event.value))
            case t.RUN_FINISHED:
                assert isinstance(event, agui.RunFinishedEvent)
                self.finished = True
                outcome = event.outcome
                if isinstance(outcome, agui.RunFinishedInterruptOutcome):
                    self.interrupts = list(outcome.interrupts)
            case t.RUN_ERROR:
                assert isinstance(event, agui.RunErrorEvent)
                self.error = event.message or "the agent reported an error"
            case _:
                pass  # reasoning, steps, activity, raw: not shown in chat
        return []

    def finalized_messages(self) -> list[AgentMessage]:
        """The message list for the next run: empty assistant shells dropped."""
        return [m for m in self.messages
                if not (m.get("role") == "assistant" and not m.get("content")
                        and not m.get("toolCalls"))]


def _decode(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _grow(chunks: list[str], delta: str) -> None:
    """Add a streamed delta. Every ``_CHUNKS_KEPT // 2`` deltas the latest are joined into a
    block, and a block as long as the one before it joins that one (a binary counter): a
    reply in flight holds its text in a few strings, not one object per word, and each
    character is copied O(log n) times."""
    chunks.append(delta)
    if len(chunks) < _CHUNKS_KEPT:
        return
    half = _CHUNKS_KEPT // 2
    chunks[-half:] = ["".join(chunks[-half:])]
    while len(chunks) > 1 and len(chunks[-2]) <= len(chunks[-1]):
        chunks[-2:] = [chunks[-2] + chunks[-1]]
