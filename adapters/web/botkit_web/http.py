"""The web routes: runs of web threads (LangGraph-shaped) and answering their buttons.

``web_routes(adapter)`` returns aiohttp route definitions to add to any app (``create_app``'s,
or yours); ``web_route_group(adapter)`` the same routes as a threads-API ``RouteGroup``
(mounted automatically when the bot serves the threads API). Every handler answers
botkit's errors through the threads API's error middleware, so the routes work wherever
they are mounted: 404 unknown thread/run/control, 403 not yours to answer, 409 nothing
waits / run busy / not a web thread, 413 body too large, 422 bad fields.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from pydantic import BaseModel, Field

from botkit import RouteGroup, ThreadQueryError
from botkit.threads.http.base import error_middleware, query_of
from botkit.types import PlatformUser
from botkit_web.auth import caller
from botkit_web.bodies import ActionBody, RunBody, read_body
from botkit_web.errors import NotFound, NotWaiting
from botkit_web.langgraph import STREAM_MODES, thread_values
from botkit_web.runs import WebRun
from botkit_web.sse import parse_last_event_id, stream_langgraph

if TYPE_CHECKING:
    from botkit_web.adapter import WebAdapter

__all__ = ["mapped_errors", "web_route_group", "web_routes"]

log = logging.getLogger("botkit.web")
MAX_RUNS_PAGE = 200
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def mapped_errors(handler: Handler) -> Handler:
    """``handler`` answering botkit's errors itself (the threads API's error middleware),
    so the routes work in any aiohttp app."""
    @functools.wraps(handler)
    async def guarded(request: web.Request) -> web.StreamResponse:
        return await error_middleware(request, handler)
    return guarded


class _Page(BaseModel):
    limit: int = Field(default=10, ge=1, le=MAX_RUNS_PAGE)
    offset: int = Field(default=0, ge=0)
    status: str | None = None


def _page(request: web.Request) -> _Page:
    """``limit`` (1-200), ``offset`` and ``status`` of a run listing (422 otherwise)."""
    return query_of(request, _Page)


class WebRoutes:
    def __init__(self, adapter: WebAdapter) -> None:
        self.adapter = adapter

    async def _caller(self, request: web.Request) -> PlatformUser:
        return await caller(self.adapter.authenticate, self.adapter.directory, request)

    async def _thread(self, request: web.Request) -> tuple[str, PlatformUser]:
        """The thread id and the caller, once the caller may use the thread."""
        user = await self._caller(request)
        tid = request.match_info["thread_id"]
        await self.adapter.access.check(tid, user)
        return tid, user

    async def _run(self, request: web.Request) -> tuple[WebRun, PlatformUser]:
        tid, user = await self._thread(request)
        rid = request.match_info["run_id"]
        run = await self.adapter.engine.log.get(tid, rid)
        if run is None:
            raise NotFound(f"thread {tid!r} has no run {rid!r}")
        return run, user

    async def _start(self, request: web.Request) -> tuple[WebRun, RunBody, PlatformUser]:
        user = await self._caller(request)
        body = await read_body(request, RunBody)
        tid = request.match_info["thread_id"]
        common: dict[str, Any] = {"user": user, "assistant_id": body.assistant_id,
                                  "metadata": body.metadata,
                                  "strategy": body.multitask_strategy or "enqueue"}
        turns = self.adapter.turns
        if body.command is not None:
            return await turns.resume(tid, body.command.resume, **common), body, user
        assert body.input is not None
        run = await turns.send(tid, body.input.inputs(),
                               create=body.if_not_exists == "create", **common)
        return run, body, user

    async def create(self, request: web.Request) -> web.StreamResponse:
        run, _, _ = await self._start(request)
        return web.json_response(run.to_json())

    async def stream(self, request: web.Request) -> web.StreamResponse:
        run, body, user = await self._start(request)
        return await stream_langgraph(request, self.adapter, run,
                                      self.adapter.engine.feeds.get(run.run_id), body.modes(),
                                      viewer=user.id,
                                      cancel_on_disconnect=body.on_disconnect == "cancel")

    async def wait(self, request: web.Request) -> web.StreamResponse:
        run, _, user = await self._start(request)
        return await self._values(run, user)

    async def _values(self, run: WebRun, user: PlatformUser) -> web.Response:
        final = await self.adapter.engine.wait(run)
        stored = await self.adapter.messages.all(run.thread_id, viewer=user.id)
        response = web.json_response(thread_values(stored, self.adapter.bot_user, final))
        response.headers["Content-Location"] = f"/threads/{run.thread_id}/runs/{run.run_id}"
        return response

    async def list(self, request: web.Request) -> web.StreamResponse:
        tid, _ = await self._thread(request)
        page = _page(request)
        runs = await self.adapter.engine.log.list(tid, limit=page.limit, offset=page.offset,
                                                  status=page.status)
        return web.json_response([r.to_json() for r in runs])

    async def get(self, request: web.Request) -> web.StreamResponse:
        run, _ = await self._run(request)
        return web.json_response(run.to_json())

    async def join(self, request: web.Request) -> web.StreamResponse:
        run, user = await self._run(request)
        return await self._values(run, user)

    async def join_stream(self, request: web.Request) -> web.StreamResponse:
        run, user = await self._run(request)
        modes = frozenset(m for m in request.query.getall("stream_mode", []) if m) \
            or frozenset({"ag-ui"})
        if unknown := modes - STREAM_MODES:
            raise ThreadQueryError([("stream_mode", f"unknown mode {m!r}")
                                    for m in sorted(unknown)])
        after = parse_last_event_id(request.headers.get("Last-Event-ID"))
        feed = await self.adapter.engine.feed_for(run)  # here, or mirrored from elsewhere
        cancel = request.query.get("cancel_on_disconnect") in ("1", "true")
        return await stream_langgraph(request, self.adapter, run, feed, modes,
                                      viewer=user.id, after=after,
                                      cancel_on_disconnect=cancel)

    async def cancel(self, request: web.Request) -> web.StreamResponse:
        run, _ = await self._run(request)
        if run.finished:
            raise NotWaiting(f"run {run.run_id!r} already ended ({run.status})")
        if not await self.adapter.engine.cancel_anywhere(run):
            raise NotWaiting(f"run {run.run_id!r} cannot be cancelled from here: the "
                             "process running it is unknown")
        if request.query.get("wait") in ("1", "true"):
            run = await self.adapter.engine.wait(run)
            return web.json_response(run.to_json())
        return web.json_response(run.to_json(), status=202)

    async def act(self, request: web.Request) -> web.StreamResponse:
        user = await self._caller(request)
        body = await read_body(request, ActionBody)
        run = await self.adapter.turns.act(request.match_info["thread_id"], body.action_id,
                                           body.value, user=user, message_id=body.message_id)
        if request.query.get("wait") in ("1", "true"):
            run = await self.adapter.engine.wait(run)
        return web.json_response(run.to_json())


def web_routes(adapter: WebAdapter) -> list[web.RouteDef]:
    """The runs, actions and AG-UI routes, ready for ``app.add_routes(...)``."""
    from botkit_web.agui import agui_handler

    r = WebRoutes(adapter)
    base = "/threads/{thread_id}/runs"
    table = [
        ("POST", base, r.create), ("GET", base, r.list),
        ("POST", f"{base}/stream", r.stream), ("POST", f"{base}/wait", r.wait),
        ("GET", base + "/{run_id}", r.get), ("GET", base + "/{run_id}/join", r.join),
        ("GET", base + "/{run_id}/stream", r.join_stream),
        ("POST", base + "/{run_id}/cancel", r.cancel),
        ("POST", "/threads/{thread_id}/actions", r.act),
        ("POST", "/agui", agui_handler(adapter)),
        ("POST", "/agui/{assistant_id}", agui_handler(adapter)),
    ]
    return [web.route(method, path, mapped_errors(handler)) for method, path, handler in table]


def web_route_group(adapter: WebAdapter) -> RouteGroup:
    """The same routes as a threads-API route group (GET needs a ``read`` token, the rest
    ``write``): ``WebAdapter`` mounts it when the bot serves the threads API."""
    return RouteGroup.of("web", web_routes(adapter))
