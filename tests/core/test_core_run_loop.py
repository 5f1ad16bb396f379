"""run_agent and resume: the one run loop, driven through a bot and the FakeAdapter."""

from __future__ import annotations

import gc
import json
import logging
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import ag_ui.core as agui
import pytest
from pydantic import BaseModel

from botkit import (
    AgentError,
    Capabilities,
    ContextEntry,
    InteractionContext,
    InterruptContext,
    RunResult,
    ToolContext,
    TurnContext,
    UserError,
    create_bot,
    define_bot_tool,
    ui,
)
from botkit.testing import (
    ALICE,
    BOB,
    CallTool,
    Fail,
    FakeAdapter,
    Interrupt,
    Rule,
    Say,
    ScriptedAgent,
    ServerTool,
    Truncate,
    running,
)

# -- helpers ---------------------------------------------------------------------------

Events = Sequence[agui.BaseEvent] | Callable[[agui.RunAgentInput], Sequence[agui.BaseEvent]]


class EventAgent:
    """Plays one list of events per run (the last list repeats); records every input."""

    def __init__(self, *runs: Events) -> None:
        self.runs = list(runs)
        self.inputs: list[agui.RunAgentInput] = []

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        self.inputs.append(run_input)
        events = self.runs[min(len(self.inputs), len(self.runs)) - 1]
        for event in events(run_input) if callable(events) else events:
            yield event


def started() -> agui.BaseEvent:
    return agui.RunStartedEvent(thread_id="t", run_id="r")


def finished(**outcome: Any) -> agui.BaseEvent:
    data: dict[str, Any] = {"threadId": "t", "runId": "r"}
    if outcome:
        data["outcome"] = outcome
    return agui.RunFinishedEvent.model_validate(data)


def say(message_id: str, text: str) -> list[agui.BaseEvent]:
    return [agui.TextMessageStartEvent(message_id=message_id, role="assistant"),
            agui.TextMessageContentEvent(message_id=message_id, delta=text),
            agui.TextMessageEndEvent(message_id=message_id)]


def call(call_id: str, name: str, args: str, parent: str | None = None) -> list[agui.BaseEvent]:
    return [agui.ToolCallStartEvent(tool_call_id=call_id, tool_call_name=name,
                                    parent_message_id=parent),
            agui.ToolCallArgsEvent(tool_call_id=call_id, delta=args),
            agui.ToolCallEndEvent(tool_call_id=call_id)]


def tool_messages(run_input: agui.RunAgentInput) -> list[agui.ToolMessage]:
    return [m for m in run_input.messages if isinstance(m, agui.ToolMessage)]


def notices(fake: FakeAdapter) -> list[str]:
    return [s.text for s in fake.sent if s.message is not None and s.message.status]


class TicketArgs(BaseModel):
    title: str
    priority: int = 3


def agent_bot(fake: FakeAdapter, agent: Any, **kwargs: Any) -> tuple[Any, list[RunResult]]:
    """A bot whose mention handler runs the agent and keeps each RunResult."""
    bot = create_bot(adapters=[fake], agent=agent, **kwargs)
    results: list[RunResult] = []

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        results.append(await ctx.thread.run_agent())

    return bot, results


# -- the basic run ---------------------------------------------------------------------


async def test_run_streams_the_answer_and_sends_a_proper_input() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent(default=Say("Hello there, Alice"))
    bot, results = agent_bot(fake, agent, context=[ContextEntry(description="Team",
                                                                value="infra")])
    async with running(bot):
        await fake.emit_mention("hi", conversation="C3:t3")
    (sent,) = fake.sent
    assert sent.kind == "stream"
    assert sent.text == "Hello there, Alice"
    assert len(sent.parts) == 3  # streamed word by word
    (result,) = results
    assert result.status == "completed"
    assert result.text == "Hello there, Alice"
    assert result.replies == (sent.ref,)
    assert result.iterations == 1
    assert result.error is None
    (run_input,) = agent.inputs
    assert run_input.thread_id == "C3:t3"
    assert run_input.protocol_version == agui.PROTOCOL_VERSION
    assert run_input.context == [agui.Context(description="Team", value="infra")]
    assert run_input.tools == []


async def test_without_streaming_the_answer_is_posted_once() -> None:
    fake = FakeAdapter(capabilities=Capabilities(get_messages=True))
    bot, results = agent_bot(fake, ScriptedAgent(default=Say("one two three")))
    async with running(bot):
        await fake.emit_mention("hi")
    (sent,) = fake.sent
    assert (sent.kind, sent.text) == ("post", "one two three")
    assert results[0].replies == (sent.ref,)


