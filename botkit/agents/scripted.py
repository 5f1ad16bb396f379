"""A deterministic, offline agent built from rules. Powers the examples and the tests.

Each ``Rule`` matches the latest user message and plays its steps in order::

    ScriptedAgent([
        Rule(r"ticket", CallTool("create_ticket", {"title": "Printer on fire"}),
             Say("Done: {result}")),
        Rule(r"deploy", Interrupt({"question": "Deploy to prod?"}), Say("You said {resume}.")),
        Rule(r"crash", Fail("model overloaded")),
    ], default=Say("I can file tickets and deploy things."))

``CallTool`` calls a bot tool: the run ends with the call pending and the next run (after
the bot answered it) continues with the following step. ``Interrupt`` pauses the run until
``thread.resume(value)``. Text may use ``{user}``, ``{result}`` (the latest tool result),
``{resume}`` (the latest resume value) and ``{0}``, ``{1}`` … (regex groups), or be a
function of a ``ScriptContext``. The position within a rule is kept in the AG-UI state, as
a real agent would keep its own.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import ag_ui.core as agui

__all__ = [
    "CallTool",
    "Fail",
    "Interrupt",
    "Rule",
    "Say",
    "ScriptContext",
    "ScriptedAgent",
    "ServerTool",
    "Truncate",
]

_STATE_KEY = "scripted"
_WORDS = re.compile(r"\S+\s*|\s+")


def _word_end(text: str, start: int) -> int:
    """Where the word (with its trailing space) starting at ``start`` ends."""
    found = _WORDS.match(text, start)
    return found.end() if found else len(text)


KEPT_INPUTS = 16
"""How many of its latest inputs a ``ScriptedAgent`` keeps (``agent.inputs``): enough for a
test to look back over a conversation, few enough that a bot serving a burst of mentions
(the helpdesk example) does not hold dozens of whole histories."""


@dataclass(frozen=True, kw_only=True)
class ScriptContext:
    """What a dynamic step sees."""

    user_text: str
    match: re.Match[str] | None
    result: str | None
    resume: Any
    run_input: agui.RunAgentInput

    def format(self, template: str) -> str:
        groups = [self.match.group(0), *self.match.groups()] if self.match else []
        resume = self.resume if isinstance(self.resume, str) else json.dumps(self.resume)
        return template.format(*[g or "" for g in groups], user=self.user_text,
                               result=self.result or "", resume=resume)


Text: TypeAlias = str | Callable[[ScriptContext], str]
Args: TypeAlias = Mapping[str, Any] | Callable[[ScriptContext], Mapping[str, Any]]


def _text(value: Text, ctx: ScriptContext) -> str:
    return value(ctx) if callable(value) else ctx.format(value)


def _args(value: Args, ctx: ScriptContext) -> str:
    return json.dumps(dict(value(ctx) if callable(value) else value))


@dataclass(frozen=True)
class Say:
    """Stream text, word by word (``delay`` seconds between words)."""

    text: Text
    delay: float = 0.0


@dataclass(frozen=True)
class CallTool:
    """Call a bot tool and wait for its result (the run ends with the call pending)."""

    name: str
    args: Args = field(default_factory=dict)


@dataclass(frozen=True)
class ServerTool:
    """A tool the agent runs itself: call and ``TOOL_CALL_RESULT`` in the same stream."""

    name: str
    args: Args = field(default_factory=dict)
    result: Text = ""


@dataclass(frozen=True)
class Interrupt:
    """Pause for a human. ``legacy=True`` uses the ``CUSTOM on_interrupt`` convention
    instead of the AG-UI 1.0 ``RUN_FINISHED`` interrupt outcome."""

    payload: Any = None
    reason: str = "approval"
    message: str | None = None
    legacy: bool = False
    event_name: str = "on_interrupt"


@dataclass(frozen=True)
class Fail:
    """End the run with ``RUN_ERROR``."""

    message: str = "the scripted agent failed"
    code: str | None = None


@dataclass(frozen=True)
class Truncate:
    """End the stream abruptly, without ``RUN_FINISHED`` (a broken backend)."""


Step: TypeAlias = Say | CallTool | ServerTool | Interrupt | Fail | Truncate


class Rule:
    """Steps to play when the latest user message matches ``pattern`` (a regex searched
    case-insensitively, or a predicate on the text)."""

    def __init__(self, pattern: str | Callable[[str], bool], *steps: Step) -> None:
        self.pattern = pattern
        self.steps: tuple[Step, ...] = steps

    def match(self, text: str) -> re.Match[str] | bool | None:
        if callable(self.pattern):
            return self.pattern(text)
        return re.search(self.pattern, text, flags=re.IGNORECASE)


def _user_text(message: agui.UserMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return " ".join(getattr(p, "text", "") for p in message.content if getattr(p, "text", None))


class ScriptedAgent:
    """An ``Agent`` that plays ``rules``; ``default`` steps run when no rule matches."""

    def __init__(self, rules: Sequence[Rule] = (), *, default: Step | Sequence[Step] = ()) -> None:
        self.rules = list(rules)
        self.default: tuple[Step, ...] = (
            tuple(default) if isinstance(default, Sequence) else (default,)
        )
        self.inputs: list[agui.RunAgentInput] = []
        """The last ``KEPT_INPUTS`` inputs this agent received (handy in tests; a bot that
        serves for days on a scripted agent does not keep every run's input)."""

    def _pick(self, text: str) -> tuple[int, tuple[Step, ...], re.Match[str] | None]:
        for index, rule in enumerate(self.rules):
            found = rule.match(text)
            if found:
                return index, rule.steps, found if isinstance(found, re.Match) else None
        return -1, self.default, None

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        self.inputs.append(run_input)
        if len(self.inputs) > KEPT_INPUTS:
            del self.inputs[0]
        ids = {"threadId": run_input.thread_id, "runId": run_input.run_id}
        yield agui.RunStartedEvent.model_validate(ids)
        users = [m for m in run_input.messages if isinstance(m, agui.UserMessage)]
        last_user = users[-1] if users else None
        text = _user_text(last_user) if last_user else ""
        rule_index, steps, match = self._pick(text)
        saved = run_input.state.get(_STATE_KEY) if isinstance(run_input.state, dict) else None
        turn = last_user.id if last_user else ""
        position = saved if isinstance(saved, dict) and saved.get("turn") == turn else {}
        step = int(position.get("step", 0))
        resume = position.get("resume")
        resuming = False
        if run_input.resume:
            entry = run_input.resume[0]
            resume = entry.payload if entry.status == "resolved" else {"cancelled": True}
            resuming = True
        elif isinstance(run_input.forwarded_props, dict):
            command = run_input.forwarded_props.get("command")
            if isinstance(command, dict) and "resume" in command:
                resume, resuming = command["resume"], True
        if resuming and not position:  # another turn's run moved the state on meanwhile
            step = next((i + 1 for i, s in enumerate(steps) if isinstance(s, Interrupt)), 0)
        since_user = run_input.messages[run_input.messages.index(last_user) + 1:] if last_user \
            else run_input.messages
        tool_results = [m for m in since_user if isinstance(m, agui.ToolMessage)]
        result = tool_results[-1].content if tool_results else None
        ctx = ScriptContext(user_text=text, match=match, resume=resume,
                            result=result if isinstance(result, str) else None,
                            run_input=run_input)
        message_id = uuid.uuid4().hex

        def state(next_step: int) -> agui.StateSnapshotEvent:
            base = dict(run_input.state) if isinstance(run_input.state, dict) else {}
            base[_STATE_KEY] = {"turn": turn, "rule": rule_index, "step": next_step,
                                "resume": resume}
            return agui.StateSnapshotEvent(snapshot=base)

        for index in range(step, len(steps)):
            current = steps[index]
            if isinstance(current, Say):
                message_id = uuid.uuid4().hex  # tool calls attach to the latest text
                words = _text(current.text, ctx)
                if current.delay:
                    async for event in self._say(message_id, words, current.delay):
                        yield event
                else:  # no pauses: the events as a plain list (no generator per step)
                    for event in _say_now(message_id, words):
                        yield event
            elif isinstance(current, ServerTool):
                call_id = f"call_{uuid.uuid4().hex[:12]}"
                for event in _call_events(call_id, current.name, _args(current.args, ctx),
                                          message_id):
                    yield event
                content = _text(current.result, ctx)
                yield agui.ToolCallResultEvent(message_id=f"tr_{call_id}", tool_call_id=call_id,
                                               content=content)
                ctx = ScriptContext(user_text=text, match=match, resume=resume, result=content,
                                    run_input=run_input)
            elif isinstance(current, CallTool):
                call_id = f"call_{uuid.uuid4().hex[:12]}"
                for event in _call_events(call_id, current.name, _args(current.args, ctx),
                                          message_id):
                    yield event
                yield state(index + 1)
                yield agui.RunFinishedEvent.model_validate(
                    {**ids, "outcome": {"type": "success", "pendingToolCallIds": [call_id]}})
                return
            elif isinstance(current, Interrupt):
                yield state(index + 1)
                async for event in self._interrupt(current, ids, ctx):
                    yield event
                return
            elif isinstance(current, Fail):
                yield agui.RunErrorEvent(message=current.message, code=current.code)
                return
            else:
                return  # Truncate: no RUN_FINISHED
        yield state(len(steps))
        yield agui.RunFinishedEvent.model_validate({**ids, "outcome": {"type": "success"}})

    async def _say(self, message_id: str, text: str, delay: float
                   ) -> AsyncIterator[agui.BaseEvent]:
        if not text:
            return
        yield agui.TextMessageStartEvent(message_id=message_id, role="assistant")
        start = 0  # the next word is cut at each step: no list or scanner held while paused
        while start < len(text):
            end = _word_end(text, start)
            if delay:
                await asyncio.sleep(delay)
            yield agui.TextMessageContentEvent(message_id=message_id, delta=text[start:end])
            start = end
        yield agui.TextMessageEndEvent(message_id=message_id)

    async def _interrupt(self, step: Interrupt, ids: dict[str, str], ctx: ScriptContext
                         ) -> AsyncIterator[agui.BaseEvent]:
        payload = step.payload
        if isinstance(payload, str):
            payload = ctx.format(payload)
        if step.legacy:
            yield agui.CustomEvent(name=step.event_name, value=json.dumps(payload))
            yield agui.RunFinishedEvent.model_validate(ids)
            return
        interrupt = {"id": f"int_{uuid.uuid4().hex[:12]}", "reason": step.reason,
                     "message": step.message or (payload if isinstance(payload, str) else None),
                     "metadata": {"payload": payload}}
        yield agui.RunFinishedEvent.model_validate(
            {**ids, "outcome": {"type": "interrupt", "interrupts": [interrupt]}})


def _say_now(message_id: str, text: str) -> list[agui.BaseEvent]:
    """``_say`` without a delay."""
    if not text:
        return []
    content = agui.TextMessageContentEvent
    return [agui.TextMessageStartEvent(message_id=message_id, role="assistant"),
            *(content(message_id=message_id, delta=word) for word in _WORDS.findall(text)),
            agui.TextMessageEndEvent(message_id=message_id)]


def _call_events(call_id: str, name: str, args: str, parent: str) -> list[agui.BaseEvent]:
    return [
        agui.ToolCallStartEvent(tool_call_id=call_id, tool_call_name=name,
                                parent_message_id=parent),
        agui.ToolCallArgsEvent(tool_call_id=call_id, delta=args),
        agui.ToolCallEndEvent(tool_call_id=call_id),
    ]
