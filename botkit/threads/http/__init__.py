"""The threads HTTP API (aiohttp; ``pip install "botkit[threads-api]"``), shaped after the
LangGraph Agent Server's threads API: threads, state and checkpoints, messages, and a stream
of changes.

Serve it with the bot (``create_bot(threads_api=ThreadsAPIConfig(...))`` or ``botkit run APP
--threads-api PORT``), or mount ``threads_app(bot.threads)`` yourself. Other parts add route
groups (``RouteGroup``, see ``botkit.threads.http.base``) through ``threads.route_groups``
or ``threads_app(..., groups=[...])``. Errors are ``{"error": code, "message": text}`` (plus
``errors`` for 422). The OpenAPI document is at ``/openapi.json``.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from botkit.dashboard.mount import mount_dashboard
from botkit.errors import UserError
from botkit.threads.access import (
    EVERYONE,
    Principal,
    signing_key,
    verify_stream_token,
)
from botkit.threads.config import ThreadsAPIConfig
from botkit.threads.http.base import (
    CONFIG,
    PRINCIPAL,
    THREADS,
    Handler,
    Route,
    RouteGroup,
    error_middleware,
    error_response,
    ok,
)
from botkit.threads.http.event_routes import EVENT_ROUTES, SIGNING_KEY, STREAMS, OpenStreams
from botkit.threads.http.message_routes import MESSAGE_ROUTES
from botkit.threads.http.openapi import openapi_document
from botkit.threads.http.state_routes import STATE_ROUTES
from botkit.threads.http.thread_routes import THREAD_ROUTES
from botkit.threads.service import Threads

__all__ = ["BUILTIN_GROUPS", "Route", "RouteGroup", "ThreadsServer", "serve_threads_api",
           "threads_app"]

BUILTIN_GROUPS = (THREAD_ROUTES, STATE_ROUTES, MESSAGE_ROUTES, EVENT_ROUTES)
CORS_HEADERS = "Authorization, Content-Type, If-Match, Last-Event-ID, X-Api-Key"
GROUPS: web.AppKey[tuple[RouteGroup, ...]] = web.AppKey("route_groups")


def _cors(origins: tuple[str, ...]) -> Any:
    @web.middleware
    async def cors(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        allowed = origin is not None and ("*" in origins or origin in origins)
        if request.method == "OPTIONS" and allowed and \
                "Access-Control-Request-Method" in request.headers:
            response: web.StreamResponse = web.Response(status=204)
            response.headers.update({
                "Access-Control-Allow-Methods": "GET, POST, PATCH, PUT, DELETE, OPTIONS",
                "Access-Control-Allow-Headers": CORS_HEADERS,
                "Access-Control-Max-Age": "600"})
        else:
            response = await handler(request)
        if allowed and origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "ETag, X-Pagination-Total"
            response.headers["Vary"] = "Origin"
        return response
    return cors


def _authenticate(request: web.Request, route: Route) -> Principal | None:
    config = request.app[CONFIG]
    tokens = config.all_tokens()
    if not tokens:
        return EVERYONE
    auth = request.headers.get("Authorization", "")
    given = auth[7:].strip() if auth[:7].lower() == "bearer " else \
        request.headers.get("X-Api-Key", "")
    if given:
        for token in tokens:
            if hmac.compare_digest(given.encode(), token.token.encode()):
                return Principal(scopes=token.scopes, user_id=token.user_id)
    stream_token = request.query.get("access_token")
    if route.stream_token and stream_token:
        return verify_stream_token(request.app[SIGNING_KEY], stream_token)
    return None


def _secured(route: Route) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        principal = _authenticate(request, route)
        if principal is None:
            response = error_response(401, "unauthorized", "send Authorization: Bearer <token> "
                                                   "(or X-Api-Key: <token>)")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if not principal.allows(route.scope):
            return error_response(403, "forbidden", f"this token lacks the {route.scope!r} scope "
                                            f"(it has {', '.join(principal.effective())})")
        request[PRINCIPAL] = principal
        return await route.handler(request)
    return handle


async def _openapi(request: web.Request) -> web.Response:
    groups: tuple[RouteGroup, ...] = request.app[GROUPS]
    return ok(openapi_document(groups))


async def _end_streams(app: web.Application) -> None:
    app[STREAMS].close()


def threads_app(threads: Threads, config: ThreadsAPIConfig | None = None, *,
                groups: Sequence[RouteGroup] | None = None) -> web.Application:
    """The aiohttp application: botkit's route groups, then ``groups`` (default
    ``threads.route_groups``). Mount it, or serve it with ``ThreadsServer``."""
    config = config or ThreadsAPIConfig()
    extra = tuple(threads.route_groups if groups is None else groups)
    middlewares = ([_cors(config.cors_origins)] if config.cors_origins else []) + [error_middleware]
    app = web.Application(middlewares=middlewares, client_max_size=config.max_body_bytes)
    app[THREADS], app[CONFIG] = threads, config
    threads.hub.keep_for_replay()  # a client may replay from any id (Last-Event-ID)
    app[GROUPS] = (*BUILTIN_GROUPS, *extra)
    app[STREAMS] = OpenStreams()
    app[SIGNING_KEY] = signing_key(config.stream_token_secret)
    app.on_shutdown.append(_end_streams)
    app.router.add_get("/openapi.json", _openapi)
    for group in app[GROUPS]:
        for route in group.routes:
            app.router.add_route(route.method, route.path, _secured(route))
    mount_dashboard(app, threads, token=None, tokens=config.all_tokens())  # the page at /
    return app


class ThreadsServer:
    """Serves ``threads_app`` on ``config.host``/``config.port`` (``url`` once started)."""

    def __init__(self, threads: Threads, config: ThreadsAPIConfig,
                 groups: Sequence[RouteGroup] | None = None) -> None:
        self.threads, self.config, self.groups = threads, config, groups
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> ThreadsServer:
        config = self.config
        runner = web.AppRunner(threads_app(self.threads, config, groups=self.groups),
                               access_log=None, shutdown_timeout=5.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, config.host, config.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise UserError(f"the threads API cannot listen on {config.host}:{config.port}: "
                            f"{exc.strerror or exc} (pick another port)") from exc
        self._runner = runner
        port = runner.addresses[0][1]
        host = f"[{config.host}]" if ":" in config.host else config.host
        self.url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()


async def serve_threads_api(threads: Threads, config: ThreadsAPIConfig) -> ThreadsServer:
    """Start serving ``threads`` (``.url``, ``await .stop()``) with its own routes and every
    group in ``threads.route_groups``."""
    return await ThreadsServer(threads, config).start()