async def test_an_agent_factory_is_called_with_the_conversation_id() -> None:
    fake = FakeAdapter()
    made: list[str] = []

    def factory(thread_id: str) -> ScriptedAgent:
        made.append(thread_id)
        return ScriptedAgent(default=Say(f"agent for {thread_id}"))

    bot, _ = agent_bot(fake, factory)
    async with running(bot):
        await fake.emit_mention("hi", conversation="C1:a")
        await fake.emit_mention("hi", conversation="C1:b")
    assert made == ["C1:a", "C1:b"]
    assert fake.texts() == ["agent for C1:a", "agent for C1:b"]


# -- history ---------------------------------------------------------------------------


async def test_history_is_rebuilt_every_turn_with_names_and_without_mentions() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent([Rule("printer", Say("Try turning it off and on."))],
                          default=Say("Hi {user}!"))
    bot = create_bot(adapters=[fake], agent=agent)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.show_notice("thinking…")  # a status line: not history
        await ctx.thread.run_agent()

    async with running(bot):
        await fake.emit_mention("<@U_BOT> hello")
        await fake.emit_message("anyone seen my stapler?", user=BOB)  # not for the bot
        await fake.emit_mention("@helpbot the printer is on fire", user=BOB)
    first, second = agent.inputs
    assert [(type(m).__name__, m.content) for m in first.messages] == [("UserMessage", "hello")]
    history = second.messages
    assert [m.role for m in history] == ["user", "assistant", "user", "user"]
    hello, reply, stapler, printer = history
    assert (hello.name, hello.content) == ("Alice", "hello")
    assert reply.content == "Hi hello!"
    assert (stapler.name, stapler.content) == ("Bob", "anyone seen my stapler?")
    assert (printer.name, printer.content) == ("Bob", "the printer is on fire")
    assert not any("thinking" in str(m.content) for m in history)


async def test_without_get_messages_the_agent_sees_only_the_current_message() -> None:
    fake = FakeAdapter(capabilities=Capabilities(streaming=True))
    agent = ScriptedAgent(default=Say("ok"))
    bot, _ = agent_bot(fake, agent)
    async with running(bot):
        await fake.emit_mention("first")
        await fake.emit_mention("second")
    assert [[m.content for m in i.messages] for i in agent.inputs] == [["first"], ["second"]]


# -- per-run prompt, context and tools -------------------------------------------------


async def test_prompt_context_and_tools_per_run_add_to_the_bots() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent(default=Say("ok"))
    bot = create_bot(adapters=[fake], agent=agent,
                     context=[("Team", "infra"), {"description": "Limits", "value": {"max": 3}}])

    @bot.tool
    def lookup(query: str) -> str:
        """Look something up."""
        return query

    extra = define_bot_tool(name="escalate", description="Escalate to a human.",
                            parameters=TicketArgs, handler=lambda args, ctx: "escalated")

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        if ctx.text == "special":
            await ctx.thread.run_agent(prompt="Answer in one word.", tools=[extra],
                                       context=[ContextEntry(description="Mode", value="debug")])
        else:
            await ctx.thread.run_agent()

    async with running(bot):
        await fake.emit_mention("special")
        await fake.emit_mention("plain")
    special, plain = agent.inputs
    assert [t.name for t in special.tools or ()] == ["lookup", "escalate"]
    assert [(c.description, c.value) for c in special.context or ()] == [
        ("Team", "infra"), ("Limits", '{"max": 3}'), ("Mode", "debug")]
    assert special.messages[-1].role == "user"
    assert special.messages[-1].content == "Answer in one word."
    assert special.messages[-2].content == "special"
    # the next run is back to the bot's own tools and context
    assert [t.name for t in plain.tools or ()] == ["lookup"]
    assert [c.description for c in plain.context or ()] == ["Team", "Limits"]
    assert "Answer in one word." not in [m.content for m in plain.messages]
    escalate = (special.tools or [])[1]
    assert escalate.description == "Escalate to a human."
    assert escalate.parameters["required"] == ["title"]


