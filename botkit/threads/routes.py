"""``Route`` and ``RouteGroup``: HTTP routes served by the threads API with its
authentication, scopes, CORS, body limit, error shape and OpenAPI document (see
``botkit.threads.http.base``). Plain values, importable without aiohttp (the
``threads-api`` extra), so ``botkit`` can export them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["Handler", "Route", "RouteGroup"]

Handler = Callable[["web.Request"], Awaitable["web.StreamResponse"]]


@dataclass(frozen=True)
class Route:
    """One route. ``scope``: what the caller's token needs (``read``, ``write``,
    ``admin``). ``body`` / ``query``: pydantic models that validate the request and
    describe it in OpenAPI. ``stream_token``: also accept ``?access_token=`` (a signed
    short-lived token, for a browser ``EventSource``)."""

    method: str
    path: str
    handler: Handler
    _: KW_ONLY
    scope: str = "read"
    summary: str = ""
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    responses: Mapping[str, Any] = field(default_factory=dict)
    stream_token: bool = False


@dataclass(frozen=True)
class RouteGroup:
    """Routes served together, plus the OpenAPI component schemas they refer to."""

    name: str
    routes: Sequence[Route]
    schemas: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, defs: Iterable[web.AbstractRouteDef], *,
           scopes: Mapping[str, str] | None = None) -> RouteGroup:
        """A group from plain aiohttp route definitions (``web.get(...)``, ``web.route``):
        GET needs ``read``, other methods ``write`` unless ``scopes`` (method -> scope)
        says otherwise; the handler's docstring is its OpenAPI summary."""
        from aiohttp import web

        wanted = {"GET": "read", **(scopes or {})}
        routes = []
        for d in defs:
            if not isinstance(d, web.RouteDef):
                raise TypeError(f"RouteGroup.of takes web.RouteDef values, not {d!r}")
            method = d.method.upper()
            doc = (d.handler.__doc__ or "").strip().splitlines()
            routes.append(Route(method, d.path, d.handler,
                                scope=wanted.get(method, "write"),
                                summary=doc[0] if doc else f"{method} {d.path}",
                                responses={"200": {"description": "OK"}}))
        return cls(name, routes)
