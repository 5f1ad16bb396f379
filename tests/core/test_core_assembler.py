"""RunAssembler: AG-UI events → what to show now, and the conversation's next state."""

from __future__ import annotations

import copy
from typing import Any

import ag_ui.core as agui

from botkit import ToolProgress
from botkit.agents.assembler import RunAssembler

HISTORY: list[dict[str, Any]] = [{"id": "u1", "role": "user", "content": "hi"}]
INTERRUPTS = frozenset({"on_interrupt"})


def asm(messages: list[dict[str, Any]] | None = None, state: Any = None) -> RunAssembler:
    return RunAssembler(HISTORY if messages is None else messages,
                        {} if state is None else state, INTERRUPTS)


def feed(a: RunAssembler, *events: agui.BaseEvent) -> list[Any]:
    return [part for event in events for part in a.feed(event)]


def test_text_messages_stream_and_accumulate() -> None:
    a = asm()
    parts = feed(a,
                 agui.RunStartedEvent(thread_id="t", run_id="r"),
                 agui.TextMessageStartEvent(message_id="m1", role="assistant"),
                 agui.TextMessageContentEvent(message_id="m1", delta="Hello "),
                 agui.TextMessageContentEvent(message_id="m1", delta="world"),
                 agui.TextMessageEndEvent(message_id="m1"),
                 agui.RunFinishedEvent(thread_id="t", run_id="r"))
    assert parts == ["Hello ", "world"]
    assert a.messages[-1] == {"id": "m1", "role": "assistant", "content": "Hello world"}
    assert a.streamed_text_ids == {"m1"}
    assert a.finished
    assert a.error is None
    assert a.unanswered_calls() == []


def test_text_chunks_without_ids_continue_the_current_message() -> None:
    a = asm()
    parts = feed(a,
                 agui.TextMessageChunkEvent(message_id="m1", delta="one "),
                 agui.TextMessageChunkEvent(delta="two"),
                 agui.TextMessageEndEvent(message_id="m1"),
                 agui.TextMessageChunkEvent(delta="three"))
    assert parts == ["one ", "two", "three"]
    assistants = [m for m in a.messages if m["role"] == "assistant"]
    assert assistants[0] == {"id": "m1", "role": "assistant", "content": "one two"}
    assert assistants[1]["content"] == "three"
    assert assistants[1]["id"] != "m1"


def test_tool_calls_attach_to_their_parent_and_report_progress() -> None:
    a = asm()
    parts = feed(a,
                 agui.TextMessageStartEvent(message_id="m1", role="assistant"),
                 agui.TextMessageContentEvent(message_id="m1", delta="Checking."),
                 agui.TextMessageEndEvent(message_id="m1"),
                 agui.ToolCallStartEvent(tool_call_id="c1", tool_call_name="weather",
                                         parent_message_id="m1"),
                 agui.ToolCallArgsEvent(tool_call_id="c1", delta='{"city": '),
                 agui.ToolCallArgsEvent(tool_call_id="c1", delta='"Oslo"}'),
                 agui.ToolCallArgsEvent(tool_call_id="ghost", delta="ignored"),
                 agui.ToolCallEndEvent(tool_call_id="c1"))
    assert parts == ["Checking.", ToolProgress(tool_call_id="c1", name="weather")]
    message = a.messages[-1]
    assert message["id"] == "m1"
    assert message["content"] == "Checking."
    assert message["toolCalls"] == [{"id": "c1", "type": "function", "function": {
        "name": "weather", "arguments": '{"city": "Oslo"}'}}]
    assert [c["id"] for c in a.unanswered_calls()] == ["c1"]
    assert a.run_tool_call_ids == ["c1"]


def test_a_tool_call_without_parent_gets_its_own_assistant_message() -> None:
    a = asm()
    feed(a, agui.ToolCallStartEvent(tool_call_id="c1", tool_call_name="x"))
    assert a.messages[-1]["role"] == "assistant"
    assert a.messages[-1]["toolCalls"][0]["id"] == "c1"


def test_tool_call_chunks() -> None:
    a = asm()
    parts = feed(a,
                 agui.ToolCallChunkEvent(tool_call_id="c1", tool_call_name="add", delta='{"a"'),
                 agui.ToolCallChunkEvent(delta=": 1}"),
                 agui.ToolCallEndEvent(tool_call_id="c1"),
                 agui.ToolCallChunkEvent(tool_call_id="c2", delta="{}"))
    assert parts == [ToolProgress(tool_call_id="c1", name="add"),
                     ToolProgress(tool_call_id="c2", name="tool")]
    calls = {c["id"]: c["function"] for c in a.unanswered_calls()}
    assert calls == {"c1": {"name": "add", "arguments": '{"a": 1}'},
                     "c2": {"name": "tool", "arguments": "{}"}}


