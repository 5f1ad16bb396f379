"""The web chat: talk to the bot from the page, through its web adapter (``botkit_web``,
where botkit itself keeps the conversation). A sidebar lists the signed-in person's web
threads (new, rename, archive, delete); the conversation shows messages with their
buttons; a reply streams in as the run's AG-UI events arrive (``/ui/chat/…/runs/…/events``,
read by ``static/app.js``).

The core never imports an adapter: the web adapter is found among the bot's adapters
(platform ``web``) and used through the small ``WebChat`` protocol below.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

from aiohttp import web

from botkit.dashboard.actions import thread_url
from botkit.dashboard.auth import session
from botkit.dashboard.inbox import OPERATOR
from botkit.dashboard.live import LIVE, LiveStreams
from botkit.dashboard.render import page
from botkit.dashboard.thread_view import load_thread, tool_rows
from botkit.dashboard.wiring import THREADS, WebChat, web_chat
from botkit.errors import BotkitError
from botkit.types import PlatformUser

__all__ = ["chat_adapter"]

log = logging.getLogger("botkit")
MAX_TEXT = 20_000
SIDEBAR = 50
STATUS_OF = {"Forbidden": 403, "NotFound": 404, "NotWaiting": 409, "Conflict": 409,
             "RunBusy": 409}


def chat_adapter(request: web.Request) -> WebChat | None:
    return web_chat(request.app)


def me(request: web.Request) -> PlatformUser:
    """Who is chatting: the person a user-bound token names, else the operator."""
    user_id = session(request).user_id
    return OPERATOR if user_id is None else PlatformUser(id=user_id, name=user_id)


async def _my_threads(request: web.Request) -> dict[str, Any]:
    """The signed-in person's web threads (owned or shared with them), a page at a time."""
    number = request.query.get("page", "1")
    number_ok = number.isascii() and number.isdigit() and 0 < int(number) < 100_000
    at = int(number) if number_ok else 1
    found = await request.app[THREADS].list(platform="web", archived=None,
                                            user_id=me(request).id, limit=SIDEBAR,
                                            offset=(at - 1) * SIDEBAR)
    return {"threads": list(found.threads), "sidebar_page": at,
            "sidebar_more": found.total > at * SIDEBAR}


async def _shown(request: web.Request, chat: WebChat, thread_id: str) -> dict[str, Any]:
    record = await load_thread(request, thread_id)  # 404 unless visible to this person
    messages = await chat.messages.all(thread_id, viewer=me(request).id)
    shown = [m for m in messages if not m.is_status or m.controls or m.agent_messages]
    return {"thread": record, "messages": [(m, tool_rows(m.agent_messages)) for m in shown]}


def _refused(request: web.Request, exc: BotkitError) -> web.Response:
    status = STATUS_OF.get(type(exc).__name__, 422)
    return page(request, "_note.html", status=status, text=str(exc), ok=False)


async def chat_page(request: web.Request) -> web.Response:
    chat = chat_adapter(request)
    context: dict[str, Any] = {"chat": chat is not None, "threads": [], "thread": None,
                               "messages": [], "sidebar_page": 1, "sidebar_more": False}
    if chat is not None:
        context.update(await _my_threads(request))
        if "id" in request.match_info:
            context.update(await _shown(request, chat, request.match_info["id"]))
    return page(request, "chat.html", **context)


async def chat_sidebar(request: web.Request) -> web.Response:
    return page(request, "_chat_sidebar.html", **await _my_threads(request),
                current=request.query.get("current", ""))


async def chat_log(request: web.Request) -> web.Response:
    chat = chat_adapter(request)
    if chat is None:
        raise web.HTTPNotFound(text="This bot has no web adapter.")
    return page(request, "_chat_log.html", **await _shown(request, chat,
                                                          request.match_info["id"]))


async def new_chat(request: web.Request) -> web.Response:
    chat = chat_adapter(request)
    if chat is None:
        raise web.HTTPNotFound(text="This bot has no web adapter.")
    thread_id = await chat.create_thread(user=me(request), title="New conversation")
    response = web.Response(status=204)
    response.headers["HX-Redirect"] = "/ui/chat/" + thread_url(thread_id).rsplit("/", 1)[1]
    return response


def _live(request: web.Request, thread_id: str, run: Any) -> web.Response:
    base = f"/ui/chat/{quote(thread_id, safe='')}/runs/{quote(str(run.run_id), safe='')}"
    return page(request, "_chat_live.html", run_id=str(run.run_id), events=base + "/events",
                stop=base + "/cancel")


