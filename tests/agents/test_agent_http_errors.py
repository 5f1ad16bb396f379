"""The httpx backends' failure paths (respx): each failure is an ``AgentError`` shown in
the conversation as "The agent failed: …", nothing is retried, the next turn works, and
credentials in headers never reach the logs."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import respx

from botkit import AgUiHttpAgent, OpenAIChatAgent, TurnContext, create_bot
from botkit.agents.base import Agent
from botkit.testing import FakeAdapter, running

AGENT_URL = "http://agent.test/run"
OPENAI_BASE = "http://llm.test/v1"
SECRET = "s3cret-Token-0123456789"
SSE = {"content-type": "text/event-stream"}


def sse(*events: Any) -> bytes:
    return b"".join(f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n".encode()
                    for e in events)


def agui_reply(text: str) -> bytes:
    ids = {"threadId": "t", "runId": "r"}
    return sse({"type": "RUN_STARTED", **ids},
               {"type": "TEXT_MESSAGE_START", "messageId": "a1", "role": "assistant"},
               {"type": "TEXT_MESSAGE_CONTENT", "messageId": "a1", "delta": text},
               {"type": "TEXT_MESSAGE_END", "messageId": "a1"},
               {"type": "RUN_FINISHED", **ids, "outcome": {"type": "success"}})


def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def openai_reply(text: str) -> bytes:
    return sse(chunk({"role": "assistant", "content": text}), chunk({}, "stop"), "[DONE]")


@dataclass
class Flavor:
    """One httpx backend: how to build it, where it posts, what its streams look like."""

    name: str
    url: str
    make: Callable[..., Agent]
    reply: Callable[[str], bytes]
    truncated: bytes
    run_error: bytes


FLAVORS = [
    Flavor("ag-ui", AGENT_URL,
           lambda **kw: AgUiHttpAgent(AGENT_URL, headers={"Authorization": f"Bearer {SECRET}"},
                                      **kw),
           agui_reply,
           truncated=sse({"type": "RUN_STARTED", "threadId": "t", "runId": "r"},
                         {"type": "TEXT_MESSAGE_CHUNK", "messageId": "a1", "delta": "Hal"}),
           run_error=sse({"type": "RUN_STARTED", "threadId": "t", "runId": "r"},
                         {"type": "RUN_ERROR", "message": "quota exceeded"})),
    Flavor("openai", f"{OPENAI_BASE}/chat/completions",
           lambda **kw: OpenAIChatAgent("m-1", api_key=SECRET, base_url=OPENAI_BASE, **kw),
           openai_reply,
           truncated=sse(chunk({"role": "assistant", "content": "Hal"})),
           run_error=sse(chunk({"role": "assistant", "content": ""}),
                         {"error": {"message": "quota exceeded"}})),
]


@pytest.fixture(params=FLAVORS, ids=lambda f: f.name)
def flavor(request: pytest.FixtureRequest) -> Flavor:
    return request.param  # type: ignore[no-any-return]


async def two_turns(agent: Agent) -> list[str]:
    """A failing turn, then a turn that must work again."""
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], agent=agent)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    async with running(bot):
        await fake.emit_mention("first")
        await fake.emit_mention("second")
    return fake.texts()


def first_fails_with(failure: httpx.Response | Exception, flavor: Flavor
                     ) -> Callable[[httpx.Request], httpx.Response]:
    calls: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            if isinstance(failure, Exception):
                raise failure
            return failure
        return httpx.Response(200, headers=SSE, content=flavor.reply("all good"))

    return handle


def assert_failed_then_recovered(texts: list[str], *needles: str) -> None:
    failure, after = texts
    assert failure.startswith("· ⚠️ The agent failed: ")
    for needle in needles:
        assert needle in failure
    assert SECRET not in failure
    assert after == "all good"


CASES = {
    "connection refused": (httpx.ConnectError("[Errno 111] Connection refused"),
                           ["could not connect to the"]),
    "http 401": (httpx.Response(401, json={"error": {"message": "invalid api key"}}),
                 ["rejected the request (HTTP 401): invalid api key"]),
    "http 422": (httpx.Response(422, json={"detail": [{"loc": ["body", "threadId"],
                                                        "msg": "Field required"}]}),
                 ["rejected the request (HTTP 422): body.threadId: Field required"]),
    "http 503": (httpx.Response(503, text="upstream overloaded"),
                 ["failed (HTTP 503): upstream overloaded"]),
    "read timeout": (httpx.ReadTimeout("timed out"), ["timed out (no data for too long)"]),
    "connect timeout": (httpx.ConnectTimeout("timed out"), ["could not connect in time"]),
    "broken connection": (httpx.RemoteProtocolError("peer closed connection"),
                          ["connection to the", "RemoteProtocolError"]),
    "not an event stream": (httpx.Response(200, json={"ok": True}),
                            ["'application/json' instead of an event stream"]),
    "malformed json": (httpx.Response(200, headers=SSE, content=b"data: {not json\n\n"),
                       ["malformed JSON"]),
}


@pytest.mark.parametrize("case", list(CASES))
@respx.mock(assert_all_called=True)
async def test_transport_failures_are_shown_and_the_next_turn_works(
    flavor: Flavor, case: str, respx_mock: respx.MockRouter
) -> None:
    failure, needles = CASES[case]
    route = respx_mock.post(flavor.url).mock(side_effect=first_fails_with(failure, flavor))
    assert_failed_then_recovered(await two_turns(flavor.make()), *needles)
    assert route.call_count == 2  # never retried


@respx.mock
async def test_a_stream_without_run_finished_is_a_failure(
    flavor: Flavor, respx_mock: respx.MockRouter
) -> None:
    truncated = httpx.Response(200, headers=SSE, content=flavor.truncated)
    respx_mock.post(flavor.url).mock(side_effect=first_fails_with(truncated, flavor))
    texts = await two_turns(flavor.make())
    assert texts[0] == "Hal"  # what arrived is still shown
    assert_failed_then_recovered(texts[1:], "ended its stream before")


@respx.mock
async def test_run_error_is_shown(flavor: Flavor, respx_mock: respx.MockRouter) -> None:
    failed = httpx.Response(200, headers=SSE, content=flavor.run_error)
    respx_mock.post(flavor.url).mock(side_effect=first_fails_with(failed, flavor))
    assert_failed_then_recovered(await two_turns(flavor.make()), "quota exceeded")


@respx.mock
async def test_the_per_run_deadline_ends_a_stalled_stream(
    flavor: Flavor, respx_mock: respx.MockRouter
) -> None:
    never = asyncio.Event()

    async def stalls() -> AsyncIterator[bytes]:
        yield flavor.truncated
        await never.wait()
        yield b""  # pragma: no cover

    stalled = httpx.Response(200, headers=SSE, content=stalls())
    respx_mock.post(flavor.url).mock(side_effect=first_fails_with(stalled, flavor))
    texts = await two_turns(flavor.make(deadline=0.2))
    assert_failed_then_recovered(texts[1:], "did not finish within the deadline of 0.2 s")


async def test_a_refused_connection_for_real(flavor: Flavor) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    agent: Agent = AgUiHttpAgent(url) if flavor.name == "ag-ui" else \
        OpenAIChatAgent("m", api_key="k", base_url=url)
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake], agent=agent)
    bot.on_mention(lambda ctx: ctx.thread.run_agent())
    async with running(bot):
        await fake.emit_mention("hello")
    assert fake.texts() == [f"· ⚠️ The agent failed: could not connect to the "
                            f"{'agent' if flavor.name == 'ag-ui' else 'model server'} at "
                            f"http://127.0.0.1:{port}/v1"]


@respx.mock
async def test_secrets_in_headers_never_reach_the_logs(
    flavor: Flavor, respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    route = respx_mock.post(flavor.url).mock(side_effect=first_fails_with(
        httpx.Response(401, json={"error": {"message": "bad credentials"}}), flavor))
    agent = flavor.make()
    texts = await two_turns(agent)
    assert route.calls[0].request.headers["Authorization"] == f"Bearer {SECRET}"
    assert "bad credentials" in texts[0]
    assert caplog.records  # something was logged (httpx, httpcore, botkit) …
    assert SECRET not in caplog.text  # … but never the credential
    assert SECRET not in repr(agent)
    assert "<redacted>" in repr(agent) or flavor.name == "openai"
