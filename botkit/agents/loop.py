"""The run loop: one implementation for every agent backend.

Each iteration builds a ``RunAgentInput``, streams the run's text into the chat, then
decides: an error ends the run with a visible message; an interrupt (the 1.0
``RUN_FINISHED`` outcome or a legacy ``CUSTOM`` event) is stored and handed to the bot's
``on_interrupt`` handler; tool calls nobody answered are executed as bot tools (unknown
tools get an error result) and the loop runs the agent again; otherwise the run is done.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import ag_ui.core as agui
from pydantic import ValidationError

from botkit._tool_calls import ToolCall
from botkit.adapter import StreamPart
from botkit.agents.assembler import RunAssembler
from botkit.agents.base import Agent
from botkit.errors import AgentError
from botkit.history import AgentMessage
from botkit.tools import BotTool, ToolContext, call_tool
from botkit.types import MessageRef

__all__ = ["AgentRunner", "RunHost", "RunRequest", "RunResult", "batch_records"]

log = logging.getLogger("botkit.agents")

RunStatus = Literal["completed", "interrupted", "failed", "max_iterations"]


@dataclass(frozen=True, kw_only=True)
class RunResult:
    """How a ``run_agent`` or ``resume`` ended."""

    status: RunStatus
    text: str = ""
    """All assistant text shown in the conversation during the run."""
    replies: tuple[MessageRef, ...] = ()
    error: str | None = None
    iterations: int = 0


@dataclass(kw_only=True)
class RunRequest:
    """Everything the first iteration sends; later iterations reuse it with new messages."""

    messages: list[AgentMessage]
    state: Any
    tools: dict[str, BotTool]
    context: list[agui.Context] = field(default_factory=list)
    resume: list[agui.ResumeEntry] | None = None
    forwarded_props: Any = None


class RunHost(Protocol):
    """What the loop needs from the conversation it runs in (the ``Thread`` provides it)."""

    thread_id: str

    async def show_stream(self, parts: AsyncIterator[StreamPart]) -> MessageRef | None: ...
    async def show_text(self, text: str) -> MessageRef: ...
    async def show_error(self, text: str) -> None: ...
    async def record(self, messages: list[AgentMessage]) -> None: ...
    async def save_state(self, state: Any) -> None: ...
    async def interrupted(self, pending: dict[str, Any]) -> None: ...
    def tool_context(self, tool_call_id: str, call: ToolCall | None = None) -> ToolContext: ...
    async def message_ids(self) -> dict[str, str]: ...
    async def remember_message_ids(self, ids: dict[str, str]) -> None: ...


class AgentRunner:
    def __init__(
        self,
        host: RunHost,
        agent: Agent,
        *,
        max_iterations: int = 6,
        interrupt_names: frozenset[str] = frozenset({"on_interrupt"}),
    ) -> None:
        self.host = host
        self.agent = agent
        self.max_iterations = max_iterations
        self.interrupt_names = interrupt_names

    def _input(self, request: RunRequest) -> agui.RunAgentInput:
        data: dict[str, Any] = {
            "threadId": self.host.thread_id,
            "runId": uuid.uuid4().hex,
            "protocolVersion": agui.PROTOCOL_VERSION,
            "messages": request.messages,
            "state": request.state if request.state is not None else {},
            "tools": [t.descriptor() for t in request.tools.values()],
            "context": request.context,
        }
        if request.resume:
            data["resume"] = request.resume
        if request.forwarded_props is not None:
            data["forwardedProps"] = request.forwarded_props
        return agui.RunAgentInput.model_validate(data)

    async def _consume(self, run_input: agui.RunAgentInput, asm: RunAssembler) -> MessageRef | None:
        async def parts() -> AsyncIterator[StreamPart]:
            events = self.agent.run(run_input)
            try:
                async for event in events:
                    for part in asm.feed(event):
                        yield part
                    if asm.error or (asm.finished and event.type == agui.EventType.RUN_FINISHED):
                        break
            except AgentError as exc:
                asm.error = str(exc)
            except ValidationError as exc:
                asm.error = f"the agent sent an invalid event ({exc.error_count()} errors)"
            except Exception as exc:
                log.exception("agent backend crashed")
                asm.error = f"the agent backend failed: {type(exc).__name__}"
            finally:
                aclose = getattr(events, "aclose", None)
                if aclose is not None:
                    await aclose()

        return await self.host.show_stream(parts())

    async def run(self, request: RunRequest) -> RunResult:
        texts: list[str] = []
        replies: list[MessageRef] = []
        request.messages = _with_agent_ids(request.messages, await self.host.message_ids())
        for iteration in range(1, self.max_iterations + 1):
            asm = RunAssembler(request.messages, request.state, self.interrupt_names)
            ref = await self._consume(self._input(request), asm)
            request.resume, request.forwarded_props = None, None
            shown: dict[str, str] = {}  # platform message id -> the agent's message id
            if ref is not None:
                replies.append(ref)
                if streamed := asm.streamed_ids():
                    shown[ref.id] = streamed[0]
            texts.extend(asm.messages[i]["content"] for i in range(len(asm.messages))
                         if asm.messages[i]["id"] in asm.streamed_text_ids)
            for message in asm.snapshot_only_replies():
                replies.append(await self.host.show_text(message["content"]))
                shown[replies[-1].id] = message["id"]
                texts.append(message["content"])
            if asm.snapshot_seen and (shown := {k: v for k, v in shown.items() if k != v}):
                # an agent that keeps the history itself must get its own ids back
                await self.host.remember_message_ids(shown)
            if asm.state != request.state:
                await self.host.save_state(asm.state)
            request.state, request.messages = asm.state, asm.finalized_messages()

            if asm.error is None and not asm.finished:
                asm.error = "the agent's stream ended before the run finished"
            if asm.error is not None:
                await self._record_tools(asm)
                await self.host.show_error(f"The agent failed: {asm.error}")
                return RunResult(status="failed", text="\n".join(texts), replies=tuple(replies),
                                 error=asm.error, iterations=iteration)
            if asm.interrupts or asm.legacy_interrupt:
                await self._record_tools(asm, exclude_unanswered=True)
                await self.host.interrupted(self._pending(asm, request))
                return RunResult(status="interrupted", text="\n".join(texts),
                                 replies=tuple(replies), iterations=iteration)
            calls = asm.unanswered_calls()
            if not calls:
                await self._record_tools(asm)
                return RunResult(status="completed", text="\n".join(texts),
                                 replies=tuple(replies), iterations=iteration)
            await self._call_tools(asm, request)
            request.messages = asm.finalized_messages()
            await self._record_tools(asm)
        notice = (f"I stopped after {self.max_iterations} rounds of tool calls without a final "
                  "answer. Ask again to continue.")
        await self.host.show_error(notice)
        return RunResult(status="max_iterations", text="\n".join(texts), replies=tuple(replies),
                         error=notice, iterations=self.max_iterations)

    async def _call_tools(self, asm: RunAssembler, request: RunRequest) -> None:
        """Run the bot tools the agent called and nothing answered yet; append the results."""
        for call in asm.unanswered_calls():
            name, arguments = call["function"]["name"], call["function"]["arguments"]
            info = ToolCall(id=call["id"], name=name, arguments=arguments,
                            messages=asm.finalized_messages(), state=request.state,
                            context=list(request.context), batch=tuple(asm.run_tool_call_ids))
            outcome = await call_tool(request.tools, name, arguments,
                                      self.host.tool_context(call["id"], info))
            result: AgentMessage = {"id": f"result-{call['id']}", "role": "tool",
                                    "toolCallId": call["id"], "content": outcome.content}
            if outcome.error:
                result["error"] = outcome.error
            asm.messages.append(result)

    async def finish_calls(self, request: RunRequest, batch: Sequence[str]) -> None:
        """Finish a step whose tool calls were cut short (a restart while a tool waited for
        a person): run the calls of ``batch`` nothing answers yet, add their results to
        ``request.messages`` and record the whole batch. ``run(request)`` continues."""
        asm = RunAssembler(request.messages, request.state, self.interrupt_names)
        asm.adopt_calls(batch)
        await self._call_tools(asm, request)
        request.messages = asm.finalized_messages()
        await self._record_tools(asm)

    async def _record_tools(self, asm: RunAssembler, *, exclude_unanswered: bool = False) -> None:
        """Hand this run's tool calls and results to the platform, so history keeps them."""
        ids = set(asm.run_tool_call_ids)
        if exclude_unanswered:
            ids = {i for i in ids if asm.answered(i)}
        if not ids:
            return
        records = batch_records(asm.finalized_messages(), ids)
        asm.run_tool_call_ids = [i for i in asm.run_tool_call_ids if i not in ids]
        await self.host.record(records)

    def _pending(self, asm: RunAssembler, request: RunRequest) -> dict[str, Any]:
        base = {"messages": request.messages, "state": request.state}
        if asm.interrupts:
            interrupts = [i.model_dump(by_alias=True, exclude_none=True) for i in asm.interrupts]
            first = interrupts[0]
            # The handler gets the agent's own payload when it sent one in metadata,
            # else the whole interrupt (id, reason, message, toolCallId, responseSchema).
            metadata = first.get("metadata")
            payload: Any = first
            if isinstance(metadata, Mapping) and "payload" in metadata:
                payload = metadata["payload"]
            return {**base, "channel": "outcome", "event_name": first.get("reason", "interrupt"),
                    "interrupts": interrupts, "payload": payload}
        legacy = asm.legacy_interrupt
        assert legacy is not None
        return {**base, "channel": "legacy", "event_name": legacy.name, "interrupts": [],
                "payload": legacy.value}


