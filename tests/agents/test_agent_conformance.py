"""One conformance suite, every backend: the same scenarios through a real bot.

Backends: botkit's ScriptedAgent in-process and served over HTTP (``serve_ag_ui`` +
``AgUiHttpAgent``); ``OpenAIChatAgent`` against a fake Chat Completions server;
pydantic-ai (FunctionModel) in-process (``PydanticAIAgent``) and served by its own AG-UI
endpoint (1.0 interrupts); a LangGraph graph behind ag-ui-langgraph (legacy
``on_interrupt`` interrupts, snapshots, server-held history). All offline, on 127.0.0.1.
A backend that cannot play a scenario skips it with the reason.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import ag_ui.core as agui
import pytest
from agent_peers import (
    FakeOpenAI,
    langgraph_app,
    pydantic_agent,
    pydantic_app,
    scripted_agent,
    serve_asgi,
    serve_fake_openai,
)

from botkit import (
    AgUiHttpAgent,
    InteractionContext,
    InterruptContext,
    OpenAIChatAgent,
    PydanticAIAgent,
    ToolProgress,
    TurnContext,
    create_bot,
    ui,
)
from botkit.agents.base import Agent
from botkit.testing import FakeAdapter, running, serve_ag_ui

pytestmark = pytest.mark.filterwarnings(  # raised inside ag-ui-langgraph 0.0.47, not botkit
    "ignore:`get_config_jsonschema` is deprecated:langgraph.warnings.LangGraphDeprecatedSinceV10")

NO_HTTP = "in-process: there is no HTTP request for a server to reject"
NO_SERVER_TOOLS = "Chat Completions has no agent-side tools: every call is a bot tool"
NO_INTERRUPTS = "a Chat Completions model cannot pause for approval (no interrupts)"


@dataclass
class Backend:
    name: str
    agent: Agent
    deleted: list[str]
    channel: str | None = "outcome"
    rejecting: Agent | None = None
    """The same backend sending a request its server must refuse (HTTP 4xx)."""
    skips: dict[str, str] = field(default_factory=dict)

    def require(self, scenario: str) -> None:
        if scenario in self.skips:
            pytest.skip(f"{self.name}: {self.skips[scenario]}")


class DropsThreadId(AgUiHttpAgent):
    def build_body(self, run_input: agui.RunAgentInput) -> dict[str, Any]:
        body = super().build_body(run_input)
        del body["threadId"]
        return body


class DropsModel(OpenAIChatAgent):
    def build_body(self, run_input: agui.RunAgentInput) -> dict[str, Any]:
        body = super().build_body(run_input)
        del body["model"]
        return body


@contextlib.asynccontextmanager
async def make_backend(name: str) -> AsyncIterator[Backend]:
    deleted: list[str] = []
    interrupts = {s: NO_INTERRUPTS for s in ("resolved", "denied", "cancelled")}
    if name == "scripted":
        yield Backend(name, scripted_agent(deleted), deleted, skips={"invalid_input": NO_HTTP})
    elif name == "scripted-http":
        async with serve_ag_ui(scripted_agent(deleted)) as url:
            yield Backend(name, AgUiHttpAgent(url), deleted, rejecting=DropsThreadId(url))
    elif name == "openai":
        async with serve_fake_openai(FakeOpenAI()) as base:
            yield Backend(name, OpenAIChatAgent("scripted-1", api_key="sk-test", base_url=base),
                          deleted, channel=None,
                          rejecting=DropsModel("scripted-1", api_key="sk-test", base_url=base),
                          skips={"server_tool": NO_SERVER_TOOLS, **interrupts})
    elif name == "pydantic-ai":
        yield Backend(name, PydanticAIAgent(pydantic_agent(deleted)), deleted,
                      skips={"invalid_input": NO_HTTP})
    elif name == "pydantic-ai-http":
        async with serve_asgi(pydantic_app(pydantic_agent(deleted))) as url:
            yield Backend(name, AgUiHttpAgent(url), deleted, rejecting=DropsThreadId(url))
    elif name == "langgraph-http":
        async with serve_asgi(langgraph_app(deleted)) as url:
            yield Backend(name, AgUiHttpAgent(url), deleted, channel="legacy",
                          rejecting=DropsThreadId(url))


@pytest.fixture(params=["scripted", "scripted-http", "openai", "pydantic-ai",
                        "pydantic-ai-http", "langgraph-http"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    async with make_backend(request.param) as built:
        yield built


class Recording:
    """Passes runs through, keeping every input and event."""

    def __init__(self, inner: Agent) -> None:
        self.inner = inner
        self.inputs: list[agui.RunAgentInput] = []
        self.events: list[list[agui.BaseEvent]] = []

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        self.inputs.append(run_input)
        self.events.append([])
        events = self.inner.run(run_input)
        try:
            async for event in events:
                self.events[-1].append(event)
                yield event
        finally:
            await events.aclose()  # type: ignore[attr-defined]


def get_weather(city: str) -> str:
    """Today's weather in a city."""
    if city == "Atlantis":
        raise RuntimeError("weather service down")
    return f"sunny in {city}"