async def test_a_per_run_tool_wins_a_name_clash() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent(default=[CallTool("lookup", {"query": "x"}), Say("got {result}")])
    bot = create_bot(adapters=[fake], agent=agent)

    @bot.tool
    def lookup(query: str) -> str:
        return "from the bot"

    class Query(BaseModel):
        query: str

    override = define_bot_tool(name="lookup", description="per run", parameters=Query,
                               handler=lambda args, ctx: "from the run")
    bot.on_mention(lambda ctx: ctx.thread.run_agent(tools=[override]))
    async with running(bot):
        await fake.emit_mention("go")
    assert fake.texts() == ["got from the run"]


# -- bot tools -------------------------------------------------------------------------


async def test_tool_round_trip_with_tool_context() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent([Rule(r"file (.+)", Say("Filing it."),
                                CallTool("create_ticket", lambda c: {"title": c.match[1]}),
                                Say("Filed {result}."))])
    bot, results = agent_bot(fake, agent)
    seen: list[tuple[TicketArgs, ToolContext]] = []

    @bot.tool
    async def create_ticket(args: TicketArgs, ctx: ToolContext) -> dict[str, Any]:
        """Create a helpdesk ticket."""
        seen.append((args, ctx))
        return {"id": "T-1", "title": args.title}

    async with running(bot):
        event = await fake.emit_mention("file printer on fire", user=BOB)
    ((args, ctx),) = seen
    assert args == TicketArgs(title="printer on fire")
    assert ctx.thread.id == "C1:t1"
    assert ctx.user == BOB
    assert ctx.message is event
    assert ctx.platform == "fake"
    second = agent.inputs[1]
    (result,) = tool_messages(second)
    assert result.tool_call_id == ctx.tool_call_id
    assert json.loads(result.content) == {"id": "T-1", "title": "printer on fire"}
    assert result.error is None
    calls = [c for m in second.messages if isinstance(m, agui.AssistantMessage)
             for c in m.tool_calls or ()]
    assert [(c.id, c.function.name) for c in calls] == [(ctx.tool_call_id, "create_ticket")]
    assert fake.texts() == ["Filing it.", 'Filed {"id": "T-1", "title": "printer on fire"}.']
    started_row, done_row = fake.tool_progress()
    assert (started_row.name, started_row.tool_call_id) == ("create_ticket", ctx.tool_call_id)
    assert (started_row.done, done_row.done, done_row.error) == (False, True, None)
    assert results[0].status == "completed"
    assert results[0].iterations == 2
    assert results[0].text == 'Filing it.\nFiled {"id": "T-1", "title": "printer on fire"}.'


@pytest.mark.parametrize(("step", "expected"), [
    (CallTool("create_ticket", {"title": 5, "priority": [1]}),
     "invalid arguments for create_ticket: title: Input should be a valid string; "
     "priority: Input should be a valid integer"),
    (CallTool("create_ticket", {}), "invalid arguments for create_ticket: title: Field required"),
    (CallTool("delete_everything", {}),
     "unknown tool 'delete_everything'; available tools: create_ticket"),
    (CallTool("create_ticket", {"title": "crash"}),
     "create_ticket failed: RuntimeError: ticket system down"),
])
async def test_tool_mistakes_become_error_results_for_the_model(step: CallTool,
                                                                expected: str) -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent(default=[step, Say("Tool said: {result}")])
    bot, results = agent_bot(fake, agent)

    @bot.tool
    def create_ticket(title: str, priority: int = 3) -> str:
        if title == "crash":
            raise RuntimeError("ticket system down")
        return "ok"

    async with running(bot):
        await fake.emit_mention("go")
    (result,) = tool_messages(agent.inputs[-1])
    assert result.error == expected
    assert json.loads(result.content) == {"error": expected}
    assert results[0].status == "completed"
    assert fake.texts() == [f"Tool said: {json.dumps({'error': expected})}"]
    assert notices(fake) == []  # the model handles it; the user sees no crash


async def test_tool_call_with_invalid_json_arguments() -> None:
    fake = FakeAdapter()
    agent = EventAgent([started(), *call("c1", "echo", '{"text": "unterminated'), finished()],
                       [started(), *say("m2", "sorry"), finished()])
    bot, results = agent_bot(fake, agent)

    @bot.tool
    def echo(text: str) -> str:
        raise AssertionError("must not run with invalid arguments")

    async with running(bot):
        await fake.emit_mention("go")
    (result,) = tool_messages(agent.inputs[1])
    assert result.error is not None
    assert result.error.startswith("invalid arguments for echo: not valid JSON")
    assert results[0].status == "completed"


