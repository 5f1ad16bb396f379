"""The run loop: one implementation for every agent backend.

Each iteration builds a ``RunAgentInput``, streams the run's text into the chat, then
decides: an error ends the run with a visible message; an interrupt (the 1.0
``RUN_FINISHED`` outcome or a legacy ``CUSTOM`` event) is stored and handed to the bot's
``on_interrupt`` handlers; tool calls nobody answered are executed as bot tools (unknown
tools get an error result) and the loop runs the agent again; otherwise the run is done.

The loop knows the conversation only as a ``RunSurface``; the two things only the bot's
facade can do are passed in: the ``ToolContext`` a tool call gets (``tool_context``) and
what an interrupt does (``on_interrupt``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from typing import Any

import ag_ui.core as agui
from pydantic import ValidationError

from botkit.agents.base import Agent
from botkit.errors import AgentError
from botkit.history import AgentMessage, tool_result
from botkit.run.assembler import RunAssembler
from botkit.run.calls import ToolCall
from botkit.run.interrupts import PendingInterrupt
from botkit.run.request import RunRequest
from botkit.run.result import RunResult
from botkit.run.surface import RunSurface
from botkit.run.tools import call_tool
from botkit.types import MessageRef, StreamPart, ToolProgress

__all__ = ["AgentRunner", "RunRequest", "RunResult", "batch_records"]

log = logging.getLogger("botkit.agents")

ToolContextFactory = Callable[[ToolCall], Any]
InterruptHandler = Callable[[PendingInterrupt], Awaitable[None]]


class AgentRunner:
    def __init__(
        self,
        surface: RunSurface,
        agent: Agent,
        *,
        tool_context: ToolContextFactory,
        on_interrupt: InterruptHandler,
        max_iterations: int = 6,
        interrupt_names: frozenset[str] = frozenset({"on_interrupt"}),
        replays: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        self.surface = surface
        self.agent = agent
        self.tool_context = tool_context
        self.on_interrupt = on_interrupt
        self.max_iterations = max_iterations
        self.interrupt_names = interrupt_names
        self.replays = {k: list(v) for k, v in (replays or {}).items()}
        """Recorded ``await_choice`` answers per tool call id (replaying after a restart)."""

    def _input(self, request: RunRequest) -> agui.RunAgentInput:
        data: dict[str, Any] = {
            "threadId": self.surface.conversation_id,
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

    def _consume(self, run_input: agui.RunAgentInput, asm: RunAssembler
                 ) -> Coroutine[Any, Any, MessageRef | None]:
        """The run's stream shown (the surface's coroutine, returned: no frame of this
        method's own while the reply waits). The input goes with the stream, which drops
        it once the agent's events end: a reply that waits to be posted (Slack's pacing) no
        longer holds it."""
        return self.surface.show_stream(self._parts([run_input], asm))

    async def _parts(self, handed: list[agui.RunAgentInput], asm: RunAssembler
                     ) -> AsyncIterator[StreamPart]:
        """The agent's events on ``handed.pop()`` as stream parts, fed to ``asm``."""
        events = self.agent.run(handed.pop())
        text_event = agui.TextMessageContentEvent
        try:
            async for event in events:
                if type(event) is text_event:  # the commonest event: no dispatch
                    if asm.text_delta(event.message_id, event.delta):
                        yield event.delta
                    continue
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
            del events

    async def run(self, request: RunRequest) -> RunResult:
        texts: list[str] = []
        replies: list[MessageRef] = []
        request.messages = _with_agent_ids(request.messages, await self.surface.message_ids())
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
                replies.append(await self.surface.show_text(message["content"]))
                shown[replies[-1].id] = message["id"]
                texts.append(message["content"])
            if asm.snapshot_seen and (shown := {k: v for k, v in shown.items() if k != v}):
                # an agent that keeps the history itself must get its own ids back
                await self.surface.remember_message_ids(shown)
            changed = asm.state != request.state
            request.state, request.messages = asm.state, asm.finalized_messages()

            if asm.error is None and not asm.finished:
                asm.error = "the agent's stream ended before the run finished"
            if changed and asm.error is None and not (asm.interrupts or asm.legacy_interrupt) \
                    and not asm.unanswered_calls():
                self.surface.keep_state(asm.state)  # the run ends here: one checkpoint
            elif changed:
                await self.surface.save_state(asm.state)
            if asm.error is not None:
                await self._record_tools(asm)
                await self.surface.show_error(f"The agent failed: {asm.error}")
                return RunResult(status="failed", text="\n".join(texts), replies=tuple(replies),
                                 error=asm.error, iterations=iteration)
            if asm.interrupts or asm.legacy_interrupt:
                await self._record_tools(asm, exclude_unanswered=True)
                pending = PendingInterrupt.of_run(asm, request.messages, request.state)
                await self.surface.save_interrupt(pending)
                await self.on_interrupt(pending)
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
        await self.surface.show_error(notice)
        return RunResult(status="max_iterations", text="\n".join(texts), replies=tuple(replies),
                         error=notice, iterations=self.max_iterations)

    async def _call_tools(self, asm: RunAssembler, request: RunRequest) -> None:
        """Run the bot tools the agent called and nothing answered yet; append the results
        and show each call as done."""
        for call in asm.unanswered_calls():
            name, arguments = call["function"]["name"], call["function"]["arguments"]
            info = ToolCall(id=call["id"], name=name, arguments=arguments,
                            messages=asm.finalized_messages(), state=request.state,
                            context=list(request.context), batch=tuple(asm.run_tool_call_ids),
                            replay=self.replays.pop(call["id"], []))
            outcome = await call_tool(request.tools, name, arguments, self.tool_context(info))
            asm.messages.append(tool_result(call["id"], outcome.content, error=outcome.error))
            await self.surface.show_progress(ToolProgress(
                tool_call_id=call["id"], name=name, done=True, error=outcome.error))

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
        await self.surface.record(records)


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
