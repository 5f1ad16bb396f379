"""The page's live feed: Server-Sent Events telling open pages which thread changed, so
they fetch the parts that show it (the list, a thread's header, conversation, runs)."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from botkit.dashboard.wiring import THREADS
from botkit.threads.events import Subscription

__all__ = ["LiveStreams", "end_streams", "events"]

KEEPALIVE = 15.0


class LiveStreams:
    """The feeds being served, ended when the server shuts down."""

    def __init__(self) -> None:
        self.open: set[Subscription] = set()


LIVE: web.AppKey[LiveStreams] = web.AppKey("dashboard_live", LiveStreams)


async def events(request: web.Request) -> web.StreamResponse:
    """``event: thread`` (data: the thread id and what happened) for every change;
    ``?thread_id=`` keeps only that thread's."""
    only = request.query.get("thread_id")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    async with request.app[THREADS].subscribe() as feed:
        request.app[LIVE].open.add(feed)
        try:
            await response.prepare(request)
            await response.write(b"retry: 1000\n: connected\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(feed.get(), KEEPALIVE)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                if only is not None and event.thread_id != only:
                    continue
                data = json.dumps({"thread_id": event.thread_id, "type": event.type})
                await response.write(f"event: thread\ndata: {data}\n\n".encode())
                if event.type == "deleted" and only is not None:
                    await response.write(f"event: deleted\ndata: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            request.app[LIVE].open.discard(feed)
    return response


async def end_streams(app: web.Application) -> None:
    for feed in list(app[LIVE].open):
        feed._offer(None)
