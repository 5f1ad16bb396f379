"""ScriptedAgent on its own: rules in, AG-UI events out."""

from __future__ import annotations

import json
from typing import Any

import ag_ui.core as agui

from botkit import Agent
from botkit.testing import (
    CallTool,
    Fail,
    Interrupt,
    Rule,
    Say,
    ScriptContext,
    ScriptedAgent,
    ServerTool,
    Truncate,
)

E = agui.EventType


def run_input(*messages: dict[str, Any], state: Any = None, **extra: Any) -> agui.RunAgentInput:
    return agui.RunAgentInput.model_validate({
        "threadId": "t1", "runId": "r1", "messages": list(messages),
        "state": {} if state is None else state, "tools": [], "context": [], **extra})


def user(text: str, id: str = "u1") -> dict[str, Any]:
    return {"id": id, "role": "user", "content": text}


async def play(agent: ScriptedAgent, inp: agui.RunAgentInput) -> list[agui.BaseEvent]:
    return [event async for event in agent.run(inp)]


def text_of(events: list[agui.BaseEvent]) -> str:
    return "".join(e.delta for e in events if isinstance(e, agui.TextMessageContentEvent))


def last_state(events: list[agui.BaseEvent]) -> Any:
    return [e for e in events if isinstance(e, agui.StateSnapshotEvent)][-1].snapshot


def test_it_is_an_agent() -> None:
    assert isinstance(ScriptedAgent(), Agent)


async def test_say_streams_word_by_word_inside_a_proper_run() -> None:
    agent = ScriptedAgent(default=Say("Hello there, friend"))
    inp = run_input(user("hi"))
    events = await play(agent, inp)
    types = [e.type for e in events]
    assert types[0] == E.RUN_STARTED
    assert types[-1] == E.RUN_FINISHED
    assert types[1:-2] == [E.TEXT_MESSAGE_START, E.TEXT_MESSAGE_CONTENT, E.TEXT_MESSAGE_CONTENT,
                           E.TEXT_MESSAGE_CONTENT, E.TEXT_MESSAGE_END]
    assert [e.delta for e in events if isinstance(e, agui.TextMessageContentEvent)] == [
        "Hello ", "there, ", "friend"]
    assert events[0].thread_id == "t1"
    assert events[-1].run_id == "r1"
    assert agent.inputs == [inp]


async def test_rules_match_in_order_case_insensitively_with_groups() -> None:
    agent = ScriptedAgent([
        Rule(r"ticket about (\w+)", Say("Filing {1} for {user}")),
        Rule(r"TICKET", Say("never: the first rule wins")),
        Rule(lambda text: text.endswith("?"), Say("A question: {user}")),
        Rule("dynamic", Say(lambda ctx: f"{len(ctx.user_text)} chars")),
    ], default=[Say("Sorry, "), Say("no idea.")])
    texts = [text_of(await play(agent, run_input(user(t)))) for t in
             ("Ticket about printers", "why?", "dynamic!", "hmm")]
    assert texts == ["Filing printers for Ticket about printers", "A question: why?",
                     "8 chars", "Sorry, no idea."]


async def test_no_rule_and_no_default_just_finishes() -> None:
    events = await play(ScriptedAgent([Rule("x", Say("x"))]), run_input(user("y")))
    assert [e.type for e in events] == [E.RUN_STARTED, E.STATE_SNAPSHOT, E.RUN_FINISHED]


async def test_the_latest_user_message_is_matched_including_content_parts() -> None:
    agent = ScriptedAgent([Rule("new", Say("matched new"))], default=Say("default"))
    inp = run_input(user("new question", "u1"), {"id": "a", "role": "assistant", "content": "ok"},
                    {"id": "u2", "role": "user", "content": [
                        {"type": "text", "text": "old"}, {"type": "text", "text": "stuff"}]})
    assert text_of(await play(agent, inp)) == "default"
    inp = run_input({"id": "u3", "role": "user", "content": [
        {"type": "text", "text": "a new one"}]})
    assert text_of(await play(agent, inp)) == "matched new"


async def test_call_tool_ends_the_run_and_the_next_run_continues_with_the_result() -> None:
    agent = ScriptedAgent([Rule("weather", Say("Checking."),
                                CallTool("weather", lambda c: {"city": "Oslo"}),
                                Say("It is {result}."))])
    first = await play(agent, run_input(user("weather?")))
    start = next(e for e in first if isinstance(e, agui.ToolCallStartEvent))
    args = next(e for e in first if isinstance(e, agui.ToolCallArgsEvent))
    assert start.tool_call_name == "weather"
    assert json.loads(args.delta) == {"city": "Oslo"}
    text_id = next(e for e in first if isinstance(e, agui.TextMessageStartEvent)).message_id
    assert start.parent_message_id == text_id
    finished = first[-1]
    assert isinstance(finished, agui.RunFinishedEvent)
    assert finished.outcome is not None
    assert finished.outcome.model_dump(by_alias=True, exclude_none=True) == {
        "type": "success", "pendingToolCallIds": [start.tool_call_id]}
    state = last_state(first)
    assert state["scripted"]["step"] == 2
    # the bot answers the call and runs the agent again with the same turn
    second = await play(agent, run_input(
        user("weather?"),
        {"id": "a1", "role": "assistant", "toolCalls": [
            {"id": start.tool_call_id, "type": "function",
             "function": {"name": "weather", "arguments": args.delta}}]},
        {"id": "t1", "role": "tool", "toolCallId": start.tool_call_id, "content": "cold"},
        state=state))
    assert text_of(second) == "It is cold."
    assert second[-1].type == E.RUN_FINISHED


