"""Delivering events, interactions and slash commands to the app over HTTP or Socket Mode.

HTTP: signed JSON (events) or form bodies (``payload=`` interactions, slash commands); a
delivery fails on no 2xx within ``ack_timeout`` (``http_timeout``, retried without waiting for
the late answer), a non-2xx (``http_error``), a connection error (``connection_failed``) or too
many redirects; events are retried ``len(retry_delays)`` times with ``X-Slack-Retry-Num`` /
``X-Slack-Retry-Reason`` and the same ``event_id`` unless a failed answer carries
``X-Slack-No-Retry: 1``. Socket Mode: see :mod:`.socket_mode`.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import aiohttp

from .core import Core
from .models import JSON
from .records import Delivery
from .signing import signed_headers

USER_AGENT = "Slackbot 1.0 (+https://api.slack.com/robots)"


@dataclass
class Outcome:
    ok: bool
    reason: str = ""
    no_retry: bool = False
    body: Any = None
    delivery: Delivery | None = None


class Dispatcher:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.request_url: str | None = None
        self.interactivity_url: str | None = None
        self.commands_url: str | None = None
        self.socket_mode = False
        self.session: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=64),
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        )

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.session is not None:
            await self.session.close()

    def spawn(self, coro: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until no delivery is in flight (retries included)."""
        async with asyncio.timeout(timeout):
            while self.tasks:
                await asyncio.gather(*list(self.tasks), return_exceptions=True)

    @property
    def transport(self) -> str | None:
        if self.socket_mode:
            return "socket"
        return "http" if self.request_url else None

    # -- events ---------------------------------------------------------------------------------
    def send_event(self, envelope: JSON) -> None:
        self.spawn(self._deliver_event(envelope))

    async def _deliver_event(self, envelope: JSON) -> None:
        reason = ""
        attempt = 0
        while True:
            attempt += 1
            transport = self.transport
            delays = (
                self.core.config.socket_retry_delays
                if transport == "socket"
                else self.core.config.retry_delays
            )
            if transport == "socket":
                outcome = await self.core.sockets.deliver(
                    "events_api",
                    envelope,
                    attempt=attempt,
                    retry_reason=reason,
                    event_id=envelope.get("event_id"),
                )
            elif transport == "http":
                outcome = await self._post_event(envelope, attempt, reason)
            else:
                self.core.finish_delivery(
                    self.core.new_delivery(
                        kind="event",
                        transport="none",
                        attempt=attempt,
                        payload=envelope,
                        event_id=envelope.get("event_id"),
                    ),
                    "no_target",
                )
                return
            if outcome.ok or outcome.no_retry or attempt > len(delays):
                return
            reason = outcome.reason
            await asyncio.sleep(delays[attempt - 1])

    async def _post_event(self, envelope: JSON, attempt: int, reason: str) -> Outcome:
        body = json.dumps(envelope).encode()
        headers = {"Content-Type": "application/json"}
        if attempt > 1:
            headers.update({"X-Slack-Retry-Num": str(attempt - 1), "X-Slack-Retry-Reason": reason})
        delivery = self.core.new_delivery(
            kind="event",
            transport="http",
            attempt=attempt,
            payload=envelope,
            event_id=envelope.get("event_id"),
            retry_reason=reason or None,
        )
        return await self.post(self.request_url or "", body, headers, delivery)

    # -- HTTP plumbing --------------------------------------------------------------------------
    async def post(
        self, url: str, body: bytes, headers: dict[str, str], delivery: Delivery
    ) -> Outcome:
        """POST a signed body; settle ``delivery`` and say whether it was acknowledged in time."""
        cfg = self.core.config
        headers = {
            **headers,
            **signed_headers(
                self.core.signing_secret, body, cfg.signing_mode, stale_by=cfg.stale_by
            ),
        }
        delivery.headers = headers
        request = self.spawn(self._request(url, body, headers))
        done, _ = await asyncio.wait({request}, timeout=cfg.ack_timeout)
        if not done:
            request.add_done_callback(lambda task: self._late(task, delivery))
            self.core.finish_delivery(delivery, "http_timeout")
            return Outcome(False, "http_timeout", delivery=delivery)
        try:
            status, answer_headers, text = request.result()
        except aiohttp.TooManyRedirects:
            return self._failed(delivery, "too_many_redirects")
        except aiohttp.ClientSSLError:
            return self._failed(delivery, "ssl_error")
        except (aiohttp.ClientConnectionError, OSError):
            return self._failed(delivery, "connection_failed")
        except Exception:
            return self._failed(delivery, "unknown_error")
        parsed = parse_body(text)
        if 200 <= status < 300:
            self.core.finish_delivery(delivery, "acked", status=status, response=parsed)
            return Outcome(True, body=parsed, delivery=delivery)
        no_retry = answer_headers.get("X-Slack-No-Retry") == "1"
        self.core.finish_delivery(delivery, "http_error", status=status, response=parsed)
        return Outcome(False, "http_error", no_retry=no_retry, body=parsed, delivery=delivery)

    def _failed(self, delivery: Delivery, reason: str) -> Outcome:
        self.core.finish_delivery(delivery, reason)
        return Outcome(False, reason, delivery=delivery)

    def _late(self, task: asyncio.Task[Any], delivery: Delivery) -> None:
        if not task.cancelled() and task.exception() is None:
            status, _, text = task.result()
            delivery.status = status
            delivery.response = {"late": True, "body": parse_body(text)}
            self.core.changed("delivery", delivery)

    async def _request(
        self, url: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], str]:
        assert self.session is not None, "the emulator is not running"
        async with self.session.post(
            url, data=body, headers=headers, max_redirects=self.core.config.max_redirects
        ) as response:
            text = await response.text()
            return response.status, dict(response.headers), text

    # -- interactions and commands --------------------------------------------------------------
    async def send_interactive(self, payload: JSON, *, accepts_response_payload: bool) -> Outcome:
        if self.transport == "socket":
            return await self.core.sockets.deliver(
                "interactive", payload, accepts_response_payload=accepts_response_payload
            )
        url = self.interactivity_url or self.request_url
        if not url:
            return self._no_target("interactive", payload)
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        delivery = self.core.new_delivery(
            kind="interactive", transport="http", attempt=1, payload=payload
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return await self.post(url, body, headers, delivery)

    async def send_command(self, fields: dict[str, str]) -> Outcome:
        if self.transport == "socket":
            return await self.core.sockets.deliver(
                "slash_commands", dict(fields), accepts_response_payload=True
            )
        url = self.commands_url or self.request_url
        if not url:
            return self._no_target("slash_commands", dict(fields))
        body = urllib.parse.urlencode(fields).encode()
        delivery = self.core.new_delivery(
            kind="slash_commands", transport="http", attempt=1, payload=dict(fields)
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return await self.post(url, body, headers, delivery)

    def _no_target(self, kind: str, payload: JSON) -> Outcome:
        delivery = self.core.new_delivery(kind=kind, transport="none", attempt=1, payload=payload)
        self.core.finish_delivery(delivery, "no_target")
        return Outcome(False, "no_target", delivery=delivery)

    async def url_verification(self, url: str | None = None) -> Outcome:
        """The ``url_verification`` handshake; acked only if the challenge comes back."""
        target = url or self.request_url
        challenge = self.core.ids.secret(16)
        payload = {
            "token": self.core.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }
        if not target:
            return self._no_target("url_verification", payload)
        delivery = self.core.new_delivery(
            kind="url_verification", transport="http", attempt=1, payload=payload
        )
        outcome = await self.post(
            target, json.dumps(payload).encode(), {"Content-Type": "application/json"}, delivery
        )
        if outcome.ok and echoed_challenge(outcome.body) != challenge:
            self.core.finish_delivery(delivery, "challenge_mismatch")
            return Outcome(False, "challenge_mismatch", body=outcome.body, delivery=delivery)
        return outcome


def parse_body(text: str) -> Any:
    """JSON when it parses, else the raw text."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def echoed_challenge(body: Any) -> str | None:
    if isinstance(body, dict):
        value = body.get("challenge")
        return str(value) if value is not None else None
    if isinstance(body, str):
        if body.startswith("challenge="):
            return urllib.parse.parse_qs(body).get("challenge", [""])[0]
        return body.strip()
    return None