async def send_message(request: web.Request) -> web.Response:
    chat = chat_adapter(request)
    if chat is None:
        raise web.HTTPNotFound(text="This bot has no web adapter.")
    text = str((await request.post()).get("text", "")).strip()
    if not text:
        return page(request, "_note.html", status=422, text="Write a message first.",
                    ok=False)
    if len(text) > MAX_TEXT:
        return page(request, "_note.html", status=422, ok=False,
                    text=f"A message has at most {MAX_TEXT} characters.")
    thread_id = (await load_thread(request)).id
    try:
        run = await chat.send(thread_id, text, user=me(request))
    except BotkitError as exc:
        return _refused(request, exc)
    return _live(request, thread_id, run)


async def click(request: web.Request) -> web.Response:
    chat = chat_adapter(request)
    if chat is None:
        raise web.HTTPNotFound(text="This bot has no web adapter.")
    form = await request.post()
    try:
        value = json.loads(str(form.get("value", "null")))
    except ValueError:
        return page(request, "_note.html", status=422, text="That answer is not valid.",
                    ok=False)
    thread_id = (await load_thread(request)).id
    try:
        run = await chat.turns.act(thread_id, str(form.get("action_id", "")), value,
                                   user=me(request),
                                   message_id=str(form.get("message_id") or "") or None)
    except BotkitError as exc:
        return _refused(request, exc)
    return _live(request, thread_id, run)


async def _own_run(request: web.Request, chat: WebChat) -> Any:
    """The path's run, if it belongs to the path's thread and that thread is visible to the
    signed-in person; else 404."""
    record = await load_thread(request)
    run = await chat.engine.log.get(record.id, request.match_info["run_id"])
    if run is None or str(getattr(run, "thread_id", "")) != record.id:
        raise web.HTTPNotFound(text="No such run.")
    return run


async def cancel(request: web.Request) -> web.Response:
    chat = chat_adapter(request)
    if chat is None:
        raise web.HTTPNotFound(text="This bot has no web adapter.")
    run = await _own_run(request, chat)
    stopped = await chat.engine.cancel_anywhere(run)  # here, or on the replica running it
    return page(request, "_note.html", ok=stopped,
                text="Stopped." if stopped else "That run has already ended.")


async def _with_keepalive(events: AsyncIterator[Any], streams: LiveStreams
                          ) -> AsyncIterator[Any]:
    """``events``, with None after each ``keepalive`` seconds without one; ends when the
    server shuts down."""
    stop = asyncio.ensure_future(streams.stopping.wait())
    pending: asyncio.Future[Any] | None = None
    try:
        while not streams.stopping.is_set():
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({pending, stop}, timeout=streams.keepalive,
                                         return_when=asyncio.FIRST_COMPLETED)
            if pending in done:
                try:
                    item = pending.result()
                except StopAsyncIteration:
                    return
                pending = None
                yield item
            elif stop not in done:
                yield None
    finally:
        stop.cancel()
        if pending is not None:
            pending.cancel()


def _frame(name: str, data: Any) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def run_events(request: web.Request) -> web.StreamResponse:
    """The run's progress for the page: ``text`` (a delta), ``tool`` (a tool started),
    ``refresh`` (a message was posted: fetch the conversation) and ``end``."""
    chat = chat_adapter(request)
    if chat is None:
        raise web.HTTPNotFound(text="This bot has no web adapter.")
    run = await _own_run(request, chat)
    streams = request.app[LIVE]
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-store"})
    await response.prepare(request)
    try:
        async for event in _with_keepalive(chat.follow(run, viewer=me(request).id),
                                           streams):
            if event is None:
                await response.write(b": keep-alive\n\n")
                continue
            kind = str(getattr(event, "type", ""))
            kind = getattr(getattr(event, "type", None), "value", kind)
            if kind == "TEXT_MESSAGE_CONTENT":
                await response.write(_frame("text", {"delta": event.delta}))
            elif kind == "TOOL_CALL_START":
                await response.write(_frame("tool", {"name": event.tool_call_name}))
            elif kind == "CUSTOM" and str(getattr(event, "name", "")).startswith(
                    "botkit.message"):
                await response.write(_frame("refresh", {}))
            elif kind in ("RUN_FINISHED", "RUN_ERROR"):
                break
        await response.write(_frame("end", {}))
    except BotkitError as exc:  # the run went on in another process
        await response.write(_frame("end", {"error": str(exc)}))
    except (ConnectionResetError, TimeoutError):
        pass
    return response