def batch_records(messages: Iterable[AgentMessage], ids: Iterable[str]) -> list[AgentMessage]:
    """What the platform keeps of the tool calls ``ids``: the assistant messages that made
    them (calls only) and their results."""
    wanted = set(ids)
    records: list[AgentMessage] = []
    for m in messages:
        calls = [c for c in m.get("toolCalls") or () if c["id"] in wanted]
        if m.get("role") == "assistant" and calls:
            records.append({"id": m["id"], "role": "assistant", "toolCalls": calls})
        elif m.get("role") == "tool" and m.get("toolCallId") in wanted:
            records.append(dict(m))
    return records


def _with_agent_ids(messages: list[AgentMessage], ids: Mapping[str, str]) -> list[AgentMessage]:
    """Give the bot's replies back the agent's own message ids. A reply whose id the
    recorded tool calls also carry (text and calls in one agent message) becomes one
    message again."""
    if not ids:
        return messages
    out: list[AgentMessage] = []
    seen: dict[str, int] = {}
    for m in messages:
        if m.get("role") == "assistant" and m["id"] in ids:
            m = {**m, "id": ids[m["id"]]}
        if m.get("role") == "assistant" and m["id"] in seen:
            first = out[seen[m["id"]]]
            merged = {**m, **first}
            if content := first.get("content") or m.get("content"):
                merged["content"] = content
            if calls := [*(first.get("toolCalls") or ()), *(m.get("toolCalls") or ())]:
                merged["toolCalls"] = calls
            out[seen[m["id"]]] = merged
            continue
        seen[m["id"]] = len(out)
        out.append(m)
    return out
