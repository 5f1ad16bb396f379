"""The AG-UI endpoint: any AG-UI client (``@ag-ui/client`` ``HttpAgent``, CopilotKit) can
use a botkit bot as its agent.

``POST /agui`` takes a ``RunAgentInput`` and answers with the run's AG-UI events (SSE).
``threadId`` names a web thread (created on first use). The thread's stored messages are the
truth: the input's user messages botkit has not seen yet are posted, then the bot takes its
turn. ``resume`` entries (AG-UI 1.0) — or LangGraph's ``forwardedProps.command.resume`` —
answer the interrupt the thread waits on instead.

The input's ``state``, when given, becomes the thread's agent state before the run (the
agent gets it, as with ``bot.threads.set_state``). Its ``context`` entries and
``forwardedProps`` reach the handler as ``ctx.message.raw["agui"]`` (a handler passes
them on with ``run_agent(context=...)``). The client's ``tools`` are not offered to the
agent: botkit runs its own tools server-side and has no channel to hand a tool call back
to the page, so frontend tools are ignored.

A caller may only use a thread they own or take part in (``botkit_web.access``); a new
``threadId`` creates a thread owned by the caller.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui
from aiohttp import web
from pydantic import ValidationError

from botkit import ThreadQueryError
from botkit_web.auth import identify
from botkit_web.bodies import read_json
from botkit_web.runs import WebRun
from botkit_web.sse import stream_agui
from botkit_web.turns import UserInput

if TYPE_CHECKING:
    from botkit_web.adapter import WebAdapter

__all__ = ["agui_handler"]


def _input(data: Any) -> agui.RunAgentInput:
    if not isinstance(data, dict):
        raise ThreadQueryError([("body", "must be a RunAgentInput JSON object")])
    try:
        return agui.RunAgentInput.model_validate(data)
    except ValidationError as exc:
        raise ThreadQueryError([(".".join(str(p) for p in e["loc"]) or "body", e["msg"])
                                for e in exc.errors()]) from None


def _resume_value(entries: list[agui.ResumeEntry]) -> tuple[Any, bool]:
    if all(e.status == "cancelled" for e in entries):
        return None, True
    if len(entries) == 1:
        return entries[0].payload, False
    return {e.interrupt_id: e.payload for e in entries}, False


def _text(message: agui.UserMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    return "\n".join(getattr(p, "text", "") or "" for p in message.content
                     if getattr(p, "type", None) == "text")


def agui_handler(adapter: WebAdapter) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        user = await identify(adapter.authenticate, request)
        run_input = _input(await read_json(request, adapter.max_body_bytes))
        tid = run_input.thread_id
        turns = adapter.turns
        await adapter.access.check(tid, user, create=True)
        run_id = run_input.run_id
        if await adapter.engine.log.get(tid, run_id) is not None:
            run_id = WebRun.new_id()
        assistant = request.match_info.get("assistant_id")
        command = run_input.forwarded_props.get("command") \
            if isinstance(run_input.forwarded_props, dict) else None
        run: WebRun
        if run_input.resume:
            value, cancel = _resume_value(run_input.resume)
            run = await turns.resume(tid, value, cancel=cancel, user=user, run_id=run_id,
                                     assistant_id=assistant)
        elif isinstance(command, dict) and "resume" in command:
            run = await turns.resume(tid, command["resume"], user=user, run_id=run_id,
                                     assistant_id=assistant)
        else:
            known = await adapter.messages.find_client_ids(tid)
            fresh = [UserInput(text=_text(m), client_id=m.id) for m in run_input.messages
                     if isinstance(m, agui.UserMessage) and m.id not in known]
            if not fresh or not all(i.text.strip() for i in fresh):
                raise ThreadQueryError([("messages", "no new user message with text to answer "
                                         "(and no resume entries)")])
            raw = {"agui": {"context": [c.model_dump(mode="json") for c in run_input.context or ()],
                            "forwarded_props": run_input.forwarded_props}}
            state = None if run_input.state in (None, {}) else run_input.state
            run = await turns.send(tid, fresh, user=user, run_id=run_id,
                                   assistant_id=assistant, raw=raw, state=state)
        feed = adapter.engine.feeds.get(run.run_id)
        assert feed is not None  # just started here
        return await stream_agui(request, adapter, run, feed, viewer=user.id)
    return handle