def test_tool_results_answer_calls() -> None:
    a = asm()
    parts = feed(a,
                 agui.ToolCallStartEvent(tool_call_id="c1", tool_call_name="search"),
                 agui.ToolCallEndEvent(tool_call_id="c1"),
                 agui.ToolCallResultEvent(message_id="r1", tool_call_id="c1", content="3 hits"))
    assert parts[-1] == ToolProgress(tool_call_id="c1", name="search", done=True)
    assert a.messages[-1] == {"id": "r1", "role": "tool", "toolCallId": "c1",
                              "content": "3 hits"}
    assert a.answered("c1")
    assert a.unanswered_calls() == []


def test_state_snapshot_and_delta() -> None:
    initial = {"count": 0, "items": ["a"]}
    a = asm(state=initial)
    feed(a, agui.StateDeltaEvent.model_validate({"delta": [
        {"op": "replace", "path": "/count", "value": 1},
        {"op": "add", "path": "/items/-", "value": "b"}]}))
    assert a.state == {"count": 1, "items": ["a", "b"]}
    assert initial == {"count": 0, "items": ["a"]}  # the input state is not mutated
    feed(a, agui.StateDeltaEvent.model_validate({"delta": [
        {"op": "replace", "path": "/nope/deeper", "value": 1}]}))
    assert a.state == {"count": 1, "items": ["a", "b"]}  # a bad patch keeps the prior state
    feed(a, agui.StateSnapshotEvent(snapshot={"fresh": True}))
    assert a.state == {"fresh": True}


def test_messages_snapshot_reconciles_by_id() -> None:
    history = [{"id": "u1", "role": "user", "content": "hi"},
               {"id": "a0", "role": "assistant", "content": "earlier"}]
    a = asm(copy.deepcopy(history))
    feed(a,
         agui.TextMessageStartEvent(message_id="m1", role="assistant"),
         agui.TextMessageContentEvent(message_id="m1", delta="stream"),
         agui.TextMessageEndEvent(message_id="m1"),
         agui.MessagesSnapshotEvent.model_validate({"messages": [
             {"id": "u1", "role": "user", "content": "hi"},
             {"id": "a0", "role": "assistant", "content": "earlier"},
             {"id": "m1", "role": "assistant", "content": "streamed, then final"},
             {"id": "m2", "role": "assistant", "content": "only in the snapshot"},
             {"id": "m3", "role": "assistant", "content": "", "toolCalls": [
                 {"id": "c9", "type": "function",
                  "function": {"name": "x", "arguments": "{}"}}]}]}))
    assert [m["id"] for m in a.messages] == ["u1", "a0", "m1", "m2", "m3"]
    assert a.messages[2]["content"] == "streamed, then final"
    # shown once: streamed text is not repeated and history is not re-posted
    assert [m["id"] for m in a.snapshot_only_replies()] == ["m2"]
    # a call that arrived only in the snapshot is this run's call, to be run by the bot
    assert [c["id"] for c in a.unanswered_calls()] == ["c9"]


def test_snapshot_keeps_local_activity_and_reasoning_messages() -> None:
    history = [{"id": "u1", "role": "user", "content": "hi"},
               {"id": "act", "role": "activity", "activityType": "progress", "content": {}}]
    a = asm(history)
    feed(a, agui.MessagesSnapshotEvent.model_validate({"messages": [
        {"id": "u1", "role": "user", "content": "hi"}]}))
    assert [m["id"] for m in a.messages] == ["u1", "act"]


def test_legacy_custom_interrupt_and_other_custom_events() -> None:
    a = asm()
    feed(a, agui.CustomEvent(name="progress", value={"pct": 50}))
    assert a.legacy_interrupt is None
    feed(a, agui.CustomEvent(name="on_interrupt", value='{"question": "ok?"}'))
    assert a.legacy_interrupt is not None
    assert (a.legacy_interrupt.name, a.legacy_interrupt.value) == ("on_interrupt",
                                                                  {"question": "ok?"})
    b = asm()
    feed(b, agui.CustomEvent(name="on_interrupt", value="not json"))
    assert b.legacy_interrupt is not None
    assert b.legacy_interrupt.value == "not json"


