"""Server-Sent Events out of a run's feed: LangGraph's named parts, or AG-UI's encoding.

Every LangGraph part has its own id, ``<event number>.<part>``: a client that reconnects
with ``Last-Event-ID`` gets exactly the parts it missed. An idle stream sends a keepalive
comment every ``adapter.keepalive`` seconds, so proxies keep it open.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any

from ag_ui.encoder import EventEncoder
from aiohttp import web

from botkit import ThreadQueryError
from botkit_web.langgraph import LangGraphParts, thread_values
from botkit_web.runs import RunFeed, WebRun

if TYPE_CHECKING:
    from botkit_web.adapter import WebAdapter

__all__ = ["KEEPALIVE", "EventPosition", "open_stream", "parse_last_event_id", "stream_agui",
           "stream_langgraph"]

KEEPALIVE = b": keepalive\n\n"
EventPosition = tuple[int, int]
"""(AG-UI event number, index of the part within it): where a stream resumes."""


def parse_last_event_id(raw: str | None) -> EventPosition | None:
    """``"12"`` (all of event 12 seen) or ``"12.1"`` (its parts 0 and 1 seen); a 422 for
    anything else (ASCII digits only)."""
    text = (raw or "").strip()
    if not text:
        return None
    match = re.fullmatch(r"([0-9]{1,12})(?:\.([0-9]{1,4}))?", text)
    if match is None:
        raise ThreadQueryError([("Last-Event-ID", "must be an event id this stream sent "
                                 "(like 12 or 12.1)")])
    part = match.group(2)
    return int(match.group(1)), int(part) if part is not None else 10_000


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


def _frame(name: str, data: Any, event_id: str | None = None, text: str | None = None
           ) -> bytes:
    """One SSE frame; ``text`` is ``data`` already encoded (shared by every stream)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = text if text is not None else json.dumps(data, ensure_ascii=False, default=str)
    return f"{head}event: {name}\ndata: {body}\n\n".encode()


async def stream_langgraph(request: web.Request, adapter: WebAdapter, run: WebRun,
                           feed: RunFeed | None, modes: frozenset[str], *, viewer: str,
                           after: EventPosition | None = None,
                           cancel_on_disconnect: bool = False) -> web.StreamResponse:
    """The run as LangGraph SSE: ``metadata``, the modes' parts, ``values`` at the end,
    then ``end``. ``feed`` is None for a finished run no longer held here (its final
    values and ``end`` only)."""
    response = await open_stream(request, run)
    bot = adapter.bot_user
    try:
        if after is None:
            await response.write(_frame("metadata", {"run_id": run.run_id,
                                                     "thread_id": run.thread_id,
                                                     "attempt": 1}))
            if "values" in modes and feed is not None:
                stored = await adapter.messages.all(run.thread_id, viewer=viewer)
                await response.write(_frame("values", thread_values(stored, bot)))
        if feed is not None:
            builder = LangGraphParts(modes, run)
            seen = after or (0, -1)
            async for batch in feed.follow_batches(viewer=viewer, idle=adapter.keepalive):
                if batch is None:
                    await response.write(KEEPALIVE)
                    continue
                frames = []
                for item in batch:
                    number = item.number
                    for index, (name, data) in enumerate(builder.parts(item.event,
                                                                       item.data)):
                        if (number, index) <= seen:
                            continue
                        if data is not item.data:  # a part of this stream's own
                            frames.append(_frame(name, data, f"{number}.{index}"))
                        elif (made := item.frames.get((name, index))) is not None:
                            frames.append(made)  # the same bytes every stream sends
                        else:
                            made = item.frames[name, index] = _frame(
                                name, data, f"{number}.{index}", item.text)
                            frames.append(made)
                if frames:
                    await response.write(b"".join(frames))
        final = await adapter.engine.wait(run)
        if "values" in modes:
            stored = await adapter.messages.all(run.thread_id, viewer=viewer)
            await response.write(_frame("values", thread_values(stored, bot, final)))
        if "updates" in modes and final.interrupts:
            interrupts = thread_values([], bot, final)["__interrupt__"]
            await response.write(_frame("updates", {"__interrupt__": interrupts}))
        await response.write(_frame("end", {"run_id": final.run_id, "status": final.status}))
    except ConnectionError:
        # the caller went away: the run goes on (join it again) unless it asked otherwise
        if cancel_on_disconnect:
            await adapter.engine.cancel_anywhere(run)
    except asyncio.CancelledError:
        if cancel_on_disconnect and not adapter.engine.cancel(run.run_id):
            adapter.bot.spawn(adapter.engine.cancel_anywhere(run), name="web-cancel")
        raise
    return response


async def stream_agui(request: web.Request, adapter: WebAdapter, run: WebRun, feed: RunFeed,
                      *, viewer: str) -> web.StreamResponse:
    """The run as AG-UI SSE, encoded by the ag-ui-protocol encoder."""
    encoder = EventEncoder()  # SSE, whatever else the caller accepts
    response = await open_stream(request, None, encoder.get_content_type())
    try:
        async for batch in feed.follow_batches(viewer=viewer, idle=adapter.keepalive):
            if batch is None:
                await response.write(KEEPALIVE)
            else:
                await response.write(b"".join(item.agui_sse for item in batch))
    except ConnectionError:
        pass
    return response
