"""Socket Mode over a real WebSocket (``/link/?ticket=...``).

``apps.connections.open`` issues a one-use ticket URL. On connect the server sends ``hello``; each
envelope (``events_api``/``interactive``/``slash_commands``) goes to one of up to
``max_socket_connections`` sockets in turn and must be acked with ``{"envelope_id": ...}`` within
``ack_timeout``; unacked ``events_api`` envelopes are sent again with a higher ``retry_attempt``
(handled by the dispatcher). WebSocket pings are answered with pongs echoing their payload.
``disconnect(reason)`` sends a ``disconnect`` frame (``warning``, ``refresh_requested``,
``link_disabled``, ``too_many_websockets``) and, but for ``warning``, closes the socket soon after.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .core import Core
from .delivery import Outcome
from .models import JSON
from .records import Delivery

SOCKET_RETRY_REASON = "timeout"


@dataclass
class Connection:
    id: str
    ws: web.WebSocketResponse
    opened_at: float
    envelopes: int = 0
    closing: bool = field(default=False)


class SocketHub:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.tickets: set[str] = set()
        self.connections: list[Connection] = []
        self.pending: dict[str, tuple[asyncio.Future[JSON], Delivery]] = {}
        self._turn = 0
        self._routes: dict[str, str] = {}  # envelope type -> connection id, for the next one
        self._closers: set[asyncio.Task[Any]] = set()

    def issue_url(self) -> str:
        ticket = self.core.ids.secret(16)
        self.tickets.add(ticket)
        root = self.core.root_url.replace("http://", "ws://", 1)
        return f"{root}link/?ticket={ticket}&app_id={self.core.app.app_id}"

    def _frame(self, kind: str, **fields: Any) -> str:
        return json.dumps(
            {
                "type": kind,
                **fields,
                "num_connections": len(self.connections),
                "debug_info": {
                    "host": "applink-emulator",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.core.app.app_id},
            }
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ticket = request.query.get("ticket", "")
        if ticket not in self.tickets:
            return web.Response(status=401, text="invalid or used ticket")
        self.tickets.discard(ticket)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        if (
            len([c for c in self.connections if not c.closing])
            >= self.core.config.max_socket_connections
        ):
            await ws.send_str(self._frame("disconnect", reason="too_many_websockets"))
            await ws.close()
            return ws
        conn = Connection(self.core.ids.new("WS"), ws, self.core.clock.now())
        self.connections.append(conn)
        self.core.dispatcher.socket_mode = True
        try:
            await ws.send_str(self._frame("hello"))
            self.core.changed("socket", conn)
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(msg.data)
        finally:
            if conn in self.connections:
                self.connections.remove(conn)
            self.core.changed("socket", conn)
        return ws

    def _on_text(self, data: str) -> None:
        try:
            frame = json.loads(data)
        except ValueError:
            return
        envelope_id = frame.get("envelope_id") if isinstance(frame, dict) else None
        entry = self.pending.get(str(envelope_id))
        if entry is None:
            return
        future, delivery = entry
        payload = frame.get("payload") or {}
        if future.done():
            delivery.response = {"late": True, "payload": payload}
            self.pending.pop(str(envelope_id), None)
            self.core.changed("delivery", delivery)
        else:
            future.set_result(payload)

    def route_next(self, connection: str, kind: str = "interactive") -> None:
        """Send the next ``kind`` envelope over ``connection`` (then round robin again)."""
        self._routes[kind] = connection

    def _pick(self, kind: str = "") -> Connection | None:
        live = [c for c in self.connections if not c.closing and not c.ws.closed]
        if not live:
            return None
        routed = self._routes.pop(kind, None)
        chosen = next((c for c in live if c.id == routed), None)
        if chosen is not None:
            return chosen
        self._turn += 1
        return live[self._turn % len(live)]

    async def deliver(
        self,
        kind: str,
        payload: JSON,
        *,
        attempt: int = 1,
        retry_reason: str = "",
        event_id: str | None = None,
        accepts_response_payload: bool = False,
    ) -> Outcome:
        """Send one envelope and wait for its ack (``Outcome.body`` is the ack's ``payload``)."""
        envelope_id = self.core.ids.envelope_id()
        envelope: JSON = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope["retry_attempt"] = attempt - 1
            envelope["retry_reason"] = retry_reason if attempt > 1 else ""
        delivery = self.core.new_delivery(
            kind=kind,
            transport="socket",
            attempt=attempt,
            payload=payload,
            event_id=event_id,
            envelope_id=envelope_id,
            retry_reason=retry_reason if attempt > 1 else None,
        )
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self.pending[envelope_id] = (future, delivery)
        conn = self._pick(kind)
        if conn is not None:
            try:
                await conn.ws.send_str(json.dumps(envelope))
                conn.envelopes += 1
                delivery.headers = {"connection": conn.id}
            except ConnectionError:
                conn = None
        if conn is None:
            self.pending.pop(envelope_id, None)
            self.core.finish_delivery(delivery, "no_connection")
            return Outcome(False, SOCKET_RETRY_REASON, delivery=delivery)
        try:
            ack = await asyncio.wait_for(asyncio.shield(future), self.core.config.ack_timeout)
        except TimeoutError:
            future.cancel()  # a later ack is recorded as late
            self.core.finish_delivery(delivery, "timeout")
            return Outcome(False, SOCKET_RETRY_REASON, delivery=delivery)
        self.pending.pop(envelope_id, None)
        self.core.finish_delivery(delivery, "acked", response=ack)
        return Outcome(True, body=ack, delivery=delivery)

    async def disconnect(
        self,
        reason: str = "refresh_requested",
        *,
        connection: str | None = None,
        close: bool | None = None,
    ) -> int:
        """Send ``disconnect`` to one or every socket; returns how many got it."""
        targets = [c for c in self.connections if connection in (None, c.id) and not c.ws.closed]
        should_close = reason != "warning" if close is None else close
        for conn in targets:
            with contextlib.suppress(ConnectionError):
                await conn.ws.send_str(self._frame("disconnect", reason=reason))
            if should_close:
                conn.closing = True
                task = asyncio.get_running_loop().create_task(self._close_later(conn))
                self._closers.add(task)
                task.add_done_callback(self._closers.discard)
        if reason == "link_disabled" and should_close:
            self.core.dispatcher.socket_mode = False
        return len(targets)

    async def _close_later(self, conn: Connection) -> None:
        await asyncio.sleep(self.core.config.disconnect_grace)
        await conn.ws.close()

    async def close(self) -> None:
        for task in list(self._closers):
            task.cancel()
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close()
        for future, _ in self.pending.values():
            if not future.done():
                future.cancel()
