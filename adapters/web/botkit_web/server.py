"""Serving the web routes on their own: ``create_app(adapter)`` or ``WebAdapter(port=…)``.

Inside a bigger aiohttp app (the threads API), add ``web_routes(adapter)`` instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from botkit.errors import UserError
from botkit_web.http import error_response, web_routes

if TYPE_CHECKING:
    from botkit_web.adapter import WebAdapter

__all__ = ["WebServer", "create_app"]


@web.middleware
async def _json_404(request: web.Request,
                    handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                    ) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return error_response(exc.status, exc.reason.lower().replace(" ", "_"),
                              f"{exc.reason}: {request.method} {request.path}")


def create_app(adapter: WebAdapter) -> web.Application:
    """An aiohttp app serving the adapter's routes (the adapter must be started)."""
    app = web.Application(client_max_size=adapter.max_body_bytes + 1024,
                          middlewares=[_json_404])
    app.add_routes(web_routes(adapter))
    return app


class WebServer:
    def __init__(self, adapter: WebAdapter, *, host: str, port: int) -> None:
        self.adapter = adapter
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> WebServer:
        runner = web.AppRunner(create_app(self.adapter), shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            raise UserError(f"the web adapter cannot listen on {self.host}:{self.port} "
                            f"({exc.strerror}): pick another port") from exc
        addresses = runner.addresses
        port = int(addresses[0][1]) if addresses else self.port
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.url = f"http://{host}:{port}"
        self._runner = runner
        return self

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
