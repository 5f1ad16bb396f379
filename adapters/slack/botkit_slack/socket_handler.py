"""Bolt's Socket Mode handler as the adapter's Socket Mode transport uses it (imported
only in Socket Mode: an app on the HTTP Events API does not load the Socket Mode client)."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["DrainingHandler", "EnvelopeDoor"]

log = logging.getLogger("botkit.slack")


class EnvelopeDoor:
    """Where a Socket Mode connection takes envelopes in, and how it stops before its socket
    closes: after ``refuse`` an envelope is left unacked (Slack delivers it again, elsewhere
    or to the next process); ``settled`` waits for the ones already taken."""

    def __init__(self) -> None:
        self.refusing = False
        self.refused = 0
        self._handling: set[asyncio.Task[Any]] = set()

    def refuse(self) -> None:
        self.refusing = True

    async def settled(self, timeout: float) -> None:
        """Until the envelopes already taken are acked (or ``timeout``)."""
        if self._handling:
            await asyncio.wait(set(self._handling), timeout=timeout)

    async def take(self, req: SocketModeRequest, handle: Callable[[], Awaitable[None]]) -> None:
        """Run ``handle`` for the envelope unless refusing; an ack that meets the closing
        socket while stopping is one INFO line (Slack delivers the envelope again)."""
        if self.refusing:
            self.refused += 1
            log.debug("stopping: envelope %s left for Slack to deliver again", req.envelope_id)
            return
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            await handle()
        except ConnectionError as exc:
            if not self.refusing:
                raise
            log.info("stopping: envelope %s was handled but its ack met the closing socket "
                     "(%s); Slack delivers it again", req.envelope_id, exc)
        finally:
            if task is not None:
                self._handling.discard(task)


class DrainingHandler(AsyncSocketModeHandler, EnvelopeDoor):
    """Bolt's Socket Mode handler, with a way to stop taking envelopes before the socket
    closes (``refuse``, ``settled``), and a lost race with the close logged as such."""

    def __init__(self, app: AsyncApp, app_token: str, client: AsyncWebClient) -> None:
        AsyncSocketModeHandler.__init__(self, app, app_token, web_client=client)
        EnvelopeDoor.__init__(self)

    async def handle(self, client: SocketModeClient,  # type: ignore[override]
                     req: SocketModeRequest) -> None:
        await self.take(req, functools.partial(AsyncSocketModeHandler.handle, self, client, req))
