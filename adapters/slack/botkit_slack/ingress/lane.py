"""The ack lane: in Socket Mode with the durable inbox on, the WebSocket, the store write
and the ack run on a thread of their own, with an event loop of their own.

The bot's loop is busy with turns (hundreds at 300 mentions/s): every step of the ack path
that waits for it (the frame received, the listener task, the store's reply, the ack sent)
waits for everything queued there. On the lane, a ``message`` / ``app_mention`` envelope
is received, decided (``DirectIntake``), written to the inbox (``BotHandle.admit_delivery``
awaited on the lane's loop: the store writes from any thread, SQLite on its worker's urgent
lane, Redis on its ack lane's connection) and acked without the bot's loop. Every other
envelope (clicks, commands, modals, other events) is handed to Bolt on the bot's loop
(``asyncio.run_coroutine_threadsafe``) and acked on the lane with Bolt's response.

Stopping (``begin_drain``): envelopes arriving from then on are refused (not acked: Slack
sends them again, elsewhere or to the next process), the ones in hand get up to
``DRAIN_ACKS`` seconds to be stored and acked, then the socket closes and the thread ends
(``STOP_GRACE`` seconds at most). An ack that meets the closing socket is one INFO line.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from slack_bolt.adapter.socket_mode.async_internals import (
    run_async_bolt_app,
    send_async_response,
)
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.ingress.direct import DirectIntake
from botkit_slack.socket_handler import EnvelopeDoor

__all__ = ["DRAIN_ACKS", "STOP_GRACE", "AckLane"]

log = logging.getLogger("botkit.slack")
DRAIN_ACKS = 5.0  # seconds the envelopes in hand get to be stored and acked on stopping
STOP_GRACE = 5.0  # seconds the lane's thread gets to close its socket and end


class AckLane(EnvelopeDoor):
    """A Socket Mode connection served on a thread of its own (see the module doc)."""

    def __init__(self, app: AsyncApp, app_token: str, base_url: str, direct: DirectIntake,
                 *, on_connected: Callable[[], None] | None = None) -> None:
        self.app, self.app_token, self.base_url = app, app_token, base_url
        self.direct = direct
        self.on_connected = on_connected
        EnvelopeDoor.__init__(self)
        self._stopped = False
        self.client: SocketModeClient | None = None
        self._bot_loop: asyncio.AbstractEventLoop | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- the bot's loop ----------------------------------------------------------------
    async def start(self) -> None:
        """Start the thread and connect (raises what connecting raised)."""
        self._bot_loop = asyncio.get_running_loop()
        self.direct.bot_loop = self._bot_loop
        ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True,
                                        name="botkit-slack-ack-lane")
        self._thread.start()
        try:
            await asyncio.wrap_future(ready)
        except BaseException:
            await self.stop()
            raise

    async def begin_drain(self, timeout: float = DRAIN_ACKS) -> None:
        """Refuse new envelopes, let the ones in hand be acked (up to ``timeout`` seconds),
        then close."""
        self.refusing = True
        await self._on_lane(self.settled(timeout))
        await self.stop()

    async def stop(self) -> None:
        """Close the socket; the thread ends once the envelopes still in hand are done
        (``STOP_GRACE`` seconds at most: their acks meet the closed socket, and Slack
        sends them again)."""
        if self._stopped:
            return
        self._stopped = self.refusing = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._on_lane(self._close()), STOP_GRACE)
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(self._wind_down(), loop)

    async def _wind_down(self) -> None:
        await self.settled(STOP_GRACE)
        asyncio.get_running_loop().stop()

    async def _on_lane(self, coro: Any) -> Any:
        loop = self._loop
        if loop is None or loop.is_closed() or not loop.is_running():
            coro.close()
            return None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))

    # -- the lane's thread and loop ----------------------------------------------------
    def _run(self, ready: Future[None]) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._connect(ready))
            if ready.exception() is None:
                loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(self._close())
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _connect(self, ready: Future[None]) -> None:
        try:
            client = self.client = SocketModeClient(
                app_token=self.app_token, logger=self.app.logger,
                web_client=AsyncWebClient(base_url=self.base_url))
            client.socket_mode_request_listeners.append(self._handle)  # type: ignore[arg-type]
            client.message_listeners.append(self._hello)
            await client.connect()  # type: ignore[no-untyped-call]
        except BaseException as exc:
            ready.set_exception(exc)
            return
        ready.set_result(None)

    async def _close(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            await client.close()  # type: ignore[no-untyped-call]

    async def _hello(self, client: Any, message: dict[str, Any], raw: str | None) -> None:
        if message.get("type") == "hello" and self.on_connected is not None and \
                self._bot_loop is not None:  # Slack says hello on every new connection
            self._bot_loop.call_soon_threadsafe(self.on_connected)

    async def _handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        await self.take(req, functools.partial(self._route, client, req))

    async def _route(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        if req.type == "events_api" and self.direct.takes(req.payload):
            await self._store(client, req)
        else:
            await self._bolt(client, req)

    async def _store(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        try:
            if not await self._stored(req):
                return
            await client.send_socket_mode_response(
                SocketModeResponse(envelope_id=req.envelope_id))
        finally:  # the history cache updates it queued go to the bot's loop, after the ack
            self.direct.hand_over()

    async def _stored(self, req: SocketModeRequest) -> bool:
        """Store the delivery; False when that failed (not acked: Slack sends it again)."""
        problem = self.direct.problem(req.payload)
        if problem is not None:
            log.warning("acked a malformed Slack event without handling it (%s)", problem)
            return True
        try:
            await self.direct.admit(req.payload, req.retry_attempt or 0)
        except Exception as exc:
            log.warning("could not store a Slack message (%s: %s); not acked, Slack sends "
                        "it again", type(exc).__name__, exc)
            return False
        return True

    async def _bolt(self, client: SocketModeClient, req: SocketModeRequest) -> None:
        """Bolt runs on the bot's loop; its response is sent from here."""
        assert self._bot_loop is not None
        start = time.time()
        response = await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
            run_async_bolt_app(self.app, req), self._bot_loop))
        await send_async_response(client, req, response, start)