async def test_tool_call_chunks_are_assembled_and_executed() -> None:
    fake = FakeAdapter()
    agent = EventAgent(
        [started(),
         agui.ToolCallChunkEvent(tool_call_id="c1", tool_call_name="add", delta='{"a": 2, '),
         agui.ToolCallChunkEvent(delta='"b": 40}'),
         finished()],
        lambda i: [started(), *say("m2", f"sum is {tool_messages(i)[0].content}"), finished()])
    bot, _ = agent_bot(fake, agent)

    @bot.tool
    def add(a: int, b: int) -> int:
        return a + b

    async with running(bot):
        await fake.emit_mention("add")
    assert fake.texts() == ["sum is 42"]


async def test_server_side_tools_are_not_run_by_the_bot() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent(default=[Say("Searching."),
                                   ServerTool("search", {"q": "x"}, result="3 hits"),
                                   Say("Found {result}.")])
    bot, results = agent_bot(fake, agent)

    @bot.tool
    def search(q: str) -> str:
        raise AssertionError("the agent already ran it")

    async with running(bot):
        await fake.emit_mention("search")
    assert results[0].iterations == 1
    assert fake.texts() == ["Searching.Found 3 hits."]
    progress = fake.tool_progress()
    assert [(p.name, p.done) for p in progress] == [("search", False), ("search", True)]


async def test_max_iterations_stops_with_a_visible_notice() -> None:
    fake = FakeAdapter()
    counter = iter(range(100))
    agent = EventAgent(lambda i: [started(), *call(f"c{next(counter)}", "ping", "{}"),
                                  finished()])
    bot, results = agent_bot(fake, agent, max_iterations=3)
    pings: list[str] = []

    @bot.tool
    def ping(ctx: ToolContext) -> str:
        pings.append(ctx.tool_call_id)
        return "pong"

    async with running(bot):
        await fake.emit_mention("loop forever")
    (result,) = results
    assert result.status == "max_iterations"
    assert result.iterations == 3
    assert len(agent.inputs) == 3
    assert pings == ["c0", "c1", "c2"]
    (notice,) = notices(fake)
    assert "I stopped after 3 rounds of tool calls" in notice
    assert result.error is not None
    assert "3 rounds" in result.error


async def test_default_max_iterations_is_six() -> None:
    fake = FakeAdapter()
    counter = iter(range(100))
    agent = EventAgent(lambda i: [started(), *call(f"c{next(counter)}", "ping", "{}"),
                                  finished()])
    bot, results = agent_bot(fake, agent)
    bot.tool(lambda: "pong", name="ping")
    async with running(bot):
        await fake.emit_mention("loop")
    assert results[0].status == "max_iterations"
    assert len(agent.inputs) == 6


async def test_tool_calls_are_recorded_so_the_next_turn_sees_them() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent([Rule("weather", CallTool("weather", {"city": "Oslo"}),
                                Say("It is {result}."))], default=Say("ok"))
    bot, _ = agent_bot(fake, agent)

    @bot.tool
    async def weather(city: str) -> str:
        return f"cold in {city}"

    async with running(bot):
        await fake.emit_mention("weather?")
        await fake.emit_mention("thanks")
    history = agent.inputs[-1].messages
    roles = [m.role for m in history]
    assert roles == ["user", "assistant", "tool", "assistant", "user"]
    call_message, result = history[1], history[2]
    assert isinstance(call_message, agui.AssistantMessage)
    assert call_message.tool_calls
    assert call_message.tool_calls[0].function.name == "weather"
    assert json.loads(call_message.tool_calls[0].function.arguments) == {"city": "Oslo"}
    assert isinstance(result, agui.ToolMessage)
    assert result.content == "cold in Oslo"
    assert result.tool_call_id == call_message.tool_calls[0].id
    assert history[3].content == "It is cold in Oslo."


async def test_without_agent_records_tool_calls_are_not_kept() -> None:
    fake = FakeAdapter(capabilities=Capabilities(streaming=True, get_messages=True))
    agent = ScriptedAgent([Rule("weather", CallTool("weather", {"city": "Oslo"}),
                                Say("It is {result}."))], default=Say("ok"))
    bot, _ = agent_bot(fake, agent)

    class City(BaseModel):
        city: str

    bot.tool(define_bot_tool(name="weather", description="w", parameters=City,
                             handler=lambda args, ctx: "cold"))
    async with running(bot):
        await fake.emit_mention("weather?")
        await fake.emit_mention("thanks")
    assert [m.role for m in agent.inputs[-1].messages] == ["user", "assistant", "user"]


