"""Offline agent peers for the conformance suite, all playing the same little script.

Every peer answers the latest user message the same way:

- "weather in X"  → calls the bot tool ``get_weather(city=X)``, then says
  "The tool said: <result>";
- "order N"       → runs its own tool ``lookup_order`` (TOOL_CALL_RESULT in the stream),
  then says "The tool said: order N shipped";
- "delete PATH"   → asks for approval, then "deleted PATH" / "Not deleted: <reason>" /
  a cancellation notice (recording real deletions in ``deleted``);
- "boom"          → the model fails with "model exploded";
- anything else   → streams "Hello, world!" in several pieces.

Peers: botkit's ScriptedAgent; a pydantic-ai agent on ``FunctionModel``; a LangGraph graph
with a scripted chat model behind ag-ui-langgraph's FastAPI endpoint; a fake OpenAI
Chat Completions server (aiohttp). HTTP servers listen on 127.0.0.1, port 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pydantic_ai.models
import uvicorn
from ag_ui_langgraph import LangGraphAgent, add_langgraph_fastapi_endpoint
from aiohttp import web
from fastapi import FastAPI
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import interrupt
from pydantic_ai import Agent as PydanticAgent
from pydantic_ai import DeferredToolRequests
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    RetryPromptPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

from botkit.testing import (
    CallTool,
    Fail,
    Interrupt,
    Rule,
    Say,
    ScriptContext,
    ScriptedAgent,
    ServerTool,
)

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False  # FunctionModel only: never a real model

HELLO = ["Hello", ", ", "world!"]
WEATHER = re.compile(r"weather in (\w+)", re.IGNORECASE)
ORDER = re.compile(r"order (\d+)", re.IGNORECASE)
DELETE = re.compile(r"delete (\S+)", re.IGNORECASE)


def approval_text(answer: Any, path: str, deleted: list[str]) -> str:
    """What a peer says after the human answered the approval question."""
    if not isinstance(answer, dict) or answer.get("cancelled") or answer.get("__agui_cancelled__"):
        return "Cancelled: nothing was deleted."
    if answer.get("approved"):
        deleted.append(path)
        return f"deleted {path}"
    return f"Not deleted: {answer.get('reason')}"


# -- botkit's ScriptedAgent ---------------------------------------------------------------
def scripted_agent(deleted: list[str]) -> ScriptedAgent:
    def after_approval(ctx: ScriptContext) -> str:
        path = ctx.match.group(1) if ctx.match else "?"
        return approval_text(ctx.resume, path, deleted)

    return ScriptedAgent([
        Rule(WEATHER.pattern, CallTool("get_weather", lambda s: {"city": s.match.group(1)
                                                                 if s.match else ""}),
             Say("The tool said: {result}")),
        Rule(ORDER.pattern, ServerTool("lookup_order", lambda s: {"order_id": s.match.group(1)
                                                                  if s.match else ""},
                                       result="order {1} shipped"),
             Say("The tool said: {result}")),
        Rule(DELETE.pattern, Interrupt({"question": "Delete it?"}), Say(after_approval)),
        Rule(r"boom", Fail("model exploded")),
    ], default=Say("".join(HELLO)))


# -- pydantic-ai with FunctionModel ----------------------------------------------------------
def _last_request(messages: list[ModelMessage]) -> ModelRequest:
    return next(m for m in reversed(messages) if isinstance(m, ModelRequest))


async def _pydantic_stream(messages: list[ModelMessage], info: AgentInfo
                           ) -> AsyncIterator[str | dict[int, DeltaToolCall]]:
    parts = _last_request(messages).parts
    prompts = [p for p in parts if isinstance(p, UserPromptPart)]
    if not prompts:  # a tool answered
        answer = next(p for p in reversed(parts) if isinstance(p, ToolReturnPart | RetryPromptPart))
        said = answer.model_response_str() if isinstance(answer, ToolReturnPart) \
            else answer.model_response()
        yield f"The tool said: {said}"
        return
    text = str(prompts[-1].content)
    call: tuple[str, dict[str, Any]] | None = None
    if found := WEATHER.search(text):
        call = ("get_weather", {"city": found.group(1)})
    elif found := ORDER.search(text):
        call = ("lookup_order", {"order_id": int(found.group(1))})
    elif found := DELETE.search(text):
        call = ("delete_file", {"path": found.group(1)})
    elif "boom" in text:
        raise RuntimeError("model exploded")
    if call is not None:
        yield {0: DeltaToolCall(name=call[0], json_args=json.dumps(call[1]),
                                tool_call_id=f"call_{call[0]}")}
        return
    for piece in HELLO:
        yield piece


def pydantic_agent(deleted: list[str]) -> PydanticAgent[None, str | DeferredToolRequests]:
    agent: PydanticAgent[None, str | DeferredToolRequests] = PydanticAgent(
        FunctionModel(stream_function=_pydantic_stream), output_type=[str, DeferredToolRequests])

    @agent.tool_plain(requires_approval=True)
    def delete_file(path: str) -> str:
        """Delete a file (asks a human first)."""
        deleted.append(path)
        return f"deleted {path}"

    @agent.tool_plain
    def lookup_order(order_id: int) -> str:
        """Look an order up."""
        return f"order {order_id} shipped"

    return agent


def pydantic_app(agent: PydanticAgent[None, str | DeferredToolRequests]) -> Any:
    from pydantic_ai.ui.ag_ui import AGUIAdapter
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def run(request: Request) -> Response:
        return await AGUIAdapter.dispatch_request(request, agent=agent)

    return Starlette(routes=[Route("/agent", run, methods=["POST"])])


# -- LangGraph + ag-ui-langgraph ---------------------------------------------------------------
def _human_text(messages: list[BaseMessage]) -> str:
    return next((str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), "")


class ScriptedChatModel(BaseChatModel):
    """A LangChain chat model that plays the script (streaming like a real provider)."""

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _decide(self, messages: list[BaseMessage]) -> AIMessage:
        if isinstance(messages[-1], ToolMessage):
            return AIMessage(content=f"The tool said: {messages[-1].content}")
        text = _human_text(messages)
        if found := WEATHER.search(text):
            name, args = "get_weather", {"city": found.group(1)}
        elif found := ORDER.search(text):
            name, args = "lookup_order", {"order_id": int(found.group(1))}
        elif "boom" in text:
            raise RuntimeError("model exploded")
        else:
            return AIMessage(content="".join(HELLO))
        return AIMessage(content="", tool_calls=[{"name": name, "args": args,
                                                  "id": f"call_{name}", "type": "tool_call"}])

    def _generate(self, messages: list[BaseMessage], stop: Any = None,
                  run_manager: Any = None, **kw: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._decide(messages))])

    def _stream(self, messages: list[BaseMessage], stop: Any = None,
                run_manager: Any = None, **kw: Any) -> Iterator[ChatGenerationChunk]:
        message = self._decide(messages)
        if message.tool_calls:  # name first, arguments after (as real providers do)
            call = message.tool_calls[0]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[
                {"name": call["name"], "args": "", "id": call["id"], "index": 0}]))
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[
                {"name": None, "args": json.dumps(call["args"]), "id": None, "index": 0}]))
            return
        pieces = HELLO if message.content == "".join(HELLO) else [str(message.content)]
        for piece in pieces:
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))


@tool
def lookup_order(order_id: int) -> str:
    """Look an order up."""
    return f"order {order_id} shipped"


class GraphState(MessagesState):
    tools: list[Any]


def langgraph_app(deleted: list[str]) -> Any:
    model = ScriptedChatModel()

    async def chat(state: GraphState, config: RunnableConfig) -> dict[str, Any]:
        if isinstance(state["messages"][-1], HumanMessage) \
                and DELETE.search(_human_text(state["messages"])):
            return {}
        return {"messages": [await model.ainvoke(state["messages"], config)]}

    def route(state: GraphState) -> str:
        last = state["messages"][-1]
        if isinstance(last, HumanMessage) and DELETE.search(str(last.content)):
            return "approval"
        if isinstance(last, AIMessage) and any(c["name"] == "lookup_order"
                                               for c in last.tool_calls):
            return "tools"
        return END  # text, or a bot tool call the client answers

    async def approval(state: GraphState) -> dict[str, Any]:
        found = DELETE.search(_human_text(state["messages"]))
        path = found.group(1) if found else "?"
        answer = interrupt({"question": f"Delete {path}?"})
        return {"messages": [AIMessage(content=approval_text(answer, path, deleted))]}

    graph = StateGraph(GraphState)
    graph.add_node("chat", chat)
    graph.add_node("approval", approval)
    graph.add_node("tools", ToolNode([lookup_order]))
    graph.add_edge(START, "chat")
    graph.add_conditional_edges("chat", route, ["approval", "tools", END])
    graph.add_edge("tools", "chat")
    graph.add_edge("approval", END)
    app = FastAPI()
    add_langgraph_fastapi_endpoint(app, LangGraphAgent(  # default flags: legacy interrupts
        name="scripted", graph=graph.compile(checkpointer=InMemorySaver()),
        emit_raw_events=False), path="/agent")
    return app


# -- a fake OpenAI Chat Completions server --------------------------------------------------
class FakeOpenAI:
    """Streams scripted chunks; ``requests`` keeps every request body it received."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "scripted-1",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def chunks(self, messages: list[dict[str, Any]]) -> list[Any]:
        last = messages[-1]
        if last["role"] == "tool":
            said = f"The tool said: {last['content']}"
            return [self._chunk({"role": "assistant", "content": said}), self._chunk({}, "stop")]
        text = last["content"] if isinstance(last["content"], str) else ""
        if found := WEATHER.search(text):  # fragments by index; finish_reason lies ("stop")
            args = json.dumps({"city": found.group(1)})
            return [self._chunk({"role": "assistant", "content": None}),
                    self._chunk({"tool_calls": [{"index": 0, "id": "call_w1", "type": "function",
                                                 "function": {"name": "get_weather",
                                                              "arguments": ""}}]}),
                    self._chunk({"tool_calls": [{"index": 0,
                                                 "function": {"arguments": args[:5]}}]}),
                    self._chunk({"tool_calls": [{"index": 0,
                                                 "function": {"arguments": args[5:]}}]}),
                    self._chunk({}, "stop")]
        if "boom" in text:
            return [self._chunk({"role": "assistant", "content": ""}),
                    {"error": {"message": "model exploded", "type": "server_error"}}]
        return [self._chunk({"role": "assistant", "content": ""}),
                *(self._chunk({"content": piece}) for piece in HELLO), self._chunk({}, "stop"),
                {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
                 "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if not body.get("model") or not isinstance(body.get("messages"), list):
            return web.json_response({"error": {"message": "you must provide a model parameter",
                                                "type": "invalid_request_error"}}, status=400)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in self.chunks(body["messages"]):
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


@contextlib.asynccontextmanager
async def serve_fake_openai(fake: FakeOpenAI) -> AsyncIterator[str]:
    """Serve ``fake`` at ``<base>/chat/completions``; yields the base URL."""
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}/v1"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def serve_asgi(app: Any, path: str = "/agent") -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn on a socket bound up front (no polling for startup)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}{path}"
    finally:
        server.should_exit = True
        await task
        sock.close()
