"""How Slack reaches the bot: Socket Mode (an outbound WebSocket, no public URL) or HTTP
(the Events API posting to ``http://host:port/slack/events``).

In HTTP mode the signature is checked here, once, on the raw bytes before anything is parsed
(Bolt's own check is off): a forged or stale request, or one with a timestamp that is not a
plausible Unix time, gets 401 and never reaches Bolt. With one workspace, Events API events
then go to ``ingress.events_api`` without Bolt, which is built on the first click, modal or
command; Bolt acks within Slack's 3 seconds (``process_before_response=False``) and runs
listeners in the background. A signed request
whose body is not a Slack payload (not UTF-8, not a JSON object, a bad ``payload=``, fields
of the wrong type: see :mod:`.ingress.shape`) gets 400 at once, and so does anything Bolt
could not handle; no request gets a 5xx, which Slack would retry, except one: once the bot
is stopping (``begin_drain``) every signed request gets 503, so that Slack retries it on
another process. Socket Mode closes its connection then instead, in this order: envelopes
arriving from then on are refused (neither handed to Bolt nor acked: Slack sends them again,
to another connection or to the next process), the ones already handed to Bolt get up to
``DRAIN_ACKS`` seconds to be stored and acked, then the socket closes. An ack that still
meets the closing socket is one INFO line (Slack sends that envelope again; the dispatch
pipeline drops the duplicate), never a traceback.

In Socket Mode the app-level token is tried once (``apps.connections.open``) before
connecting, so a wrong ``SLACK_APP_TOKEN`` fails the start instead of retrying forever.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import aiohttp
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from botkit.errors import AdapterError, UserError
from botkit_slack.client import slack_error
from botkit_slack.ingress.shape import payload_problem

if TYPE_CHECKING:
    from slack_bolt.app.async_app import AsyncApp
    from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow

    from botkit_slack.ingress.direct import DirectIntake
    from botkit_slack.ingress.events_api import EventsApi
    from botkit_slack.ingress.lane import AckLane
    from botkit_slack.socket_handler import DrainingHandler

__all__ = ["HttpTransport", "SocketTransport", "Transport"]

log = logging.getLogger("botkit.slack")

# apps.connections.open errors that no retry can fix: the app-level token itself is wrong
APP_TOKEN_REFUSED = frozenset({"invalid_auth", "not_authed", "not_allowed_token_type",
                               "token_revoked", "token_expired", "account_inactive"})
DRAIN_ACKS = 5.0  # seconds envelopes already handed to Bolt get to be acked before closing
MAX_BODY = 2 * 1024 * 1024  # a Slack payload is a few KB; larger gets 413


async def _body(request: web.Request) -> bytes:
    """The request's body, over ``MAX_BODY``: 413. Read from the stream rather than with
    ``request.read()``, which keeps a copy on the request (and aiohttp keeps the request
    until the connection's next one: a copy per idle keep-alive connection) after copying
    it twice; a body that came in one piece is the parser's own bytes here."""
    size = request.content_length
    if size is not None and size > MAX_BODY:
        raise web.HTTPRequestEntityTooLarge(MAX_BODY, size)
    chunks: list[bytes] = []
    got = 0
    while chunk := await request.content.readany():
        got += len(chunk)
        if got > MAX_BODY:
            raise web.HTTPRequestEntityTooLarge(MAX_BODY, got)
        chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _retry_num(headers: Mapping[str, str]) -> int:
    """Slack's ``X-Slack-Retry-Num`` (0: the first delivery)."""
    value = headers.get("X-Slack-Retry-Num", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 6 else 0


class Transport(Protocol):
    async def start(self) -> None: ...
    async def begin_drain(self) -> None: ...
    async def stop(self) -> None: ...
    def describe(self) -> str: ...


def _on_hello(then: Callable[[], None]) -> Callable[..., Awaitable[None]]:
    async def listener(client: Any, message: dict[str, Any], raw: str | None) -> None:
        if message.get("type") == "hello":
            then()
    return listener


class SocketTransport:
    """Socket Mode: Bolt's handler on the bot's loop; with ``direct`` (the durable inbox
    on), the connection served on a thread of its own instead (``ingress.lane.AckLane``)."""

    def __init__(self, app: AsyncApp, app_token: str, client: AsyncWebClient, *,
                 on_connected: Callable[[], None] | None = None,
                 direct: DirectIntake | None = None) -> None:
        # imported here: an app on the HTTP Events API does not load the Socket Mode client
        from botkit_slack.ingress.lane import AckLane
        from botkit_slack.socket_handler import DrainingHandler

        self.lane: AckLane | None = None
        self.bolt_handler: DrainingHandler | None = None
        if direct is not None:
            self.lane = AckLane(app, app_token, client.base_url, direct,
                                on_connected=on_connected)
        else:
            self.bolt_handler = DrainingHandler(app, app_token, client)
            if on_connected is not None:  # Slack says hello on every new connection
                self.bolt_handler.client.message_listeners.append(_on_hello(on_connected))
        self._app_token = app_token
        self._base_url = client.base_url
        self._closed = False

    @property
    def handler(self) -> DrainingHandler | AckLane:
        """What takes the envelopes (``refusing``, ``refused``)."""
        handler = self.lane or self.bolt_handler
        assert handler is not None
        return handler

    async def start(self) -> None:
        if self.lane is not None:
            await self._check_app_token()
            await self.lane.start()  # it cleans up after itself
            return
        assert self.bolt_handler is not None
        try:
            await self._check_app_token()
            await self.bolt_handler.connect_async()  # type: ignore[no-untyped-call]
        except BaseException:
            with contextlib.suppress(Exception):
                await self.bolt_handler.close_async()  # type: ignore[no-untyped-call]
            raise

    async def _check_app_token(self) -> None:
        """One ``apps.connections.open`` with the app-level token: the Socket Mode client
        would retry a refused token forever."""
        client = AsyncWebClient(token=self._app_token, base_url=self._base_url, timeout=30,
                                retry_handlers=[AsyncRateLimitErrorRetryHandler(3)])
        try:
            await client.apps_connections_open(app_token=self._app_token)
        except SlackApiError as exc:
            error = slack_error(exc)
            if error in APP_TOKEN_REFUSED:
                raise AdapterError(
                    "Slack refused the app-level token: check SLACK_APP_TOKEN (an xapp- token "
                    "with connections:write)", platform="slack", code=error) from None
            log.warning("apps.connections.open failed (%s); connecting anyway", error)
        except (aiohttp.ClientError, OSError) as exc:
            raise AdapterError(f"cannot reach Slack at {self._base_url}: {exc}",
                               platform="slack") from exc

    async def begin_drain(self) -> None:
        """Refuse new envelopes, let the ones in hand be acked, then close the socket."""
        if self.lane is not None:
            await self.lane.begin_drain(DRAIN_ACKS)
        elif self.bolt_handler is not None:
            self.bolt_handler.refuse()
            await self.bolt_handler.settled(DRAIN_ACKS)
        await self.stop()

    async def stop(self) -> None:
        if not self._closed:
            self._closed = True
            if self.lane is not None:
                await self.lane.stop()
            elif self.bolt_handler is not None:
                self.bolt_handler.refuse()
                await self.bolt_handler.close_async()  # type: ignore[no-untyped-call]

    def describe(self) -> str:
        return "Socket Mode" if self.lane is None else \
            "Socket Mode, acked on a thread of its own"


class HttpTransport:
    """The Events API over HTTP. ``bolt`` returns Bolt's app, building it on first use:
    with ``events`` set (one workspace), Events API events never need it (see
    ``ingress.events_api``); ``oauth_flow`` serves the install pages (many workspaces)."""

    def __init__(self, bolt: Callable[[], AsyncApp], signing_secret: str, *, host: str,
                 port: int, path: str = "/slack/events",
                 oauth_flow: AsyncOAuthFlow | None = None) -> None:
        self.bolt = bolt
        self.oauth_flow = oauth_flow
        self.verifier = SignatureVerifier(signing_secret)
        self._secret = signing_secret.encode()
        self.host = host
        self.port = port
        self.path = path
        self._runner: web.AppRunner | None = None
        self.refused = 0
        self.draining = False
        self.events: EventsApi | None = None

    async def begin_drain(self) -> None:
        self.draining = True

    async def handle(self, request: web.Request) -> web.Response:
        raw = await _body(request)
        if not self._signed(raw, request):
            self.refused += 1
            log.warning("refused a request with a bad or stale Slack signature")
            return web.json_response({"error": "invalid request"}, status=401)
        if self.draining:  # the one deliberate 5xx: Slack retries it, on another process
            return web.json_response({"error": "this process is stopping"}, status=503)
        try:
            text = raw.decode("utf-8")
            del raw  # one form of the body held at a time
            # the Events API posts JSON (as Bolt reads it); clicks and commands are forms
            body = json.loads(text) if self.events is not None and (
                text.startswith("{") or request.content_type == "application/json") else None
        except Exception as exc:  # not a Slack payload; never log the body itself
            return self._malformed(type(exc).__name__)
        if body is not None:
            if self.events is not None and self.events.ignores(body):
                return web.Response(status=200)  # the bot's own event (its reply, echoed)
            problem = payload_problem(body)
            if problem is not None:
                return self._malformed(problem)
            if self.events is not None and self.events.takes(body):
                del text  # (with the inbox on, the event is stored before the ack)
                return await self._event(self.events, body, _retry_num(request.headers))
        return await self._dispatch(text, request)

    async def _dispatch(self, text: str, request: web.Request) -> web.Response:
        """Through Bolt (imported and built on the first request that needs it)."""
        from slack_bolt.adapter.aiohttp import to_aiohttp_response
        from slack_bolt.request.async_request import AsyncBoltRequest

        try:
            bolt_request = AsyncBoltRequest(body=text, query=request.query_string,
                                            headers=dict(request.headers))
            problem = payload_problem(bolt_request.body)
        except Exception as exc:  # not a Slack payload; never log the body itself
            return self._malformed(type(exc).__name__)
        if problem is not None:
            return self._malformed(problem)
        try:
            response = await self.bolt().async_dispatch(bolt_request)
        except Exception as exc:
            log.debug("Bolt could not dispatch a signed request", exc_info=True)
            return self._malformed(type(exc).__name__)
        if response.status >= 500:  # Bolt failed on it: the payload is not one it can handle
            return self._malformed(f"Bolt answered {response.status}")
        return await to_aiohttp_response(response)

    @staticmethod
    async def _event(events: EventsApi, body: Mapping[str, Any], retry: int) -> web.Response:
        """An Events API event, handed on without Bolt; with the durable inbox on, a message
        is stored before the ack, and 503 (Slack retries) when it could not be."""
        try:
            await events.handle(body, retry)
        except Exception as exc:
            log.warning("could not take a Slack event (%s: %s); answered 503, Slack "
                        "sends it again", type(exc).__name__, exc)
            return web.json_response({"error": "could not store the event"}, status=503)
        return web.Response(status=200)

    @staticmethod
    def _malformed(why: str) -> web.Response:
        log.warning("refused a signed Slack request with a malformed body (%s)", why)
        return web.json_response({"error": "malformed request"}, status=400)

    def _signed(self, raw: bytes, request: web.Request) -> bool:
        timestamp = request.headers.get("X-Slack-Request-Timestamp", "")
        signature = request.headers.get("X-Slack-Signature", "")
        # a Unix time in seconds has 10 digits; anything much longer is not one (and int()
        # of thousands of digits is slow or refused)
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) or \
                not signature.isascii():
            return False
        if abs(self.verifier.clock.now() - int(timestamp)) > 60 * 5:
            return False  # stale: maybe replayed
        # over the raw bytes (SignatureVerifier would first decode them, failing on bad UTF-8),
        # fed after the prefix rather than copied behind it
        mac = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":", hashlib.sha256)
        mac.update(raw)
        expected = "v0=" + mac.hexdigest()
        return hmac.compare_digest(expected, signature)

    async def oauth(self, request: web.Request) -> web.Response:
        """The install link (a redirect to Slack's authorize page) and the redirect back
        (the code exchanged and the installation saved), by Bolt's OAuth flow."""
        from slack_bolt.adapter.aiohttp import to_aiohttp_response
        from slack_bolt.request.async_request import AsyncBoltRequest

        flow = self.oauth_flow
        assert flow is not None
        bolt_request = AsyncBoltRequest(body="", query=request.query_string,
                                        headers=dict(request.headers))
        if request.path == flow.install_path:
            response = await flow.handle_installation(bolt_request)
        else:
            response = await flow.handle_callback(bolt_request)
        return await to_aiohttp_response(response)

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def start(self) -> None:
        web_app = web.Application(client_max_size=MAX_BODY)
        web_app.router.add_post(self.path, self.handle)
        web_app.router.add_get("/health", self.health)
        flow = self.oauth_flow
        if flow is not None:  # installs in many workspaces: the install and redirect pages
            web_app.router.add_get(flow.install_path, self.oauth)
            web_app.router.add_get(flow.redirect_uri_path, self.oauth)
        self._runner = web.AppRunner(web_app, access_log=None, handle_signals=False,
                                     shutdown_timeout=2.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            reason = exc.strerror or str(exc)
            raise UserError(f"cannot serve Slack events on {self.host}:{self.port}: {reason} "
                            "(is another process using that port? pick another with "
                            "--http PORT or port=)") from exc
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
