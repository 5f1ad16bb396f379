"""The threads HTTP API (aiohttp): ``bot.threads`` for operators and UIs.

Serve it with the bot (``create_bot(threads_api=ThreadsAPIConfig(...))`` or
``botkit run APP --threads-api PORT``), or mount ``threads_app(bot.threads)`` yourself.
Every route answers JSON; errors are ``{"error": code, "message": text}`` (plus ``errors``
for 422). The OpenAPI document is at ``/openapi.json``.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from botkit.errors import UserError
from botkit.store.streams import StreamId
from botkit.threads._requests import LIST_FIELDS, body_of, int_arg, list_args, message_json, tid
from botkit.threads.config import ThreadsAPIConfig
from botkit.threads.events import Subscription
from botkit.threads.openapi import openapi_document
from botkit.threads.records import ThreadNotFound, ThreadQueryError
from botkit.threads.service import Threads

__all__ = ["ThreadsServer", "threads_app"]

THREADS: web.AppKey[Threads] = web.AppKey("threads", Threads)


class _Open:
    """The SSE streams being served (ended when the server shuts down)."""

    def __init__(self) -> None:
        self.streams: set[Subscription] = set()


STREAMS = web.AppKey("streams", _Open)
KEEPALIVE = 15.0
_dumps = functools.partial(json.dumps, default=str, ensure_ascii=False)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status,
                             dumps=_dumps)


def _ok(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _guard(token: str | None) -> Any:
    expected = f"Bearer {token}".encode() if token else None

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if expected is not None:
            given = request.headers.get("Authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                response = _error(401, "unauthorized", "send Authorization: Bearer <token>")
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
        try:
            return await handler(request)
        except ThreadNotFound as exc:
            return _error(404, "not_found", str(exc))
        except ThreadQueryError as exc:
            return _error(422, "validation_error", str(exc), errors=exc.errors)
        except UserError as exc:
            return _error(400, "bad_request", str(exc))
        except web.HTTPNotFound:
            if re.match(r"^/threads/(/|$)", request.path):
                return _error(422, "validation_error", "the thread id is empty",
                              errors=[{"field": "thread_id", "message": "must not be empty"}])
            return _error(404, "not_found", f"no route {request.method} {request.path}")
        except web.HTTPException as exc:
            return _error(exc.status, "bad_request" if exc.status == 400 else "http_error",
                          exc.reason)
    return guard


async def list_threads(request: web.Request) -> web.Response:
    page = await request.app[THREADS].list(**list_args(request.query))
    return _ok(page.to_dict())


async def search_threads(request: web.Request) -> web.Response:
    body = await body_of(request, LIST_FIELDS)
    args = {"limit": 50, "offset": 0, **body}
    return _ok((await request.app[THREADS].list(**args)).to_dict())


async def get_thread(request: web.Request) -> web.Response:
    return _ok((await request.app[THREADS].get(tid(request))).to_dict())


async def patch_thread(request: web.Request) -> web.Response:
    thread_id = tid(request)
    body = await body_of(request, {"title", "metadata", "archived"})
    errors = []
    if "title" in body and not isinstance(body["title"], str):
        errors.append(("title", "must be a string"))
    if "metadata" in body and not isinstance(body["metadata"], dict):
        errors.append(("metadata", "must be an object (a null value removes a key)"))
    if "archived" in body and not isinstance(body["archived"], bool):
        errors.append(("archived", "must be true or false"))
    if errors:
        raise ThreadQueryError(errors)
    record = await request.app[THREADS].update(thread_id, **body)
    return _ok(record.to_dict())


async def delete_thread(request: web.Request) -> web.Response:
    thread_id = tid(request)
    await request.app[THREADS].delete(thread_id)
    return _ok({"deleted": thread_id})


async def copy_thread(request: web.Request) -> web.Response:
    thread_id = tid(request)
    body = await body_of(request, {"new_id", "title"})
    record = await request.app[THREADS].copy(thread_id, body.get("new_id"),
                                             title=body.get("title"))
    return _ok(record.to_dict(), status=201)


async def get_state(request: web.Request) -> web.Response:
    thread_id = tid(request)
    return _ok({"thread_id": thread_id,
                "state": await request.app[THREADS].get_state(thread_id)})


async def post_state(request: web.Request) -> web.Response:
    thread_id = tid(request)
    body = await body_of(request, {"values", "patch", "state"})
    threads = request.app[THREADS]
    if len(body) != 1:
        raise ThreadQueryError([("body", "send exactly one of values, patch or state")])
    if "state" in body:
        state = await threads.set_state(thread_id, body["state"])
    elif "values" in body:
        if not isinstance(body["values"], dict):
            raise ThreadQueryError([("values", "must be an object")])
        state = await threads.update_state(thread_id, body["values"])
    else:
        if not isinstance(body["patch"], list):
            raise ThreadQueryError([("patch", "must be a JSON Patch array")])
        state = await threads.update_state(thread_id, patch=body["patch"])
    return _ok({"thread_id": thread_id, "state": state})


async def delete_state(request: web.Request) -> web.Response:
    thread_id = tid(request)
    await request.app[THREADS].clear_state(thread_id)
    return _ok({"thread_id": thread_id, "state": {}})


async def get_history(request: web.Request) -> web.Response:
    thread_id, errors = tid(request), list[tuple[str, str]]()
    limit = int_arg(request.query, "limit", 20, errors)
    if errors:
        raise ThreadQueryError(errors)
    runs = await request.app[THREADS].history(thread_id, limit=limit)
    return _ok({"thread_id": thread_id, "runs": [r.to_dict() for r in runs]})


async def get_messages(request: web.Request) -> web.Response:
    thread_id, errors = tid(request), list[tuple[str, str]]()
    limit = int_arg(request.query, "limit", 50, errors)
    offset = int_arg(request.query, "offset", 0, errors)
    if errors:
        raise ThreadQueryError(errors)
    items = await request.app[THREADS].messages(thread_id, limit=limit, offset=offset,
                                                search=request.query.get("search"))
    return _ok({"thread_id": thread_id, "messages": [message_json(m) for m in items]})


async def stream_events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: one ``event: <type>`` with the ``ThreadEvent`` as JSON per
    change; ``?thread_id=`` limits the stream to one thread."""
    only = request.query.get("thread_id")
    after = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
    if after is not None:
        try:
            StreamId.parse(after)
        except ValueError:
            raise ThreadQueryError([("Last-Event-ID", "must be an event id")]) from None
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    async with request.app[THREADS].subscribe(after=after, thread_id=only) as events:
        request.app[STREAMS].streams.add(events)
        try:
            await response.prepare(request)
            await response.write(b": connected\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(events.get(), KEEPALIVE)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                data = _dumps(event.to_dict())
                await response.write(
                    f"id: {event.event_id}\nevent: {event.type}\ndata: {data}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            request.app[STREAMS].streams.discard(events)
    return response


async def openapi(request: web.Request) -> web.Response:
    return _ok(openapi_document())


async def _end_streams(app: web.Application) -> None:
    for events in list(app[STREAMS].streams):
        events._offer(None)


def threads_app(threads: Threads, *, token: str | None = None) -> web.Application:
    """The aiohttp application: mount it, or serve it with ``ThreadsServer``."""
    app = web.Application(middlewares=[_guard(token)])
    app[THREADS] = threads
    app[STREAMS] = _Open()
    app.on_shutdown.append(_end_streams)
    r = app.router
    r.add_get("/openapi.json", openapi)
    r.add_get("/threads", list_threads)
    r.add_post("/threads/search", search_threads)
    r.add_get("/threads/events", stream_events)
    r.add_get("/threads/{id}", get_thread)
    r.add_patch("/threads/{id}", patch_thread)
    r.add_delete("/threads/{id}", delete_thread)
    r.add_post("/threads/{id}/copy", copy_thread)
    r.add_get("/threads/{id}/state", get_state)
    r.add_post("/threads/{id}/state", post_state)
    r.add_delete("/threads/{id}/state", delete_state)
    r.add_get("/threads/{id}/history", get_history)
    r.add_get("/threads/{id}/messages", get_messages)
    return app


class ThreadsServer:
    """Serves ``threads_app`` on ``config.host``/``config.port`` (``url`` once started)."""

    def __init__(self, threads: Threads, config: ThreadsAPIConfig) -> None:
        self.threads, self.config = threads, config
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> ThreadsServer:
        config = ThreadsAPIConfig(host=self.config.host, port=self.config.port,
                                  token=self.config.token)  # validates again
        runner = web.AppRunner(threads_app(self.threads, token=config.token),
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
