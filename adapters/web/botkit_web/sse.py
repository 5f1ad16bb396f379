"""Server-Sent Events out of a run's feed: LangGraph's named parts, or AG-UI's encoding."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ag_ui.encoder import EventEncoder
from aiohttp import web

from botkit_web.langgraph import event_parts, thread_values
from botkit_web.runs import WebRun

if TYPE_CHECKING:
    from botkit_web.adapter import WebAdapter

__all__ = ["open_stream", "stream_agui", "stream_langgraph"]


async def open_stream(request: web.Request, run: WebRun | None = None,
                      content_type: str = "text/event-stream") -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": content_type,
                                           "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    if run is not None:
        base = request.path.split("/runs", 1)[0] + f"/runs/{run.run_id}"
        response.headers["Content-Location"] = base
        response.headers["Location"] = f"{base}/stream"
    await response.prepare(request)
    return response


def _frame(name: str, data: Any, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, ensure_ascii=False, default=str)
    return f"{head}event: {name}\ndata: {body}\n\n".encode()


async def stream_langgraph(request: web.Request, adapter: WebAdapter, run: WebRun,
                           modes: frozenset[str], *, after: int = 0,
                           announce: bool = True) -> web.StreamResponse:
    """The run as LangGraph SSE: ``metadata``, the modes' parts (ids are AG-UI event
    numbers, for ``Last-Event-ID``), ``values`` at the end, then ``end``."""
    response = await open_stream(request, run)
    try:
        if announce:
            await response.write(_frame("metadata", {"run_id": run.run_id,
                                                     "thread_id": run.thread_id,
                                                     "attempt": 1}))
        if "values" in modes and after == 0:
            stored = await adapter.messages.all(run.thread_id)
            await response.write(_frame("values", thread_values(stored)))
        async for number, event in adapter.turns.follow(run, after=after):
            for name, data in event_parts(event, modes, run):
                await response.write(_frame(name, data, number))
        final = await adapter.engine.wait(run)
        if "values" in modes:
            stored = await adapter.messages.all(run.thread_id)
            await response.write(_frame("values", thread_values(stored, final)))
        if "updates" in modes and final.interrupts:
            interrupts = thread_values([], final)["__interrupt__"]
            await response.write(_frame("updates", {"__interrupt__": interrupts}))
        await response.write(_frame("end", {"run_id": final.run_id, "status": final.status}))
    except (ConnectionResetError, ConnectionError):
        pass  # the caller went away; the run goes on (join it again with its id)
    return response


async def stream_agui(request: web.Request, adapter: WebAdapter, run: WebRun
                      ) -> web.StreamResponse:
    """The run as AG-UI SSE, encoded by the ag-ui-protocol encoder."""
    encoder = EventEncoder()  # SSE, whatever else the caller accepts
    response = await open_stream(request, None, encoder.get_content_type())
    try:
        async for _, event in adapter.turns.follow(run):
            await response.write(encoder.encode(event).encode())
    except (ConnectionResetError, ConnectionError):
        pass
    return response
