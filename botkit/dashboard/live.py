"""The page's live feed: Server-Sent Events telling open pages which thread changed, so
they fetch the parts that show it (the list, a thread's header, conversation, runs).

A user-bound session hears only about threads its person may see (``visible_to``, as the
threads API's stream); ``Last-Event-ID`` replays what a reconnecting page missed where the
event bus keeps history."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from botkit.dashboard.auth import session
from botkit.dashboard.wiring import THREADS
from botkit.threads.records import ThreadEvent

__all__ = ["KEEPALIVE", "LIVE", "LiveStreams", "end_streams", "events"]

KEEPALIVE = 15.0


class LiveStreams:
    """The streams being served (this feed, and web chat runs), ended when the server
    shuts down; idle ones send a comment every ``keepalive`` seconds."""

    def __init__(self, keepalive: float = KEEPALIVE) -> None:
        self.keepalive = keepalive
        self.stopping = asyncio.Event()


LIVE: web.AppKey[LiveStreams] = web.AppKey("dashboard_live", LiveStreams)


def shown_to(event: ThreadEvent, user_id: str | None, known: set[str],
             platform: str | None = None) -> bool:
    """Whether a session bound to ``user_id`` (None: the operator) hears of ``event``
    (of ``platform``'s threads, when given). ``known`` collects the threads it was shown,
    so their deletion (an event without the thread) reaches it too."""
    if user_id is None and platform is None:
        return True
    if event.thread is None:
        return event.type == "deleted" and event.thread_id in known
    if event.thread.visible_to(user_id) and platform in (None, event.thread.platform):
        known.add(event.thread_id)
        return True
    known.discard(event.thread_id)
    return False


async def events(request: web.Request) -> web.StreamResponse:
    """``event: thread`` (data: the thread id and what happened) for every change the
    signed-in person may see; ``?thread_id=`` keeps only that thread's, ``?platform=``
    only that platform's threads'."""
    only = request.query.get("thread_id")
    platform = request.query.get("platform")
    user_id = session(request).user_id
    streams = request.app[LIVE]
    known: set[str] = set()
    last = request.headers.get("Last-Event-ID")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
    async with request.app[THREADS].subscribe(last_event_id=last) as feed:
        await response.prepare(request)
        await response.write(b"retry: 1000\n: connected\n\n")
        stop = asyncio.ensure_future(streams.stopping.wait())
        try:
            while not streams.stopping.is_set():
                next_event = asyncio.ensure_future(feed.get())
                done, _ = await asyncio.wait({next_event, stop}, timeout=streams.keepalive,
                                             return_when=asyncio.FIRST_COMPLETED)
                if next_event not in done:
                    next_event.cancel()
                    if stop not in done:
                        await response.write(b": keep-alive\n\n")
                    continue
                event = next_event.result()
                if event is None:
                    break
                if only is not None and event.thread_id != only:
                    continue
                if not shown_to(event, user_id, known, platform):
                    continue
                data = json.dumps({"thread_id": event.thread_id, "type": event.type})
                head = f"id: {event.seq}\n" if event.seq else ""
                await response.write(f"{head}event: thread\ndata: {data}\n\n".encode())
                if event.type == "deleted" and only is not None:
                    await response.write(f"event: deleted\ndata: {data}\n\n".encode())
        except ConnectionResetError:
            pass
        finally:
            stop.cancel()
    return response


async def end_streams(app: web.Application) -> None:
    app[LIVE].stopping.set()
