"""``OpenAIChatAgent``: any OpenAI-compatible Chat Completions server, as an AG-UI agent.

    agent = OpenAIChatAgent("gpt-4o-mini")          # OPENAI_API_KEY from the environment
    agent = OpenAIChatAgent("llama3.1", base_url="http://localhost:11434/v1", api_key="ollama")

The bot is the agent loop here: every tool the model calls is a bot tool, run by botkit,
and the model is called again with the results. The conversation's context entries become
a system message. Streaming text and tool-call fragments (accumulated per ``index``) are
turned into AG-UI events; a run counts as a tool call whenever calls were streamed,
whatever ``finish_reason`` says. Uses httpx only (no ``openai`` SDK). The model cannot
pause for a human: this backend never interrupts.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import ag_ui.core as agui
import httpx

from botkit.agents._transport import SsePost
from botkit.agents._wire import safe_url
from botkit.errors import AgentError, UserError

__all__ = ["OpenAIChatAgent", "chat_messages"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"


@dataclass
class _Call:
    id: str
    name: str | None = None
    started: bool = False
    early_args: list[str] = field(default_factory=list)


class OpenAIChatAgent:
    """Chat Completions (streaming) as a botkit ``Agent``.

    ``model`` defaults to ``$OPENAI_MODEL``, ``api_key`` to ``$OPENAI_API_KEY`` (required:
    pass any string for servers that need none), ``base_url`` to ``$OPENAI_BASE_URL`` or
    OpenAI's. ``extra_body`` is merged into every request (``temperature``, ``max_tokens``
    …). ``timeout``, ``connect_timeout``, ``deadline`` and ``client`` work as for
    ``AgUiHttpAgent``. The key is sent as a bearer token and never logged or shown.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra_body: Mapping[str, Any] | None = None,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        deadline: float | None = 600.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        model = model or os.environ.get("OPENAI_MODEL")
        if not model:
            raise UserError("OpenAIChatAgent needs a model: pass model=... or set OPENAI_MODEL")
        key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        if not key:
            raise UserError("OpenAIChatAgent needs an API key: set OPENAI_API_KEY (or pass "
                            "api_key=...; any value for servers that need none)")
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL")
                         or DEFAULT_BASE_URL).rstrip("/")
        self.extra_body = dict(extra_body or {})
        self._http = SsePost(f"{self.base_url}/chat/completions",
                             name=f"the model server at {safe_url(self.base_url)}",
                             headers={**dict(headers or {}), "Authorization": f"Bearer {key}"},
                             timeout=timeout, connect_timeout=connect_timeout,
                             deadline=deadline, client=client)

    def __repr__(self) -> str:
        return f"OpenAIChatAgent({self.model!r}, base_url={safe_url(self.base_url)!r})"

    def build_body(self, run_input: agui.RunAgentInput) -> dict[str, Any]:
        """The Chat Completions request for one run. Override to adjust it."""
        body: dict[str, Any] = {"model": self.model, "messages": chat_messages(run_input),
                                "stream": True, "stream_options": {"include_usage": True}}
        if run_input.tools:
            body["tools"] = [{"type": "function", "function": {
                "name": t.name, "description": t.description,
                "parameters": t.parameters or {"type": "object", "properties": {}}}}
                for t in run_input.tools]
        return {**body, **self.extra_body}

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        yield agui.RunStartedEvent(thread_id=run_input.thread_id, run_id=run_input.run_id)
        message_id = f"msg_{uuid.uuid4().hex}"
        text_open, finished, done = False, False, False
        calls: dict[int, _Call] = {}
        usage: dict[str, Any] | None = None
        async with contextlib.aclosing(self._http.stream(self.build_body(run_input))) as stream:
            async for data in stream:
                if data.strip() == "[DONE]":
                    done = True
                    break
                chunk = self._decode(data)
                if "error" in chunk:
                    error = chunk["error"]
                    message = error.get("message") if isinstance(error, dict) else error
                    yield agui.RunErrorEvent(message=f"the model failed: {message}")
                    return
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or ():
                    if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                        continue
                    delta = choice.get("delta") or {}
                    if delta.get("content"):
                        if not text_open:
                            text_open = True
                            yield agui.TextMessageStartEvent(message_id=message_id,
                                                             role="assistant")
                        yield agui.TextMessageContentEvent(message_id=message_id,
                                                           delta=delta["content"])
                    for fragment in delta.get("tool_calls") or ():
                        for event in _call_fragment(calls, fragment, message_id):
                            yield event
                    finished = finished or bool(choice.get("finish_reason"))
        if not (done or finished):
            raise AgentError(f"{self._http.name} ended its stream before the answer was "
                             "complete", code="truncated")
        if text_open:
            yield agui.TextMessageEndEvent(message_id=message_id)
        for call in calls.values():
            if not call.started:  # arguments but never a name: still answer it (as an error)
                for event in _start(call, call.name or "unnamed_tool", message_id):
                    yield event
            yield agui.ToolCallEndEvent(tool_call_id=call.id)
        outcome = {"type": "success", "pendingToolCallIds": [c.id for c in calls.values()]}
        finish: dict[str, Any] = {"threadId": run_input.thread_id, "runId": run_input.run_id,
                                  "outcome": outcome}
        if isinstance(usage, dict):
            finish["usage"] = [{"provider": "openai-compatible", "model": self.model,
                                "inputTokens": usage.get("prompt_tokens"),
                                "outputTokens": usage.get("completion_tokens"),
                                "totalTokens": usage.get("total_tokens")}]
        yield agui.RunFinishedEvent.model_validate(finish)

    def _decode(self, data: str) -> dict[str, Any]:
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError as exc:
            raise AgentError(f"{self._http.name} sent malformed JSON ({exc.msg}): "
                             f"{data[:120]!r}") from None
        if not isinstance(chunk, dict):
            raise AgentError(f"{self._http.name} sent a chunk that is not an object: "
                             f"{data[:120]!r}")
        return chunk


