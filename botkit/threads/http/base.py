"""What every route group of the threads HTTP API shares: ``Route`` and ``RouteGroup``
(routes with their scope and OpenAPI description), the app keys, JSON answers, request
parsing and the caller's view of a thread.

Another part of botkit (the web adapter's runs routes) adds a group like this::

    async def list_runs(request: web.Request) -> web.Response:
        record = await visible_thread(request)          # 404 unless the caller may see it
        return ok([r.to_dict() for r in await threads_of(request).runs(record.id)])

    RUNS = RouteGroup("runs", [
        Route("GET", "/threads/{thread_id}/runs", list_runs, scope="read",
              summary="List runs", responses={"200": json_response({"type": "array"})}),
    ])
    bot.threads.route_groups.append(RUNS)   # before the bot starts

or, from plain aiohttp route definitions, ``RouteGroup.of("runs", [web.get(...), ...])``.

The group's routes get the same authentication, scopes, CORS, body limit, error shape and
OpenAPI document as the threads routes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel

from botkit.errors import UserError
from botkit.threads._requests import parse
from botkit.threads.access import Principal
from botkit.threads.config import ThreadsAPIConfig
from botkit.threads.errors import ThreadNotFound, ThreadQueryError, ThreadsError
from botkit.threads.queries import check_id
from botkit.threads.records import ThreadRecord
from botkit.threads.routes import Handler, Route, RouteGroup
from botkit.threads.service import Threads

__all__ = [
    "CONFIG", "PRINCIPAL", "THREADS", "Handler", "Route", "RouteGroup", "caller",
    "error_middleware", "error_response", "if_match", "json_body", "json_response", "ok",
    "query_of", "threads_of", "visible_thread",
]

THREADS: web.AppKey[Threads] = web.AppKey("threads", Threads)
CONFIG: web.AppKey[ThreadsAPIConfig] = web.AppKey("threads_config", ThreadsAPIConfig)
PRINCIPAL: web.RequestKey[Principal] = web.RequestKey("principal", Principal)
M = TypeVar("M", bound=BaseModel)
dumps = functools.partial(json.dumps, default=str, ensure_ascii=False)


def error_response(status: int, code: str, message: str, **extra: object) -> web.Response:
    """The API's error shape: ``{"error": code, "message": text, ...extra}``."""
    return web.json_response({"error": code, "message": message, **extra}, status=status,
                             dumps=dumps)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """botkit's errors as HTTP answers: ``ThreadNotFound`` 404, ``ThreadQueryError`` 422
    (``errors`` lists every bad field), any other ``ThreadsError`` its ``status``/``code``,
    ``UserError`` 400, aiohttp's HTTP errors in the same shape. Any app serving botkit
    routes (the threads API, the web adapter on its own port) uses it."""
    try:
        return await handler(request)
    except ThreadNotFound as exc:
        return error_response(404, "not_found", str(exc))
    except ThreadQueryError as exc:
        return error_response(422, "validation_error", str(exc), errors=exc.errors)
    except ThreadsError as exc:
        return error_response(exc.status, exc.code, str(exc))
    except UserError as exc:
        return error_response(400, "bad_request", str(exc))
    except web.HTTPException as exc:
        if exc.status == 404:
            return error_response(404, "not_found", f"no route {request.method} {request.path}")
        code = {400: "bad_request", 401: "unauthorized", 403: "forbidden",
                405: "method_not_allowed", 413: "too_large",
                415: "unsupported_media_type"}.get(exc.status, "http_error")
        response = error_response(exc.status, code, _too_large(request, exc)
                                  if exc.status == 413 else _told(exc))
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response


def _told(exc: web.HTTPException) -> str:
    """The text the raiser gave (``HTTPUnauthorized(text=...)``), else the reason."""
    given = exc.text or ""
    return exc.reason if not given or given == f"{exc.status}: {exc.reason}" else given


def _too_large(request: web.Request, exc: web.HTTPException) -> str:
    config = request.app.get(CONFIG)
    if config is None:
        return exc.text or exc.reason
    return f"the body is larger than {config.max_body_bytes} bytes"


def json_response(schema: Mapping[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def ok(data: Any, status: int = 200, headers: Mapping[str, str] | None = None
       ) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps, headers=headers)


def threads_of(request: web.Request) -> Threads:
    return request.app[THREADS]


def caller(request: web.Request) -> Principal:
    principal: Principal = request[PRINCIPAL]
    return principal


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 has no NaN or Infinity)")


async def json_body(request: web.Request, model: type[M], *, required: bool = True) -> M:
    """The JSON body validated by ``model`` (``ThreadQueryError`` lists every problem).
    A body must say ``Content-Type: application/json`` (415 otherwise: a cross-site form
    or ``text/plain`` request cannot pass as one); NaN and Infinity are refused (400)."""
    raw = await request.read()
    if not raw.strip():
        if required:
            return parse(model, None)
        return parse(model, {})
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(
            reason=f"send the body as Content-Type: application/json, not "
                   f"{request.content_type or 'none'}")
    try:
        data = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise web.HTTPBadRequest(reason=f"the body is not valid JSON: {reason}") from exc
    try:
        json.dumps(data, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise web.HTTPBadRequest(reason="the body holds text that is not valid Unicode "
                                        "(a lone surrogate escape)") from exc
    return parse(model, data)


def if_match(request: web.Request) -> str | None:
    """The ``If-Match`` header: the version a write is based on."""
    return request.headers.get("If-Match")


def query_of(request: web.Request, model: type[M]) -> M:
    """The query string validated by ``model``; a repeated parameter is a list."""
    query = request.query
    return parse(model, {k: (v if len(v := query.getall(k)) > 1 else v[0])
                         for k in dict.fromkeys(query)})


def path_id(request: web.Request, name: str = "thread_id") -> str:
    return check_id(request.match_info[name], name)


async def visible_thread(request: web.Request, name: str = "thread_id") -> ThreadRecord:
    """The thread named in the path, if the caller may see it (else 404, as if absent)."""
    thread_id = path_id(request, name)
    record = await threads_of(request).get(thread_id)
    if not record.visible_to(caller(request).user_id):
        raise ThreadNotFound(thread_id)
    return record