async def _approve(ctx: InteractionContext) -> None:
    await ctx.thread.resume({"approved": True})


async def _deny(ctx: InteractionContext) -> None:
    await ctx.thread.resume({"approved": False, "reason": "user said no"})


async def _cancel(ctx: InteractionContext) -> None:
    await ctx.thread.cancel_interrupt()


@dataclass
class Chat:
    fake: FakeAdapter
    agent: Recording
    interrupts: list[InterruptContext]

    def texts(self) -> list[str]:
        return self.fake.texts()


@contextlib.asynccontextmanager
async def chat_with(backend: Backend) -> AsyncIterator[Chat]:
    fake = FakeAdapter()
    recording = Recording(backend.agent)
    bot = create_bot(adapters=[fake], agent=recording, tools=[get_weather],
                     context=[("Company", "Acme Corp")])
    chat = Chat(fake, recording, [])

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    @bot.on_interrupt("*")
    async def ask(ctx: InterruptContext) -> None:
        chat.interrupts.append(ctx)
        await ctx.thread.post(ui.Message(ui.Section("May I?"), ui.Actions(
            ui.Button("Approve", on_click=_approve), ui.Button("Deny", on_click=_deny),
            ui.Button("Cancel", on_click=_cancel))))

    async with running(bot):
        yield chat


HELLO = "Hello, world!"


async def test_text_streams_in_pieces(backend: Backend) -> None:
    async with chat_with(backend) as chat:
        await chat.fake.emit_mention("hello")
    assert chat.texts() == [HELLO]
    [stream] = [s for s in chat.fake.sent if s.kind == "stream"]
    assert len([p for p in stream.parts if isinstance(p, str)]) >= 2
    assert chat.agent.inputs[0].protocol_version == "1.0"


async def test_bot_tool_round_trip(backend: Backend) -> None:
    async with chat_with(backend) as chat:
        await chat.fake.emit_mention("what is the weather in Paris")
    assert chat.texts() == ["The tool said: sunny in Paris"]
    assert len(chat.agent.inputs) == 2
    assert "get_weather" in [t.name for t in chat.agent.inputs[0].tools]
    [result] = [m for m in chat.agent.inputs[1].messages if isinstance(m, agui.ToolMessage)]
    assert result.content == "sunny in Paris"
    assert result.error is None


async def test_failing_bot_tool_is_reported_to_the_agent(backend: Backend) -> None:
    async with chat_with(backend) as chat:
        await chat.fake.emit_mention("what is the weather in Atlantis")
        await chat.fake.emit_mention("hello")
    reply, after = chat.texts()
    assert reply.startswith("The tool said:")
    assert "weather service down" in reply
    [result] = [m for m in chat.agent.inputs[1].messages if isinstance(m, agui.ToolMessage)]
    assert result.error is not None
    assert "weather service down" in result.error
    assert after == HELLO


async def test_server_side_tool_result(backend: Backend) -> None:
    backend.require("server_tool")
    async with chat_with(backend) as chat:
        await chat.fake.emit_mention("where is order 42")
    assert chat.texts() == ["The tool said: order 42 shipped"]
    assert len(chat.agent.inputs) == 1  # answered in-stream: the bot ran nothing
    results = [e for e in chat.agent.events[0] if isinstance(e, agui.ToolCallResultEvent)]
    assert [r.content for r in results] == ["order 42 shipped"]
    progress = chat.fake.tool_progress()
    assert ToolProgress(tool_call_id=results[0].tool_call_id, name="lookup_order",
                        done=True) in progress


