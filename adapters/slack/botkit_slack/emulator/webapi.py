"""The Web API endpoint ``/api/<method>``: parsing, faults, auth, rate limits, dispatch, records."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

from aiohttp import web

from . import (
    api_chat,
    api_conversations,
    api_files,
    api_misc,
    api_schedule,
    api_stream,
    api_users,
    oauth,
    views,
)
from .args import ApiRequest, read_args
from .core import Core
from .errors import ApiError
from .models import JSON, Actor
from .records import Call
from .registry import Method
from .scopes import channel_kind, check_scopes

METHODS: dict[str, Method] = {}
for _module in (
    api_chat,
    api_stream,
    api_schedule,
    api_conversations,
    api_users,
    api_files,
    api_misc,
    oauth,
    views,
):
    METHODS.update(_module.METHODS)

_RECORDED_HEADERS = ("User-Agent", "Content-Type", "Authorization")


def _dump(body: JSON) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


class WebApi:
    def __init__(self, core: Core) -> None:
        self.core = core

    def _record(
        self,
        request: web.Request,
        method: str,
        args: JSON,
        token: str | None,
        status: int,
        body: JSON,
    ) -> None:
        headers = {k: request.headers[k] for k in _RECORDED_HEADERS if k in request.headers}
        self.core.record_call(
            Call(
                seq=self.core.next_seq(),
                method=method,
                args=args,
                token=token,
                http_method=request.method,
                headers=headers,
                status=status,
                response=body,
                at=self.core.clock.now(),
            )
        )

    def _answer(
        self,
        request: web.Request,
        method: str,
        args: JSON,
        token: str | None,
        status: int,
        body: JSON,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        self._record(request, method, args, token, status, body)
        return web.Response(
            text=_dump(body),
            status=status,
            headers=headers,
            content_type="application/json",
            charset="utf-8",
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        core = self.core
        api_schedule.deliver_due(core)
        try:
            args, token = await read_args(request)
        except ApiError as exc:
            return self._answer(request, method, {}, None, exc.status, exc.body())
        fault = core.faults.take(method)
        if fault is not None:
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            elif fault.kind == "drop":
                self._record(request, method, args, token, 0, {"ok": False, "error": "dropped"})
                if request.transport is not None:
                    request.transport.close()
                raise web.HTTPServiceUnavailable()
            elif fault.kind == "ratelimited":
                return self._answer(
                    request,
                    method,
                    args,
                    token,
                    429,
                    {"ok": False, "error": "ratelimited"},
                    {"Retry-After": str(fault.retry_after)},
                )
            else:
                status = fault.status if fault.kind == "status" else 200
                return self._answer(request, method, args, token, status, fault.body())
        spec = METHODS.get(method)
        if spec is None:
            return self._answer(
                request,
                method,
                args,
                token,
                200,
                {"ok": False, "error": "unknown_method", "req_method": method},
            )
        try:
            body = await self._call(method, spec, args, token)
        except ApiError as exc:
            return self._answer(request, method, args, token, exc.status, exc.body(), exc.headers)
        return self._answer(request, method, args, token, 200, body)

    async def _call(self, method: str, spec: Method, args: JSON, token: str | None) -> JSON:
        core = self.core
        if spec.public:  # OAuth: the client id and secret authenticate, not a token
            request = ApiRequest(
                method, copy.copy(args), Actor("app", token or "", ""), core.base_url
            )
            return {"ok": True, **await spec.handler(core, request)}
        if token is None:
            raise ApiError("not_authed")
        team = core.team_of_token(token)
        if team is None:
            raise ApiError("token_revoked" if token in core.revoked else "invalid_auth")
        with core.in_team(team.team_id):
            return await self._call_in_team(method, spec, args, token)

    async def _call_in_team(self, method: str, spec: Method, args: JSON, token: str) -> JSON:
        core = self.core
        actor = core.ws.tokens[token]
        if actor.kind not in spec.tokens:
            raise ApiError("not_allowed_token_type")
        check_scopes(method, actor, channel_kind(args, core.ws.channels))
        owner = actor.app.app_id if actor.app is not None else actor.user_id
        retry_after = core.limiter.check(method, f"{core.ws.team_id}:{owner}", args)
        if retry_after is not None:
            raise ApiError("ratelimited", status=429, headers={"Retry-After": str(retry_after)})
        request = ApiRequest(method, copy.copy(args), actor, core.base_url)
        result: dict[str, Any] = await spec.handler(core, request)
        return {"ok": True, **result}
