"""A proxy in front of the emulator's Web API that answers chosen methods the way an edge
proxy does when Slack is unwell: a 5xx whose body is not Slack's JSON. slack_sdk reads each
kind differently: ``html`` (text/html) leaves an empty response, ``text`` (text/plain) keeps
the body as a string, ``json`` (a JSON content type, a body that does not parse) raises with
aiohttp's response object in place of a Slack response."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp
from aiohttp import web

__all__ = ["EdgeProxy"]

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"
BODIES = {"html": (HTML_502, "text/html"), "text": ("upstream connect error", "text/plain"),
          "json": ("<html>Bad Gateway</html>", "application/json")}


class EdgeProxy:
    def __init__(self, target: str) -> None:
        self.target = target.rstrip("/")  # the emulator's .../api
        self.failing: Counter[str] = Counter()
        self.kind = "html"
        self.failed: Counter[str] = Counter()
        self.held: dict[str, asyncio.Event] = {}
        self.waiting: Counter[str] = Counter()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.url = ""

    def fail_next(self, method: str, count: int = 1, *, kind: str = "html") -> None:
        """The next ``count`` calls of ``method`` get a 502 with a ``kind`` body."""
        self.failing[method] += count
        self.kind = kind

    def hold(self, method: str) -> asyncio.Event:
        """Calls of ``method`` wait (``waiting`` counts them) until the event is set."""
        self.held[method] = asyncio.Event()
        return self.held[method]

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        gate = self.held.get(method)
        if gate is not None and not gate.is_set():
            self.waiting[method] += 1
            await gate.wait()
        if self.failing[method] > 0:
            self.failing[method] -= 1
            self.failed[method] += 1
            text, content_type = BODIES[self.kind]
            return web.Response(status=502, text=text, content_type=content_type)
        assert self._session is not None
        headers = {k: v for k, v in request.headers.items()
                   if k.lower() not in ("host", "content-length")}
        async with self._session.request(
                request.method, f"{self.target}/{method}", params=request.query,
                data=await request.read(), headers=headers) as answer:
            body = await answer.read()
            out = {k: v for k, v in answer.headers.items()
                   if k.lower() in ("content-type", "retry-after")}
            return web.Response(status=answer.status, body=body, headers=out)

    async def __aenter__(self) -> EdgeProxy:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/api/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()