# -- failures --------------------------------------------------------------------------


async def test_run_error_shows_a_clear_message_and_fails_the_run() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent(default=[Say("Let me think."), Fail("model overloaded", code="529")])
    bot, results = agent_bot(fake, agent)
    async with running(bot):
        await fake.emit_mention("hi")
    (result,) = results
    assert result.status == "failed"
    assert result.error == "model overloaded"
    assert result.text == "Let me think."
    assert fake.texts()[0] == "Let me think."
    (notice,) = notices(fake)
    assert "The agent failed: model overloaded" in notice
    # the notice is a status line: it does not pollute the next turn's history
    assert all(m.is_status for m in fake.history["C1:t1"] if "failed" in m.text)


async def test_a_truncated_stream_fails_the_run() -> None:
    fake = FakeAdapter()
    bot, results = agent_bot(fake, ScriptedAgent(default=[Say("partial"), Truncate()]))
    async with running(bot):
        await fake.emit_mention("hi")
    assert results[0].status == "failed"
    assert results[0].error == "the agent's stream ended before the run finished"
    assert "The agent failed: the agent's stream ended" in notices(fake)[0]


class RaisingAgent:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        yield started()
        for event in say("m1", "half an answer"):
            yield event
        raise self.error


async def test_a_backend_agent_error_is_shown() -> None:
    fake = FakeAdapter()
    bot, results = agent_bot(fake, RaisingAgent(AgentError("HTTP 502 from the agent server")))
    async with running(bot):
        await fake.emit_mention("hi")
    assert results[0].status == "failed"
    assert results[0].error == "HTTP 502 from the agent server"
    assert fake.texts()[0] == "half an answer"  # what streamed before the failure stays
    assert "The agent failed: HTTP 502 from the agent server" in notices(fake)[0]


