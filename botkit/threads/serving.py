"""The edge (L5) that wires the threads HTTP server into bots: ``botkit`` calls
``provide_server(serve_threads_api)`` when it is imported, so ``create_bot(threads_api=...)``
serves it without the core importing aiohttp or the server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from botkit.errors import UserError

if TYPE_CHECKING:
    from botkit.threads.config import APIServer, ThreadsAPIConfig
    from botkit.threads.service import Threads

__all__ = ["serve_threads_api"]


async def serve_threads_api(threads: Threads, config: ThreadsAPIConfig) -> APIServer:
    """Start the threads HTTP API (``botkit.threads.http``; needs aiohttp)."""
    try:
        from botkit.threads.http import serve_threads_api as serve
    except ImportError as exc:
        raise UserError('the threads HTTP API needs aiohttp: pip install "botkit[threads-api]" '
                        f"({exc})") from exc
    return await serve(threads, config)
