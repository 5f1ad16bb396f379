"""How Slack reaches the bot: Socket Mode (an outbound WebSocket, no public URL) or HTTP
(the Events API posting to ``http://host:port/slack/events``).

In HTTP mode the signature is checked on the raw bytes before anything is parsed: a forged
or stale request gets 401 and never reaches Bolt. Bolt then acks within Slack's 3 seconds
(``process_before_response=False``) and runs listeners in the background.
"""

from __future__ import annotations

import logging
from typing import Protocol

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["HttpTransport", "SocketTransport", "Transport"]

log = logging.getLogger("botkit.slack")


class Transport(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    def describe(self) -> str: ...


class SocketTransport:
    def __init__(self, app: AsyncApp, app_token: str, client: AsyncWebClient) -> None:
        self.handler = AsyncSocketModeHandler(app, app_token, web_client=client)

    async def start(self) -> None:
        await self.handler.connect_async()  # type: ignore[no-untyped-call]

    async def stop(self) -> None:
        await self.handler.close_async()  # type: ignore[no-untyped-call]

    def describe(self) -> str:
        return "Socket Mode"


class HttpTransport:
    def __init__(self, app: AsyncApp, signing_secret: str, *, host: str, port: int,
                 path: str = "/slack/events") -> None:
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)
        self.host = host
        self.port = port
        self.path = path
        self._runner: web.AppRunner | None = None
        self.refused = 0

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        if not self._signed(raw, request):
            self.refused += 1
            log.warning("refused a request with a bad or stale Slack signature")
            return web.json_response({"error": "invalid request"}, status=401)
        bolt_request = AsyncBoltRequest(body=raw.decode("utf-8", errors="replace"),
                                        query=request.query_string,
                                        headers=dict(request.headers))
        response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    def _signed(self, raw: bytes, request: web.Request) -> bool:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        if not timestamp.isdigit() or not signature:
            return False
        return self.verifier.is_valid(body=raw, timestamp=timestamp, signature=signature)

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def start(self) -> None:
        web_app = web.Application(client_max_size=2 * 1024 * 1024)
        web_app.router.add_post(self.path, self.handle)
        web_app.router.add_get("/health", self.health)
        self._runner = web.AppRunner(web_app, access_log=None, handle_signals=False,
                                     shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}{self.path}"

    def describe(self) -> str:
        return f"HTTP Events API on {self.url}"