def _start(call: _Call, name: str, parent: str) -> list[agui.BaseEvent]:
    call.started = True
    events: list[agui.BaseEvent] = [agui.ToolCallStartEvent(
        tool_call_id=call.id, tool_call_name=name, parent_message_id=parent)]
    if call.early_args:
        events.append(agui.ToolCallArgsEvent(tool_call_id=call.id,
                                             delta="".join(call.early_args)))
        call.early_args.clear()
    return events


def _call_fragment(calls: dict[int, _Call], fragment: Any, parent: str
                   ) -> list[agui.BaseEvent]:
    """One ``delta.tool_calls[]`` element → AG-UI events (fragments joined per index)."""
    if not isinstance(fragment, dict):
        return []
    index = fragment.get("index")
    if not isinstance(index, int):  # servers that omit it: a new id opens a new call
        call_id = fragment.get("id")
        same = [i for i, c in calls.items() if call_id and c.id == call_id]
        index = same[0] if same else len(calls) if call_id or not calls else max(calls)
    function = fragment.get("function") or {}
    call = calls.get(index)
    if call is None:
        call = calls[index] = _Call(id=fragment.get("id") or f"call_{uuid.uuid4().hex[:24]}")
    events: list[agui.BaseEvent] = []
    if function.get("name") and not call.started:
        call.name = function["name"]
        events += _start(call, function["name"], parent)
    arguments = function.get("arguments")
    if arguments:
        if call.started:
            events.append(agui.ToolCallArgsEvent(tool_call_id=call.id, delta=arguments))
        else:
            call.early_args.append(arguments)
    return events


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content
                         if isinstance(p, dict) and p.get("type") == "text")
    return "" if content is None else json.dumps(content)


def _user_content(content: Any) -> Any:
    if isinstance(content, str) or not isinstance(content, list):
        return _text(content)
    parts: list[dict[str, Any]] = []
    for part in content:
        source = part.get("source") or {}
        if part.get("type") == "text":
            parts.append({"type": "text", "text": part.get("text", "")})
        elif part.get("type") == "image" and source.get("type") in {"data", "url"}:
            url = source["value"] if source["type"] == "url" else \
                f"data:{source.get('mimeType', 'image/png')};base64,{source['value']}"
            parts.append({"type": "image_url", "image_url": {"url": url}})
        else:
            parts.append({"type": "text", "text": f"[{part.get('type')} attachment omitted]"})
    if all(p["type"] == "text" for p in parts):
        return "\n".join(p["text"] for p in parts)
    return parts


def chat_messages(run_input: agui.RunAgentInput) -> list[dict[str, Any]]:
    """The AG-UI history (and context) as Chat Completions messages."""
    out: list[dict[str, Any]] = []
    if run_input.context:
        facts = "\n".join(f"- {c.description}: {c.value}" for c in run_input.context)
        out.append({"role": "system", "content": f"Context:\n{facts}"})
    dumped = run_input.model_dump(mode="json", by_alias=True, exclude_none=True)
    for m in dumped["messages"]:
        role = m.get("role")
        if role in {"system", "developer"}:
            out.append({"role": role, "content": _text(m.get("content"))})
        elif role == "user":
            out.append({"role": "user", "content": _user_content(m.get("content"))})
        elif role == "assistant":
            message: dict[str, Any] = {"role": "assistant", "content": m.get("content") or None}
            if m.get("toolCalls"):
                message["tool_calls"] = [
                    {"id": c["id"], "type": "function", "function": {
                        "name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
                    for c in m["toolCalls"]]
            if message["content"] is not None or "tool_calls" in message:
                out.append(message)
        elif role == "tool":
            content, error = _text(m.get("content")), m.get("error")
            if error and error not in content:
                content = f"Error: {error}" + (f"\n{content}" if content else "")
            out.append({"role": "tool", "tool_call_id": m["toolCallId"], "content": content})
    return out