async def test_a_new_turn_starts_the_rule_from_the_top() -> None:
    agent = ScriptedAgent(default=[CallTool("x"), Say("after")])
    first = await play(agent, run_input(user("one", "u1")))
    state = last_state(first)
    again = await play(agent, run_input(user("two", "u2"), state=state))
    assert any(isinstance(e, agui.ToolCallStartEvent) for e in again)
    assert text_of(again) == ""


async def test_server_tool_runs_inside_the_stream() -> None:
    agent = ScriptedAgent(default=[ServerTool("search", {"q": "x"}, result="3 hits"),
                                   Say("Found {result}.")])
    events = await play(agent, run_input(user("find")))
    result = next(e for e in events if isinstance(e, agui.ToolCallResultEvent))
    assert result.content == "3 hits"
    assert text_of(events) == "Found 3 hits."
    assert events[-1].type == E.RUN_FINISHED
    assert events[-1].outcome.type == "success"  # nothing pending for the bot


async def test_interrupt_outcome_and_resume() -> None:
    agent = ScriptedAgent(default=[Interrupt({"question": "Deploy?"}, reason="approval",
                                             message="Approve the deploy"),
                                   Say("You said {resume}.")])
    first = await play(agent, run_input(user("deploy")))
    outcome = first[-1].outcome
    assert outcome is not None
    assert outcome.type == "interrupt"
    (interrupt,) = outcome.interrupts
    assert interrupt.reason == "approval"
    assert interrupt.message == "Approve the deploy"
    assert interrupt.metadata == {"payload": {"question": "Deploy?"}}
    state = last_state(first)
    resumed = await play(agent, run_input(user("deploy"), state=state, resume=[
        {"interruptId": interrupt.id, "status": "resolved", "payload": {"ok": True}}]))
    assert text_of(resumed) == 'You said {"ok": true}.'
    cancelled = await play(agent, run_input(user("deploy"), state=state, resume=[
        {"interruptId": interrupt.id, "status": "cancelled"}]))
    assert text_of(cancelled) == 'You said {"cancelled": true}.'


async def test_legacy_interrupt_and_forwarded_resume() -> None:
    agent = ScriptedAgent([Rule(r"deploy (\w+)", Interrupt("Deploy {1}?", legacy=True),
                                Say("{resume}!"))])
    first = await play(agent, run_input(user("deploy prod")))
    custom = next(e for e in first if isinstance(e, agui.CustomEvent))
    assert custom.name == "on_interrupt"
    assert json.loads(custom.value) == "Deploy prod?"
    assert first[-1].type == E.RUN_FINISHED
    assert first[-1].outcome is None
    resumed = await play(agent, run_input(user("deploy prod"), state=last_state(first),
                                          forwardedProps={"command": {"resume": "yes"}}))
    assert text_of(resumed) == "yes!"


async def test_fail_and_truncate() -> None:
    failed = await play(ScriptedAgent(default=[Say("hm"), Fail("overloaded", code="529")]),
                        run_input(user("x")))
    error = failed[-1]
    assert isinstance(error, agui.RunErrorEvent)
    assert (error.message, error.code) == ("overloaded", "529")
    assert not any(e.type == E.RUN_FINISHED for e in failed)
    truncated = await play(ScriptedAgent(default=[Say("partial"), Truncate(), Say("never")]),
                           run_input(user("x")))
    assert text_of(truncated) == "partial"
    assert truncated[-1].type == E.TEXT_MESSAGE_END


async def test_state_from_the_conversation_is_kept() -> None:
    events = await play(ScriptedAgent(default=Say("ok")),
                        run_input(user("x"), state={"mine": 1}))
    state = last_state(events)
    assert state["mine"] == 1
    assert state["scripted"]["step"] == 1


async def test_script_context_formatting() -> None:
    seen: list[ScriptContext] = []

    def remember(ctx: ScriptContext) -> str:
        seen.append(ctx)
        return ctx.format("[{0}|{1}|{2}|{user}|{result}|{resume}]")

    agent = ScriptedAgent([Rule(r"(a)(b)?", Say(remember))])
    events = await play(agent, run_input(user("xa")))
    assert text_of(events) == "[a|a||xa||null]"  # {0} the match, {1}… its groups
    assert seen[0].match is not None
    assert seen[0].run_input.thread_id == "t1"


async def test_say_with_a_delay_still_streams_everything() -> None:
    events = await play(ScriptedAgent(default=Say("slow but sure", delay=0.001)),
                        run_input(user("x")))
    assert text_of(events) == "slow but sure"


async def test_it_keeps_only_its_latest_inputs() -> None:
    # a bot served for days on a scripted agent (the helpdesk example) kept every run's
    # input: memory grew with every mention
    from botkit.agents.scripted import KEPT_INPUTS

    agent = ScriptedAgent(default=Say("ok"))
    inputs = [run_input(user(f"hi {i}")) for i in range(KEPT_INPUTS + 5)]
    for inp in inputs:
        await play(agent, inp)
    assert len(agent.inputs) == KEPT_INPUTS
    assert agent.inputs[0] is inputs[5]
    assert agent.inputs[-1] is inputs[-1]