def test_interrupt_outcome() -> None:
    a = asm()
    feed(a, agui.RunFinishedEvent.model_validate({"threadId": "t", "runId": "r", "outcome": {
        "type": "interrupt", "interrupts": [{"id": "i1", "reason": "approval"}]}}))
    assert a.finished
    assert [(i.id, i.reason) for i in a.interrupts] == [("i1", "approval")]


def test_run_error() -> None:
    a = asm()
    feed(a, agui.RunErrorEvent(message="quota exceeded", code="429"))
    assert a.error == "quota exceeded"
    b = asm()
    feed(b, agui.RunErrorEvent(message=""))
    assert b.error == "the agent reported an error"


def test_unshown_events_are_ignored() -> None:
    a = asm()
    parts = feed(a,
                 agui.StepStartedEvent(step_name="plan"),
                 agui.StepFinishedEvent(step_name="plan"),
                 agui.RawEvent(event={"anything": 1}))
    assert parts == []
    assert a.messages == HISTORY
    assert a.error is None


def test_finalized_messages_drop_empty_assistant_shells_and_keep_input_intact() -> None:
    history = copy.deepcopy(HISTORY)
    a = asm(history)
    feed(a,
         agui.TextMessageStartEvent(message_id="empty", role="assistant"),
         agui.TextMessageEndEvent(message_id="empty"),
         agui.TextMessageChunkEvent(message_id="m1", delta="real"))
    assert [m["id"] for m in a.finalized_messages()] == ["u1", "m1"]
    assert history == HISTORY


def test_a_long_streamed_text_is_read_whole_at_any_point() -> None:
    a = asm()
    feed(a, agui.TextMessageStartEvent(message_id="m1", role="assistant"))
    words = [f"w{i} " for i in range(5000)]
    feed(a, *(agui.TextMessageContentEvent(message_id="m1", delta=w) for w in words[:2500]))
    assert a.messages[-1]["content"] == "".join(words[:2500])  # read mid-stream
    feed(a, *(agui.TextMessageContentEvent(message_id="m1", delta=w) for w in words[2500:]),
         agui.TextMessageChunkEvent(message_id="m1", delta=""),
         agui.TextMessageEndEvent(message_id="m1"))
    assert a.messages[-1] == {"id": "m1", "role": "assistant", "content": "".join(words)}
    assert a.finalized_messages()[-1]["content"] == "".join(words)


def test_text_delta_matches_feed_when_messages_interleave() -> None:
    """``text_delta`` (the run loop's shortcut for text events) ends in what ``feed``
    makes of the same events, also when text goes back to an earlier message."""
    def events() -> list[agui.BaseEvent]:
        delta = agui.TextMessageContentEvent
        return [agui.TextMessageStartEvent(message_id="m1", role="assistant"),
                delta(message_id="m1", delta="one "),
                agui.ToolCallStartEvent(tool_call_id="c1", tool_call_name="t",
                                        parent_message_id="m2"),
                delta(message_id="m2", delta="two"),
                delta(message_id="m1", delta="three"),
                delta(message_id="m1", delta="")]

    fed, fast = asm(), asm()
    shown = feed(fed, *events())
    quick: list[Any] = []
    for event in events():
        if isinstance(event, agui.TextMessageContentEvent):
            if fast.text_delta(event.message_id, event.delta):
                quick.append(event.delta)
        else:
            quick.extend(fast.feed(event))
    assert [p for p in quick if isinstance(p, str)] == ["one ", "two", "three"]
    assert [p for p in shown if isinstance(p, str)] == ["one ", "two", "three"]
    assert fast.messages == fed.messages
    assert [m.get("content") for m in fast.messages[1:]] == ["one three", "two"]
    assert fast.streamed_text_ids == fed.streamed_text_ids == {"m1", "m2"}


def test_deltas_of_two_messages_in_turn_are_joined_each_into_its_own_text() -> None:
    """Streamed text is held in a few joined blocks per message (not one string per
    delta); what each message reads is still exactly its deltas, in order."""
    a = asm()
    feed(a, agui.TextMessageStartEvent(message_id="m1", role="assistant"),
         agui.TextMessageStartEvent(message_id="m2", role="assistant"))
    sent: dict[str, list[str]] = {"m1": [], "m2": []}
    for i in range(300):
        for message_id in ("m1", "m2"):
            delta = f"{message_id}:{i}" + "x" * (i % 7) + " "
            sent[message_id].append(delta)
            assert a.text_delta(message_id, delta)
        if i == 150:
            assert [m.get("content") for m in a.messages[1:]] == [
                "".join(sent["m1"]), "".join(sent["m2"])]
    assert [m.get("content") for m in a.messages[1:]] == ["".join(sent["m1"]),
                                                           "".join(sent["m2"])]
