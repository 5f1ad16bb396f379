"""Bolt's Socket Mode handler as the adapter's Socket Mode transport uses it (imported
only in Socket Mode: an app on the HTTP Events API does not load the Socket Mode client)."""

from __future__ import annotations

import asyncio
import logging

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["DrainingHandler"]

log = logging.getLogger("botkit.slack")


class DrainingHandler(AsyncSocketModeHandler):
    """Bolt's Socket Mode handler, with a way to stop taking envelopes before the socket
    closes (``refuse``, ``settled``), and a lost race with the close logged as such."""

    def __init__(self, app: AsyncApp, app_token: str, client: AsyncWebClient) -> None:
        super().__init__(app, app_token, web_client=client)
        self.refusing = False
        self.refused = 0
        self._handling: set[asyncio.Task[None]] = set()

    async def handle(self, client: SocketModeClient,  # type: ignore[override]
                     req: SocketModeRequest) -> None:
        if self.refusing:  # unacked: Slack delivers it again, elsewhere or to the next process
            self.refused += 1
            log.debug("stopping: envelope %s left for Slack to deliver again", req.envelope_id)
            return
        task = asyncio.current_task()
        if task is not None:
            self._handling.add(task)
        try:
            await super().handle(client, req)
        except ConnectionError as exc:
            if not self.refusing:
                raise
            log.info("stopping: envelope %s was handled but its ack met the closing socket "
                     "(%s); Slack delivers it again", req.envelope_id, exc)
        finally:
            if task is not None:
                self._handling.discard(task)

    def refuse(self) -> None:
        self.refusing = True

    async def settled(self, timeout: float) -> None:
        """Until the envelopes already handed to Bolt are acked (or ``timeout``)."""
        if self._handling:
            await asyncio.wait(set(self._handling), timeout=timeout)
