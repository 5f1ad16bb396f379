"""Waiting helpers, scripted faults and Socket Mode control for tests."""

from __future__ import annotations

import re
from collections.abc import Callable

from .ids import parse_ts
from .limiter import Fault, FaultKind
from .models import JSON, Message
from .records import Call, Delivery
from .testapi import Predicate, TestApi


class WaitingApi(TestApi):
    """Mixed into :class:`SlackEmulator` on top of :class:`TestApi`."""

    __test__ = False

    # -- waiting --------------------------------------------------------------------------------
    async def wait_for_message(
        self,
        predicate: Predicate | None = None,
        *,
        channel: str | None = None,
        thread_ts: str | None = None,
        text: str | re.Pattern[str] | None = None,
        user: str | None = None,
        from_bot: bool | None = None,
        after: str | None = None,
        ephemeral: bool = False,
        timeout: float = 5.0,
    ) -> JSON:
        """The first stored (or later posted/updated) message that matches every given filter."""
        core = self.core
        chan_id = self._channel(channel).id if channel else None
        uid = self._user(user).id if user else None
        after_us = parse_ts(after) if after else None

        def matches(msg: Message) -> JSON | None:
            if (msg.ephemeral_for is not None) != ephemeral or (chan_id and msg.channel != chan_id):
                return None
            if thread_ts and msg.thread_ts != thread_ts:
                return None
            if uid and msg.user != uid:
                return None
            if from_bot is not None and (msg.bot_id == core.app.bot_id) != from_bot:
                return None
            if after_us is not None and parse_ts(msg.ts) <= after_us:
                return None
            if isinstance(text, str) and text not in msg.text:
                return None
            if isinstance(text, re.Pattern) and not text.search(msg.text):
                return None
            if msg.ts not in core.ws.channels[msg.channel].messages and msg.ephemeral_for is None:
                return None
            body = self._view(core.ws.channels[msg.channel], msg)
            return body if predicate is None or predicate(body) else None

        for chan in core.ws.channels.values():
            for msg in chan.messages.values():
                if (found := matches(msg)) is not None:
                    return found
        for msg in core.ws.ephemerals:
            if (found := matches(msg)) is not None:
                return found

        def check() -> JSON | None:
            kind, obj = core.last_change
            return matches(obj) if kind in ("message", "ephemeral") else None

        return await core.wait(check, timeout, "a matching message")

    async def wait_for_call(
        self,
        method: str | None = None,
        *,
        predicate: Callable[[Call], bool] | None = None,
        since: int = 0,
        timeout: float = 5.0,
    ) -> Call:
        """The first recorded call (index ``>= since``) to ``method`` matching ``predicate``."""

        def check() -> Call | None:
            for call in self.core.calls[since:]:
                if (method is None or call.method == method) and (
                    predicate is None or predicate(call)
                ):
                    return call
            return None

        return await self.core.wait(check, timeout, f"a call to {method or 'any method'}")

    async def wait_for_delivery(
        self,
        predicate: Callable[[Delivery], bool] | None = None,
        *,
        kind: str | None = None,
        settled: bool = True,
        since: int = 0,
        timeout: float = 5.0,
    ) -> Delivery:
        """The first delivery attempt (settled unless told) of ``kind`` matching ``predicate``."""

        def check() -> Delivery | None:
            for d in self.core.deliveries[since:]:
                if settled and d.result == "pending":
                    continue
                if (kind is None or d.kind == kind) and (predicate is None or predicate(d)):
                    return d
            return None

        return await self.core.wait(check, timeout, f"a {kind or ''} delivery")

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until no delivery (or retry) is in flight."""
        await self.core.dispatcher.drain(timeout)

    # -- faults and limits ----------------------------------------------------------------------
    def ratelimit_next(self, method: str, count: int = 1, retry_after: int = 1) -> Fault:
        """The next ``count`` calls get HTTP 429 ``ratelimited`` with ``Retry-After``."""
        return self.core.faults.add(Fault(method, "ratelimited", count, retry_after=retry_after))

    def fail_next(
        self, method: str, *, status: int = 500, error: str | None = None, count: int = 1
    ) -> Fault:
        """The next calls answer HTTP ``status`` (``error`` with status 200: a method error)."""
        kind: FaultKind = "error" if status == 200 else "status"
        return self.core.faults.add(Fault(method, kind, count, status=status, error=error))

    def slow_next(self, method: str, delay: float, count: int = 1) -> Fault:
        return self.core.faults.add(Fault(method, "slow", count, delay=delay))

    def drop_next(self, method: str, count: int = 1) -> Fault:
        """The next calls get their connection closed with no answer."""
        return self.core.faults.add(Fault(method, "drop", count))

    def clear_faults(self) -> None:
        self.core.faults.clear()

    # -- Socket Mode ----------------------------------------------------------------------------
    @property
    def socket_connections(self) -> list[str]:
        return [c.id for c in self.core.sockets.connections if not c.closing]

    async def wait_for_socket(self, count: int = 1, timeout: float = 5.0) -> list[str]:
        def check() -> list[str] | None:
            live = self.socket_connections
            return live if len(live) >= count else None

        return await self.core.wait(check, timeout, f"{count} Socket Mode connection(s)")

    def route_next(self, connection: str, kind: str = "interactive") -> None:
        """Socket Mode: deliver the next ``kind`` envelope (``interactive``, ``events_api``,
        ``slash_commands``) over ``connection`` instead of the next one in turn; which
        connection got an envelope is in its delivery's ``headers["connection"]``."""
        self.core.sockets.route_next(connection, kind)

    async def disconnect_sockets(
        self, reason: str = "refresh_requested", *, connection: str | None = None
    ) -> int:
        return await self.core.sockets.disconnect(reason, connection=connection)
