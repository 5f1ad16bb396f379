"""The wire details of the backends: SSE framing, lenient AG-UI decoding, the AG-UI test
server, the OpenAI request mapping, the pydantic-ai install hint, and ``botkit run``'s
``--agent`` / ``--openai`` flags."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import ag_ui.core as agui
import httpx
import pytest
import respx

from botkit import AgUiHttpAgent, Bot, OpenAIChatAgent, TurnContext, UserError, create_bot
from botkit.agents._wire import EventDecoder, iter_sse
from botkit.agents.openai import chat_messages
from botkit.agents.pydantic_ai import PydanticAIAgent
from botkit.cli import main
from botkit.errors import AgentError
from botkit.testing import FakeAdapter, Say, ScriptedAgent, running, serve_ag_ui

URL = "http://agent.test/run"
SSE = {"content-type": "text/event-stream"}
IDS = {"threadId": "t", "runId": "r"}


def sse(*events: Any) -> bytes:
    return b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


async def test_sse_framing() -> None:
    got = [d async for d in iter_sse(lines(
        ": keep-alive", "event: message", "id: 7", "retry: 100", "data: {\"a\":", "data:  1}",
        "", "", "data:no-space", "", "data: last without a blank line"))]
    assert got == ['{"a":\n 1}', "no-space", "last without a blank line"]


def test_decoder_is_lenient_with_what_it_does_not_know(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    decoder = EventDecoder()
    assert decoder.decode('{"type": "FUTURE_EVENT", "x": 1}') is None
    assert decoder.decode('{"type": "FUTURE_EVENT"}') is None
    assert decoder.decode('{"type": "THINKING_START"}') is None
    finished = decoder.decode(json.dumps({"type": "RUN_FINISHED", **IDS,
                                          "outcome": {"type": "handoff", "to": "x"}}))
    assert isinstance(finished, agui.RunFinishedEvent)
    assert finished.outcome is None  # an unknown outcome reads as success
    snapshot = decoder.decode(json.dumps({"type": "MESSAGES_SNAPSHOT", "messages": [
        {"id": "1", "role": "user", "content": "hi"}, {"id": "2", "role": "narrator"}]}))
    assert isinstance(snapshot, agui.MessagesSnapshotEvent)
    assert [m.id for m in snapshot.messages] == ["1"]
    started = decoder.decode(json.dumps({"type": "RUN_STARTED", **IDS, "protocolVersion": "2.0",
                                         "extra": "kept"}))
    assert isinstance(started, agui.RunStartedEvent)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "FUTURE_EVENT" in w]) == 1  # once per kind
    assert any("THINKING_START" in w for w in warnings)
    assert any("'handoff'" in w for w in warnings)
    assert any("unknown roles" in w for w in warnings)
    assert any("AG-UI 2.0" in w for w in warnings)


@pytest.mark.parametrize(("data", "message"), [
    ("{nope", "malformed JSON"),
    ('["RUN_STARTED"]', "without a type"),
    ('{"type": "RUN_STARTED", "threadId": "t"}', "invalid RUN_STARTED event (runId: Field"),
    ('{"type": "RUN_FINISHED", "threadId": "t", "runId": "r", '
     '"outcome": {"type": "interrupt", "interrupts": "soon"}}', "invalid RUN_FINISHED"),
])
def test_decoder_rejects_malformed_known_events(data: str, message: str) -> None:
    with pytest.raises(AgentError, match=message.replace("(", r"\(")):
        EventDecoder().decode(data)


async def run_turns(agent: Any, *texts: str) -> tuple[FakeAdapter, Bot]:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], agent=agent)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    async with running(bot):
        for text in texts:
            await fake.emit_mention(text)
    return fake, bot


@respx.mock
async def test_an_ag_ui_stream_with_chunks_state_reasoning_and_snapshots(
    respx_mock: respx.MockRouter
) -> None:
    body = sse(
        {"type": "RUN_STARTED", **IDS, "protocolVersion": "1.0"},
        {"type": "STATE_SNAPSHOT", "snapshot": {"count": 1}},
        {"type": "REASONING_START", "messageId": "r1"},
        {"type": "REASONING_MESSAGE_CHUNK", "messageId": "r1", "delta": "let me think"},
        {"type": "REASONING_END", "messageId": "r1"},
        {"type": "THINKING_TEXT_MESSAGE_CONTENT", "delta": "legacy thoughts"},
        {"type": "SOMETHING_NEW", "value": 1},
        {"type": "TEXT_MESSAGE_CHUNK", "messageId": "a1", "role": "assistant", "delta": "Hel"},
        {"type": "TEXT_MESSAGE_CHUNK", "delta": "lo"},
        {"type": "STATE_DELTA", "delta": [{"op": "replace", "path": "/count", "value": 2}]},
        {"type": "MESSAGES_SNAPSHOT", "messages": [
            {"id": "u-old", "role": "assistant", "content": "from an earlier turn"},
            {"id": "u1", "role": "user", "content": "hi"},
            {"id": "a1", "role": "assistant", "content": "Hello"},
            {"id": "a2", "role": "assistant", "content": "A node's own message"}]},
        {"type": "RUN_FINISHED", **IDS, "outcome": {"type": "success"}})
    route = respx_mock.post(URL).mock(return_value=httpx.Response(200, headers=SSE,
                                                                  content=body))
    fake, bot = await run_turns(AgUiHttpAgent(URL), "hi")
    assert fake.texts() == ["Hello", "A node's own message"]  # reasoning never posted
    assert await bot.thread("fake", fake.conversation()).get_state() == {"count": 2}
    sent = json.loads(route.calls[0].request.content)
    assert sent["threadId"] == "C1:t1"
    assert sent["protocolVersion"] == "1.0"
    assert "thread_id" not in sent  # camelCase on the wire, absent fields left out
    assert "parentRunId" not in sent
    assert route.calls[0].request.headers["accept"] == "text/event-stream"


@respx.mock
async def test_tool_call_chunks_and_pending_ids(respx_mock: respx.MockRouter) -> None:
    first = sse({"type": "RUN_STARTED", **IDS},
                {"type": "TOOL_CALL_CHUNK", "toolCallId": "c1", "toolCallName": "shout",
                 "parentMessageId": "a1", "delta": '{"text": '},
                {"type": "TOOL_CALL_CHUNK", "delta": '"hey"}'},
                {"type": "RUN_FINISHED", **IDS,
                 "outcome": {"type": "success", "pendingToolCallIds": ["c1"]}})
    second = sse({"type": "RUN_STARTED", **IDS},
                 {"type": "TEXT_MESSAGE_CHUNK", "messageId": "a2", "delta": "done"},
                 {"type": "RUN_FINISHED", **IDS})
    route = respx_mock.post(URL).mock(side_effect=[
        httpx.Response(200, headers=SSE, content=first),
        httpx.Response(200, headers=SSE, content=second)])
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], agent=AgUiHttpAgent(URL))
    bot.on_mention(lambda ctx: ctx.thread.run_agent())

    @bot.tool
    def shout(text: str) -> str:
        """Shout."""
        return text.upper()

    async with running(bot):
        await fake.emit_mention("go")
    assert fake.texts() == ["done"]
    resent = json.loads(route.calls[1].request.content)["messages"]
    assert resent[-2]["id"] == "a1"  # the server's id for the assistant message is kept
    assert resent[-2]["toolCalls"][0]["function"] == {"name": "shout",
                                                      "arguments": '{"text": "hey"}'}
    assert resent[-1] == {"id": "result-c1", "role": "tool", "toolCallId": "c1",
                          "content": "HEY"}


async def test_the_test_server_answers_invalid_input_with_422_and_non_json_with_415() -> None:
    async with serve_ag_ui(ScriptedAgent(default=Say("hi"))) as url, httpx.AsyncClient() as http:
        invalid = await http.post(url, json={"threadId": "t"})
        not_json = await http.post(url, content=b"hi", headers={"content-type": "text/plain"})
        valid = await http.post(url, json={"threadId": "t", "runId": "r", "messages": []})
    assert invalid.status_code == 422
    assert {tuple(d["loc"]) for d in invalid.json()["detail"]} >= {("runId",), ("messages",)}
    assert not_json.status_code == 415
    assert valid.status_code == 200
    assert valid.headers["content-type"].startswith("text/event-stream")
    assert [json.loads(line[6:])["type"] for line in valid.text.splitlines() if line] == [
        "RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END",
        "STATE_SNAPSHOT", "RUN_FINISHED"]


class Crashes:
    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        yield agui.RunStartedEvent(thread_id=run_input.thread_id, run_id=run_input.run_id)
        raise AgentError("the database is gone")


async def test_a_served_agent_that_raises_ends_the_stream_with_run_error(
    caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with serve_ag_ui(lambda thread_id: Crashes()) as url:
        agent = AgUiHttpAgent(url, headers={"Authorization": "Bearer real-Secret-42"})
        fake, _ = await run_turns(agent, "hi")
    assert fake.texts() == ["· ⚠️ The agent failed: the database is gone"]
    assert "real-Secret-42" not in caplog.text  # real sockets: httpcore logs too


def test_openai_request_mapping() -> None:
    run_input = agui.RunAgentInput.model_validate({
        "threadId": "t", "runId": "r", "state": {}, "forwardedProps": {},
        "context": [{"description": "Company", "value": "Acme"}],
        "tools": [{"name": "shout", "description": "Shout.", "parameters": {
            "type": "object", "properties": {"text": {"type": "string"}}}}],
        "messages": [
            {"id": "s", "role": "system", "content": "Be brief."},
            {"id": "u", "role": "user", "name": "Alice", "content": [
                {"type": "text", "text": "look"},
                {"type": "image", "source": {"type": "data", "value": "QUJD",
                                             "mimeType": "image/png"}}]},
            {"id": "a", "role": "assistant", "content": "calling",
             "toolCalls": [{"id": "c1", "type": "function",
                            "function": {"name": "shout", "arguments": "{}"}}]},
            {"id": "x", "role": "tool", "toolCallId": "c1", "content": "",
             "error": "text is required"},
            {"id": "act", "role": "activity", "activityType": "progress", "content": {}},
            {"id": "e", "role": "assistant"}]})
    body = OpenAIChatAgent("m", api_key="k", extra_body={"temperature": 0}).build_body(run_input)
    assert body["messages"] == [
        {"role": "system", "content": "Context:\n- Company: Acme"},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": [
            {"type": "text", "text": "look"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,QUJD"}}]},
        {"role": "assistant", "content": "calling", "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "shout", "arguments": "{}"}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "Error: text is required"}]
    assert body["tools"] == [{"type": "function", "function": {
        "name": "shout", "description": "Shout.",
        "parameters": {"type": "object", "properties": {"text": {"type": "string"}}}}}]
    assert body["stream"] is True
    assert body["temperature"] == 0
    assert chat_messages(run_input) == body["messages"]


def test_openai_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(UserError, match="OPENAI_MODEL"):
        OpenAIChatAgent()
    with pytest.raises(UserError, match="OPENAI_API_KEY"):
        OpenAIChatAgent("gpt-x")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_MODEL", "gpt-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://local.test/v1/")
    agent = OpenAIChatAgent()
    assert (agent.model, agent.base_url) == ("gpt-env", "http://local.test/v1")
    assert "sk-from-env" not in repr(agent)


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


@respx.mock
async def test_openai_tool_calls_are_joined_by_index_whatever_finish_reason_says(
    respx_mock: respx.MockRouter
) -> None:
    def call(index: int | None, **fields: Any) -> dict[str, Any]:
        fragment = {"index": index, **fields} if index is not None else fields
        return chunk({"tool_calls": [fragment]})

    calls = sse(
        chunk({"role": "assistant", "content": "On it. "}),
        call(0, id="c1", type="function", function={"name": "shout", "arguments": ""}),
        call(1, id="c2", type="function", function={"name": "shout", "arguments": '{"te'}),
        call(0, function={"arguments": '{"text": "a"}'}),
        call(1, function={"arguments": 'xt": "b"}'}),
        call(None, id="c3", function={"arguments": '{"text": '}),  # no index, args first
        call(None, function={"name": "shout", "arguments": '"c"}'}),
        chunk({}, "stop"),
        {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 3,
                                  "total_tokens": 8}}) + b"data: [DONE]\n\n"
    answer = sse(chunk({"content": "Shouted."}, "stop")) + b"data: [DONE]\n\n"
    route = respx_mock.post("http://llm.test/v1/chat/completions").mock(side_effect=[
        httpx.Response(200, headers=SSE, content=calls),
        httpx.Response(200, headers=SSE, content=answer)])
    shouted: list[str] = []
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], agent=OpenAIChatAgent(
        "m", api_key="k", base_url="http://llm.test/v1"))
    bot.on_mention(lambda ctx: ctx.thread.run_agent())

    @bot.tool
    def shout(text: str) -> str:
        """Shout."""
        shouted.append(text)
        return text.upper()

    async with running(bot):
        await fake.emit_mention("shout a, b and c")
    assert shouted == ["a", "b", "c"]
    assert fake.texts() == ["On it. ", "Shouted."]
    resent = json.loads(route.calls[1].request.content)["messages"]
    assert [m["role"] for m in resent[-4:]] == ["assistant", "tool", "tool", "tool"]
    assert [c["id"] for c in resent[-4]["tool_calls"]] == ["c1", "c2", "c3"]
    assert [m["content"] for m in resent[-3:]] == ["A", "B", "C"]


def test_pydantic_ai_missing_gives_an_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pydantic_ai.ui.ag_ui", None)
    with pytest.raises(UserError, match=r'pip install "botkit\[pydantic-ai\]"'):
        PydanticAIAgent(object())  # type: ignore[arg-type]


APP = """
from botkit import create_bot
from botkit.testing import ScriptedAgent
bot = create_bot(agent=ScriptedAgent())
"""


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    (tmp_path / "cli_app.py").write_text(APP)
    chosen: list[Any] = []
    monkeypatch.setattr(Bot, "run", lambda self: chosen.append(self.agent))
    monkeypatch.setenv("BOTKIT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    return chosen


def test_cli_agent_and_openai_flags(app: list[Any], monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert main(["run", "cli_app.py", "--agent", "http://127.0.0.1:9/agent"]) == 0
    assert main(["run", "cli_app.py", "--openai", "gpt-test"]) == 0
    assert main(["run", "cli_app.py"]) == 0
    http, openai, default = app
    assert isinstance(http, AgUiHttpAgent)
    assert http.url == "http://127.0.0.1:9/agent"
    assert isinstance(openai, OpenAIChatAgent)
    assert openai.model == "gpt-test"
    assert isinstance(default, ScriptedAgent)
    monkeypatch.delenv("OPENAI_API_KEY")
    assert main(["run", "cli_app.py", "--openai", "gpt-test"]) == 2
    assert main(["run", "cli_app.py", "--agent", "ftp://nope"]) == 2
    assert main(["run", "cli_app.py", "--agent", "http://a.test", "--openai", "m"]) == 2
    errors = capsys.readouterr().err
    assert "OPENAI_API_KEY" in errors
    assert "not an http(s) URL" in errors
    assert "not both" in errors


class KeepsHistory:
    """An agent that holds the conversation itself (like LangGraph): it answers with text
    and a tool call in ONE message, and sends a MESSAGES_SNAPSHOT of everything it holds."""

    def __init__(self) -> None:
        self.held: list[dict[str, Any]] = []
        self.inputs: list[agui.RunAgentInput] = []

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        self.inputs.append(run_input)
        ids = {"thread_id": run_input.thread_id, "run_id": run_input.run_id}
        yield agui.RunStartedEvent(**ids)
        sent = run_input.model_dump(by_alias=True, exclude_none=True)["messages"]
        known = {m["id"] for m in self.held}
        self.held += [m for m in sent if m["id"] not in known]  # unknown ids are added
        n = len(run_input.messages)
        if sent[-1]["role"] == "user" and sent[-1]["content"] == "look it up":
            mid, call = f"srv-{n}", {"id": f"c{n}", "type": "function",
                                     "function": {"name": "shout", "arguments": '{"text":"x"}'}}
            yield agui.TextMessageStartEvent(message_id=mid)
            yield agui.TextMessageContentEvent(message_id=mid, delta="Checking.")
            yield agui.TextMessageEndEvent(message_id=mid)
            yield agui.ToolCallStartEvent(tool_call_id=call["id"], tool_call_name="shout",
                                          parent_message_id=mid)
            yield agui.ToolCallArgsEvent(tool_call_id=call["id"], delta='{"text":"x"}')
            yield agui.ToolCallEndEvent(tool_call_id=call["id"])
            self.held.append({"id": mid, "role": "assistant", "content": "Checking.",
                              "toolCalls": [call]})
        else:
            mid = f"srv-{n}"
            yield agui.TextMessageChunkEvent(message_id=mid, delta=f"reply {n}")
            self.held.append({"id": mid, "role": "assistant", "content": f"reply {n}"})
        yield agui.MessagesSnapshotEvent.model_validate({"messages": self.held})
        yield agui.RunFinishedEvent(**ids)


async def test_an_agent_holding_the_history_gets_its_own_ids_back() -> None:
    agent = KeepsHistory()
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], agent=agent)
    bot.on_mention(lambda ctx: ctx.thread.run_agent())

    @bot.tool
    def shout(text: str) -> str:
        """Shout."""
        return text.upper()

    async with running(bot):
        for text in ("hi", "look it up", "thanks"):
            await fake.emit_mention(text)
    assert fake.texts() == ["reply 1", "Checking.", "reply 5", "reply 7"]
    for run_input in agent.inputs:
        assert len({m.id for m in run_input.messages}) == len(run_input.messages)
    last = agent.inputs[-1].model_dump(by_alias=True, exclude_none=True)["messages"]
    assert [(m["id"], m["role"]) for m in last] == [
        ("u1", "user"), ("srv-1", "assistant"), ("u3", "user"), ("srv-3", "assistant"),
        ("result-c3", "tool"), ("srv-5", "assistant"), ("u7", "user")]
    assert last[3]["content"] == "Checking."  # text and call: one message again
    assert [c["id"] for c in last[3]["toolCalls"]] == ["c3"]
    assert [m["id"] for m in agent.held] == [m["id"] for m in last] + ["srv-7"]