async def _ask_approval(backend: Backend, chat: Chat) -> None:
    await chat.fake.emit_mention("please delete /tmp/x")
    assert len(chat.interrupts) == 1
    assert chat.texts()[-1].startswith("May I?")
    assert backend.deleted == []


def _resumed_on(backend: Backend, chat: Chat) -> None:
    resumed = chat.agent.inputs[1]
    if backend.channel == "outcome":
        assert resumed.resume
        assert resumed.resume[0].interrupt_id == \
            chat.interrupts[0].interrupts[0]["id"]
    else:
        assert isinstance(resumed.forwarded_props, dict)
        assert "resume" in resumed.forwarded_props["command"]


async def test_approval_interrupt_resolved(backend: Backend) -> None:
    backend.require("resolved")
    async with chat_with(backend) as chat:
        await _ask_approval(backend, chat)
        await chat.fake.click("Approve")
        await chat.fake.emit_mention("hello")
    assert chat.texts()[-2].endswith("deleted /tmp/x")
    assert chat.texts()[-1] == HELLO
    assert backend.deleted == ["/tmp/x"]
    assert len(chat.interrupts) == 1
    _resumed_on(backend, chat)


async def test_approval_interrupt_denied(backend: Backend) -> None:
    backend.require("denied")
    async with chat_with(backend) as chat:
        await _ask_approval(backend, chat)
        await chat.fake.click("Deny")
    assert "user said no" in chat.texts()[-1]
    assert "deleted /tmp/x" not in chat.texts()[-1]
    assert backend.deleted == []
    _resumed_on(backend, chat)


async def test_approval_interrupt_cancelled(backend: Backend) -> None:
    backend.require("cancelled")
    async with chat_with(backend) as chat:
        await _ask_approval(backend, chat)
        await chat.fake.click("Cancel")
        await chat.fake.emit_mention("hello")
    assert "cancelled" in chat.texts()[-2].lower()
    assert chat.texts()[-1] == HELLO
    assert backend.deleted == []
    assert len(chat.interrupts) == 1  # not asked again
    resumed = chat.agent.inputs[1]
    if backend.channel == "outcome":
        assert resumed.resume is not None
        assert [e.status for e in resumed.resume] == ["cancelled"]


async def test_run_error_is_shown_and_the_next_turn_works(backend: Backend) -> None:
    async with chat_with(backend) as chat:
        await chat.fake.emit_mention("boom")
        await chat.fake.emit_mention("hello")
    failure, after = chat.texts()
    assert "The agent failed:" in failure
    assert "model exploded" in failure
    assert after == HELLO


async def test_invalid_input_is_rejected_with_http_4xx(backend: Backend) -> None:
    backend.require("invalid_input")
    assert backend.rejecting is not None
    async with chat_with(backend) as chat:
        inner = chat.agent.inner
        chat.agent.inner = backend.rejecting
        await chat.fake.emit_mention("hello")
        chat.agent.inner = inner
        await chat.fake.emit_mention("hello")
    failure, after = chat.texts()
    assert "The agent failed:" in failure
    assert "rejected the request (HTTP 4" in failure
    assert "threadId" in failure or "model" in failure
    assert after == HELLO


async def test_message_ids_are_reused_without_duplicates(backend: Backend) -> None:
    async with chat_with(backend) as chat:
        for text in ("hello", "hello again", "weather in Paris", "hello"):
            await chat.fake.emit_mention(text)
    replies = [HELLO, HELLO, "The tool said: sunny in Paris", HELLO]
    assert chat.texts() == replies
    for run_input in chat.agent.inputs:
        ids = [m.id for m in run_input.messages]
        assert len(ids) == len(set(ids))
    last = chat.agent.inputs[-1]
    assert [m.content for m in last.messages if isinstance(m, agui.AssistantMessage)
            and m.content] == replies[:3]
    snapshots = [e for e in chat.agent.events[-1] if isinstance(e, agui.MessagesSnapshotEvent)]
    if snapshots:  # the agent keeps the history: it must hold every reply exactly once
        held = [m for m in snapshots[-1].messages
                if isinstance(m, agui.AssistantMessage) and m.content]
        assert [m.content for m in held] == replies
        produced = {m.id for m in snapshots[-1].messages}
        assert {m.id for m in last.messages if isinstance(m, agui.AssistantMessage)} <= produced
