"""``SsePost``: POST a JSON body, read Server-Sent Events back, fail only with ``AgentError``.

Shared by the HTTP backends. Transport failures (refused connection, timeouts, HTTP error
statuses, a non-SSE answer, a broken stream) become ``AgentError`` messages that name the
server by a credential-free URL. Header values are never logged or shown. Nothing is
retried: a run is not idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Mapping
from typing import Any, TypeVar

import httpx

from botkit.agents._wire import error_detail, iter_sse, safe_url
from botkit.errors import AgentError, UserError

__all__ = ["SsePost"]

log = logging.getLogger("botkit.agents")
T = TypeVar("T")


class SsePost:
    def __init__(
        self,
        url: str,
        *,
        name: str,
        headers: Mapping[str, str] | None,
        timeout: float,
        connect_timeout: float,
        deadline: float | None,
        client: httpx.AsyncClient | None,
    ) -> None:
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL:
            parsed = httpx.URL()
        if parsed.scheme not in {"http", "https"} or not parsed.host:
            # never echo what may be credentials (user:pw@…, ?key=…) from a malformed URL
            shown = safe_url(url) if parsed.host else f"{parsed.scheme or 'no scheme'}://…"
            raise UserError(f"not an http(s) URL: {shown!r} "
                            "(expected something like http://127.0.0.1:8000/agent)")
        self.url = url
        self.name = name
        self.headers = {**dict(headers or {}), "Accept": "text/event-stream"}
        self.timeout = httpx.Timeout(timeout, connect=connect_timeout)
        self.deadline = deadline
        self.client = client

    def redacted_headers(self) -> dict[str, str]:
        return {k: "<redacted>" for k in self.headers if k != "Accept"}

    async def stream(self, body: dict[str, Any]) -> AsyncGenerator[str, None]:
        """POST ``body``; yield the data of each SSE event until the server ends the body."""
        loop = asyncio.get_running_loop()
        ends_at = None if self.deadline is None else loop.time() + self.deadline
        log.debug("POST %s", safe_url(self.url))
        async with contextlib.AsyncExitStack() as stack:
            client = self.client
            if client is None:
                client = await stack.enter_async_context(httpx.AsyncClient(timeout=self.timeout))
            request = client.build_request("POST", self.url, json=body, headers=self.headers,
                                           timeout=self.timeout)
            response = await self._guard(client.send(request, stream=True), ends_at)
            stack.push_async_callback(response.aclose)
            await self._check(response, ends_at)
            payloads = await stack.enter_async_context(
                contextlib.aclosing(iter_sse(response.aiter_lines())))
            while True:
                try:
                    data = await self._guard(anext(payloads), ends_at)
                except StopAsyncIteration:
                    return
                yield data

    async def _check(self, response: httpx.Response, ends_at: float | None) -> None:
        status = response.status_code
        if status >= 400:
            body = await self._guard(response.aread(), ends_at)
            detail = error_detail(body) or response.reason_phrase
            what = "rejected the request" if status < 500 else "failed"
            raise AgentError(f"{self.name} {what} (HTTP {status}): {detail}", code=str(status))
        if status != 200:
            raise AgentError(f"{self.name} answered HTTP {status} instead of an event stream",
                             code=str(status))
        content_type = response.headers.get("content-type", "")
        if content_type and "text/event-stream" not in content_type:
            raise AgentError(f"{self.name} answered {content_type.split(';')[0]!r} instead of "
                             "an event stream (text/event-stream)", code="content-type")

    async def _guard(self, step: Awaitable[T], ends_at: float | None) -> T:
        """Await one network step, translating its failures into ``AgentError``."""
        try:
            async with asyncio.timeout_at(ends_at):
                return await step
        except TimeoutError:
            raise AgentError(f"{self.name} did not finish within the deadline of "
                             f"{self.deadline:g} s", code="deadline") from None
        except httpx.TimeoutException as exc:
            raise AgentError(f"{self.name} timed out ({_timeout_kind(exc)})",
                             code="timeout") from None
        except httpx.ConnectError:
            raise AgentError(f"could not connect to {self.name}", code="connect") from None
        except httpx.HTTPError as exc:
            raise AgentError(f"the connection to {self.name} failed ({type(exc).__name__})",
                             code="transport") from None


def _timeout_kind(exc: httpx.TimeoutException) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "could not connect in time"
    if isinstance(exc, httpx.ReadTimeout):
        return "no data for too long"
    return "the request took too long"