async def test_a_crashing_backend_is_shown_without_internals(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeAdapter()
    bot, results = agent_bot(fake, RaisingAgent(ZeroDivisionError("secret internals")))
    with caplog.at_level(logging.ERROR):
        async with running(bot):
            await fake.emit_mention("hi")
    assert results[0].error == "the agent backend failed: ZeroDivisionError"
    assert "secret internals" not in notices(fake)[0]
    assert "agent backend crashed" in caplog.text


class InvalidEventAgent:
    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        yield started()
        yield agui.RunErrorEvent.model_validate({"code": 1})


async def test_an_invalid_event_fails_the_run() -> None:
    fake = FakeAdapter()
    bot, results = agent_bot(fake, InvalidEventAgent())
    async with running(bot):
        await fake.emit_mention("hi")
    assert results[0].status == "failed"
    assert results[0].error is not None
    assert "invalid event" in results[0].error


async def test_a_dangling_tool_call_is_closed_in_the_next_turns_history() -> None:
    fake = FakeAdapter()
    agent = EventAgent(
        [started(), *say("m1", "Calling."), *call("c1", "slow", "{}", parent="m1"),
         agui.RunErrorEvent(message="connection reset")],
        [started(), *say("m2", "ok"), finished()])
    bot, results = agent_bot(fake, agent)
    bot.tool(lambda: "never", name="slow")
    async with running(bot):
        await fake.emit_mention("one")
        await fake.emit_mention("two")
    assert results[0].status == "failed"
    (closed,) = tool_messages(agent.inputs[1])
    assert closed.tool_call_id == "c1"
    assert closed.error is not None
    assert "no result was recorded" in closed.error


# -- agent-level event handling --------------------------------------------------------


async def test_a_reply_only_in_a_messages_snapshot_is_posted() -> None:
    fake = FakeAdapter()

    def reply(run_input: agui.RunAgentInput) -> list[agui.BaseEvent]:
        history = [m.model_dump(by_alias=True, exclude_none=True) for m in run_input.messages]
        new_id = f"a{len(history)}"
        return [started(), agui.MessagesSnapshotEvent.model_validate({"messages": [
            *history, {"id": new_id, "role": "assistant", "content": "From the snapshot."}]}),
            finished()]

    agent = EventAgent(reply)
    bot, results = agent_bot(fake, agent)
    async with running(bot):
        await fake.emit_mention("hi")
        await fake.emit_mention("again")
    first = fake.sent[0]
    assert (first.kind, first.text) == ("post", "From the snapshot.")
    assert results[0].text == "From the snapshot."
    assert results[0].replies == (first.ref,)
    # each run shows its own new reply once; the earlier one is history, not repeated
    assert fake.texts() == ["From the snapshot.", "From the snapshot."]
    assert [m.role for m in agent.inputs[1].messages] == ["user", "assistant", "user"]


async def test_state_snapshots_and_deltas_are_kept_per_conversation() -> None:
    fake = FakeAdapter()
    agent = EventAgent(
        [started(), agui.StateSnapshotEvent(snapshot={"count": 1, "items": []}), finished()],
        [started(), agui.StateDeltaEvent.model_validate({"delta": [
            {"op": "replace", "path": "/count", "value": 2},
            {"op": "add", "path": "/items/-", "value": "x"}]}), finished()],
        [started(), agui.StateDeltaEvent.model_validate({"delta": [
            {"op": "remove", "path": "/missing"}]}), finished()],
        [started(), finished()])
    bot = create_bot(adapters=[fake], agent=agent)
    states: list[Any] = []

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()
        states.append(await ctx.thread.get_state())

    async with running(bot):
        for text in ("a", "b", "c", "d"):
            await fake.emit_mention(text)
    assert states == [{"count": 1, "items": []}, {"count": 2, "items": ["x"]},
                      {"count": 2, "items": ["x"]}, {"count": 2, "items": ["x"]}]
    assert [i.state for i in agent.inputs] == [{}, {"count": 1, "items": []},
                                               {"count": 2, "items": ["x"]},
                                               {"count": 2, "items": ["x"]}]


# -- interrupts ------------------------------------------------------------------------


def deploy_agent(**interrupt: Any) -> ScriptedAgent:
    return ScriptedAgent([Rule("deploy", Say("Checking."),
                               Interrupt({"question": "Deploy to prod?"}, **interrupt),
                               Say("You said {resume}."))], default=Say("ok"))


def approval_card(ctx: InterruptContext) -> ui.Message:
    async def answer(click: InteractionContext) -> None:
        await click.thread.resume(click.action.value)

    return ui.Message(ctx.payload["question"],
                      ui.Actions(ui.Button("Yes", value=True, on_click=answer),
                                 ui.Button("No", value=False, on_click=answer)))


async def test_interrupt_outcome_calls_on_interrupt_and_resume_continues() -> None:
    fake = FakeAdapter()
    agent = deploy_agent(reason="approval", message="Needs a human")
    bot, results = agent_bot(fake, agent)
    got: list[InterruptContext] = []

    @bot.on_interrupt("approval")
    async def ask(ctx: InterruptContext) -> None:
        got.append(ctx)
        await ctx.thread.post(approval_card(ctx))

    async with running(bot):
        event = await fake.emit_mention("deploy please")
        assert results[0].status == "interrupted"
        assert fake.texts() == ["Checking.", "Deploy to prod?\n\n[1] Yes  [2] No"]
        await fake.click("Yes", user=BOB)
    (ctx,) = got
    assert ctx.event_name == "approval"
    assert ctx.payload == {"question": "Deploy to prod?"}
    assert ctx.user == ALICE
    assert ctx.message is event
    (interrupt,) = ctx.interrupts
    assert interrupt["reason"] == "approval"
    assert interrupt["message"] == "Needs a human"
    resumed = agent.inputs[-1]
    assert resumed.resume == [agui.ResumeEntry(interrupt_id=interrupt["id"], status="resolved",
                                               payload=True)]
    assert resumed.forwarded_props is None
    assert fake.texts()[-1] == "You said true."
    # the resumed run continued the same turn
    assert [m.content for m in resumed.messages if m.role == "user"] == ["deploy please"]


async def test_legacy_custom_interrupt_resumes_through_forwarded_props() -> None:
    fake = FakeAdapter()
    agent = deploy_agent(legacy=True)
    bot, results = agent_bot(fake, agent)
    got: list[InterruptContext] = []

    @bot.on_interrupt("on_interrupt")
    async def ask(ctx: InterruptContext) -> None:
        got.append(ctx)
        await ctx.thread.post(approval_card(ctx))

    async with running(bot):
        await fake.emit_mention("deploy")
        await fake.click("No")
    (ctx,) = got
    assert ctx.event_name == "on_interrupt"
    assert ctx.payload == {"question": "Deploy to prod?"}  # the JSON string was decoded
    assert ctx.interrupts == ()
    resumed = agent.inputs[-1]
    assert resumed.forwarded_props == {"command": {"resume": False}}
    assert resumed.resume is None
    assert fake.texts()[-1] == "You said false."
    assert results[0].status == "interrupted"


async def test_custom_interrupt_event_names() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent([
        Rule("ask", Interrupt("Which env?", legacy=True, event_name="ask_human")),
        Rule("other", Interrupt("ignored", legacy=True, event_name="on_interrupt"),
             Say("not an interrupt here"))])
    bot, results = agent_bot(fake, agent, interrupt_event_names=["ask_human"])
    got: list[Any] = []
    bot.on_interrupt("ask_human")(lambda ctx: got.append(ctx.payload))
    async with running(bot):
        await fake.emit_mention("ask")
        await fake.emit_mention("other")
    assert got == ["Which env?"]
    assert [r.status for r in results] == ["interrupted", "completed"]


async def test_catch_all_interrupt_handler_and_name_preference() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent([Rule("a", Interrupt("pa", reason="approval")),
                           Rule("b", Interrupt("pb", reason="survey"))])
    bot, _ = agent_bot(fake, agent)
    got: list[tuple[str, str, Any]] = []
    bot.on_interrupt("approval")(lambda ctx: got.append(("named", ctx.event_name, ctx.payload)))
    bot.on_interrupt()(lambda ctx: got.append(("star", ctx.event_name, ctx.payload)))
    async with running(bot):
        await fake.emit_mention("a")
        await fake.emit_mention("b")
    assert got == [("named", "approval", "pa"), ("star", "survey", "pb")]


async def test_interrupt_without_metadata_payload_hands_over_the_whole_interrupt() -> None:
    fake = FakeAdapter()
    agent = EventAgent([started(), finished(type="interrupt", interrupts=[
        {"id": "i1", "reason": "tool_approval", "message": "Run rm -rf?", "toolCallId": "c9"}])])
    bot, _ = agent_bot(fake, agent)
    got: list[Any] = []
    bot.on_interrupt("*")(lambda ctx: got.append(ctx.payload))
    async with running(bot):
        await fake.emit_mention("x")
    assert got == [{"id": "i1", "reason": "tool_approval", "message": "Run rm -rf?",
                    "toolCallId": "c9"}]


async def test_interrupt_with_no_handler_is_shown_and_can_still_be_resumed() -> None:
    fake = FakeAdapter()
    agent = deploy_agent()
    bot, results = agent_bot(fake, agent)
    async with running(bot):
        await fake.emit_mention("deploy")
        (notice,) = notices(fake)
        assert "The agent is waiting for input (approval)" in notice
        assert "no handler" in notice
        resumed = await bot.thread("fake", fake.conversation()).resume("later")
    assert results[0].status == "interrupted"
    assert resumed.status == "completed"
    assert resumed.text == "You said later."


async def test_resume_with_nothing_pending_is_answered_through_the_click() -> None:
    fake = FakeAdapter()
    agent = deploy_agent()
    bot, _ = agent_bot(fake, agent)
    bot.on_interrupt()(lambda ctx: ctx.thread.post(approval_card(ctx)))
    async with running(bot):
        await fake.emit_mention("deploy")
        await fake.click("Yes")
        await fake.click("Yes", user=BOB)  # the same card, clicked again: nothing waits now
    assert fake.texts().count("You said true.") == 1
    assert "This request has already been answered or has expired." in notices(fake)[-1]
    assert len(agent.inputs) == 2


async def test_cancel_interrupt_sends_a_cancelled_resume_entry() -> None:
    fake = FakeAdapter()
    agent = deploy_agent()
    bot, _ = agent_bot(fake, agent)
    bot.on_interrupt()(lambda ctx: None)
    async with running(bot):
        await fake.emit_mention("deploy")
        result = await bot.thread("fake", fake.conversation()).cancel_interrupt()
    (entry,) = agent.inputs[-1].resume or []
    assert entry.status == "cancelled"
    assert entry.payload is None
    assert result.text == 'You said {"cancelled": true}.'


async def test_several_interrupts_need_one_answer_each_and_a_bad_answer_keeps_them() -> None:
    fake = FakeAdapter()
    agent = EventAgent(
        [started(), finished(type="interrupt", interrupts=[{"id": "a", "reason": "q"},
                                                           {"id": "b", "reason": "q"}])],
        [started(), *say("m", "thanks"), finished()])
    bot, _ = agent_bot(fake, agent)
    bot.on_interrupt()(lambda ctx: None)
    async with running(bot):
        await fake.emit_mention("two questions")
        thread = bot.thread("fake", fake.conversation())
        with pytest.raises(UserError, match="resume with a dict"):
            await thread.resume("yes")
        result = await thread.resume({"a": 1, "b": "two"})  # still waiting after the mistake
    assert result.status == "completed"
    assert agent.inputs[-1].resume == [
        agui.ResumeEntry(interrupt_id="a", status="resolved", payload=1),
        agui.ResumeEntry(interrupt_id="b", status="resolved", payload="two")]


async def test_the_resumed_run_calls_tools_with_the_clicker_as_user() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent([Rule("deploy", Interrupt("ok?"), CallTool("deploy", {"env": "prod"}),
                                Say("{result}"))])
    bot, _ = agent_bot(fake, agent)
    seen: list[ToolContext] = []

    @bot.tool
    def deploy(env: str, ctx: ToolContext) -> str:
        seen.append(ctx)
        return f"deployed {env} for {ctx.user.display_name if ctx.user else '?'}"

    @bot.on_interrupt()
    async def ask(ctx: InterruptContext) -> None:
        async def go(click: InteractionContext) -> None:
            await click.thread.resume(True)

        await ctx.thread.post(ui.Message(ui.Button("Go", on_click=go)))

    async with running(bot):
        await fake.emit_mention("deploy")
        await fake.click("Go", user=BOB)
    (ctx,) = seen
    assert ctx.user == BOB
    assert ctx.message is None
    assert fake.texts()[-1] == "deployed prod for Bob"


async def test_a_tool_can_ask_for_approval_with_await_choice() -> None:
    fake = FakeAdapter()
    agent = ScriptedAgent([Rule("ticket", CallTool("create_ticket", {"title": "Printer"}),
                                Say("Result: {result}"))])
    bot, results = agent_bot(fake, agent)

    @bot.tool
    async def create_ticket(args: TicketArgs, ctx: ToolContext) -> str:
        approved = await ctx.thread.await_choice(
            ui.Message(f"File '{args.title}'?", ui.Button("File it", value=True),
                       ui.Button("Cancel", value=False)),
            allowed_users=[ctx.user] if ctx.user else None)
        return "T-1 filed" if approved else "cancelled by the user"

    async with running(bot):
        task = bot.spawn(bot.dispatch(fake.message_event("ticket please")))
        await fake.wait_for_buttons()
        await fake.click("File it", user=BOB)  # not Bob's to answer
        await fake.click("File it", user=ALICE)
        await task
    assert fake.texts()[-1] == "Result: T-1 filed"
    assert results[0].status == "completed"
    assert any(s.kind == "ephemeral" and s.user == BOB for s in fake.sent)


async def test_an_interrupt_handler_can_wait_for_the_answer_and_resume_in_place() -> None:
    fake = FakeAdapter()
    agent = deploy_agent()
    bot, results = agent_bot(fake, agent)

    @bot.on_interrupt("approval")
    async def ask(ctx: InterruptContext) -> None:
        answer = await ctx.thread.await_choice(approval_card(ctx))
        await ctx.thread.resume(answer)

    async with running(bot):
        task = bot.spawn(bot.dispatch(fake.message_event("deploy")))
        await fake.wait_for_buttons()
        await fake.click("Yes")
        await task
    assert fake.texts()[-1] == "You said true."
    assert results[0].status == "interrupted"


async def test_the_runs_input_is_let_go_once_the_agents_events_end() -> None:
    """A reply still waiting to be posted (Slack paces posts) holds no run input."""

    class RecordingAgent:
        def __init__(self) -> None:
            self.input: weakref.ref[agui.RunAgentInput] | None = None

        async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
            self.input = weakref.ref(run_input)
            for event in [started(), *say("m1", "hello"), finished()]:
                yield event

    class PostsLater(FakeAdapter):
        def __init__(self) -> None:
            super().__init__()
            self.inputs_alive: list[bool] = []

        async def stream(self, conversation: Any, parts: AsyncIterator[Any]) -> Any:
            taken = [part async for part in parts]  # the stream ended; the post waits
            gc.collect()
            assert agent.input is not None
            self.inputs_alive.append(agent.input() is not None)

            async def again() -> AsyncIterator[Any]:
                for part in taken:
                    yield part

            return await super().stream(conversation, again())

    agent, fake = RecordingAgent(), PostsLater()
    bot, results = agent_bot(fake, agent)
    async with running(bot):
        await fake.emit_mention("hi")
    assert [r.text for r in results] == ["hello"]
    assert fake.inputs_alive == [False]
