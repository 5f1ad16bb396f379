"""The stream of thread changes (Server-Sent Events) and the short-lived tokens that let a
browser ``EventSource`` (which cannot send headers) open it: ``POST /threads/events/token``,
then ``new EventSource("/threads/events?access_token=…")``."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from botkit.threads._requests import Query
from botkit.threads.access import sign_stream_token
from botkit.threads.http.base import (
    CONFIG,
    Route,
    RouteGroup,
    caller,
    dumps,
    json_response,
    ok,
    query_of,
    threads_of,
)
from botkit.threads.records import ThreadEvent, iso

__all__ = ["EVENT_ROUTES", "SIGNING_KEY", "STREAMS", "OpenStreams"]

KEEPALIVE = 15.0
SIGNING_KEY: web.AppKey[bytes] = web.AppKey("stream_signing_key", bytes)


class OpenStreams:
    """The SSE responses being served, ended when the server shuts down."""

    def __init__(self) -> None:
        self.stopping = asyncio.Event()

    def close(self) -> None:
        self.stopping.set()


STREAMS: web.AppKey[OpenStreams] = web.AppKey("streams", OpenStreams)


class EventsQuery(Query):
    thread_id: str | None = None
    access_token: str | None = None
    last_event_id: str | None = None


def event_json(event: ThreadEvent) -> dict[str, Any]:
    """The event with the thread in the API's shape (``thread_id``, ISO-8601 times)."""
    thread = None
    if event.thread is not None:
        thread = {k: v for k, v in event.thread.to_api().items()
                  if k not in ("values", "interrupts", "config")}
    return {**event.to_dict(), "at": iso(event.at), "thread": thread}


async def stream_events(request: web.Request) -> web.StreamResponse:
    """One ``event: <type>`` with the ``ThreadEvent`` as JSON per change; ``?thread_id=``
    keeps one thread's; ``Last-Event-ID`` (or ``?last_event_id=``) replays what was missed
    where the event bus keeps history."""
    query = query_of(request, EventsQuery)
    user = caller(request).user_id
    last = request.headers.get("Last-Event-ID") or query.last_event_id
    threads = threads_of(request)
    stopping = request.app[STREAMS].stopping
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    async with threads.subscribe(last_event_id=last) as events:
        await response.prepare(request)
        await response.write(b": connected\n\n")
        stop = asyncio.ensure_future(stopping.wait())
        try:
            while not stopping.is_set():
                next_event = asyncio.ensure_future(events.get())
                done, _ = await asyncio.wait({next_event, stop}, timeout=KEEPALIVE,
                                             return_when=asyncio.FIRST_COMPLETED)
                if next_event not in done:
                    next_event.cancel()
                    if stop in done:
                        break
                    await response.write(b": keep-alive\n\n")
                    continue
                event = next_event.result()
                if event is None:
                    break
                if query.thread_id is not None and event.thread_id != query.thread_id:
                    continue
                if user is not None and (event.thread is None
                                         or not event.thread.visible_to(user)):
                    continue
                event_id = event.event_id or event.seq
                await response.write(f"id: {event_id}\nevent: {event.type}\n"
                                     f"data: {dumps(event_json(event))}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            stop.cancel()
    return response


async def stream_token(request: web.Request) -> web.Response:
    config = request.app[CONFIG]
    token, expires = sign_stream_token(request.app[SIGNING_KEY], caller(request),
                                       config.stream_token_ttl)
    return ok({"token": token, "expires_at": iso(expires)})


TOKEN: dict[str, Any] = json_response({"type": "object", "required": ["token", "expires_at"],
                                       "properties": {"token": {"type": "string"},
                                                      "expires_at": {"type": "string"}}})
EVENT_ROUTES = RouteGroup("events", [
    Route("GET", "/threads/events", stream_events, query=EventsQuery, stream_token=True,
          summary="Server-Sent Events of thread changes (auth: a token, or ?access_token= "
                  "from POST /threads/events/token)",
          responses={"200": {"description": "text/event-stream of ThreadEvent",
                             "content": {"text/event-stream": {"schema": {
                                 "$ref": "#/components/schemas/ThreadEvent"}}}}}),
    Route("POST", "/threads/events/token", stream_token,
          summary="A short-lived token for ?access_token= on the event stream (read only, "
                  "the same user)", responses={"200": TOKEN}),
])
