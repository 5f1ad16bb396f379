"""Web API clients with Slack's retry behaviour, and pacing that keeps calls under the tiers.

Two clients share one token: ``api`` retries HTTP 429 (honouring ``Retry-After``) and
connection errors, so a burst loses nothing; ``quick`` only retries connection errors and is
used for best-effort calls (the "thinking" status) that must never delay a reply.

A call Slack refuses because of how the app is set up (``missing_scope``,
``messages_tab_disabled``) raises ``SlackSetupError``: a ``SlackApiError`` and a ``UserError``
whose text names the manifest change that fixes it (logged once per fix; the core shows a
``UserError`` in the conversation when it can still post there).

Outside the Slack Marketplace, ``conversations.replies`` and ``conversations.history`` allow one
call a minute (``limit`` at most 15): pass ``rate_limits={"conversations.replies": (1, 1),
"conversations.history": (1, 1)}`` so the adapter paces those reads itself instead of waiting
out 429s (it rarely needs them: the history cache is kept current from events).

``Pacer`` is a token bucket per Slack rate-limit bucket (method, or method and channel).
Mandatory calls ``await take()``; optional ones (intermediate stream edits) ``try_take()`` and
are skipped, their text folded into the next edit, when the bucket is empty. Calls queued on
a bucket leave in batches of up to ``BATCH_SLACK`` seconds of its refill, one wake-up each.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from botkit.errors import UserError

__all__ = [
    "DEFAULT_BASE_URL",
    "Pacer",
    "RateLimiter",
    "SlackClient",
    "SlackSetupError",
    "http_status",
    "make_clients",
    "setup_fix",
    "slack_error",
]

DEFAULT_BASE_URL = "https://slack.com/api/"


def slack_error(exc: BaseException) -> str:
    """What went wrong, in a word: Slack's ``error`` code for a ``SlackApiError`` (also when
    the body was not JSON: an HTML or plain-text 5xx from a proxy is ``http_502``), else the
    exception's type. Never the body itself, which may echo what was sent."""
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, str):
            return error
        return f"http_{http_status(exc)}"
    return type(exc).__name__


def http_status(exc: BaseException) -> int | None:
    """The HTTP status of a failed Slack call (None when it never got an answer)."""
    response = getattr(exc, "response", None)  # a SlackResponse, or aiohttp's response
    for name in ("status_code", "status"):     # when the body did not parse as JSON
        status = getattr(response, name, None)
        if isinstance(status, int):
            return status
    return None


log = logging.getLogger("botkit.slack")


class SlackSetupError(SlackApiError, UserError):
    """Slack refused a call because of the app's setup; the text names the fix (only that:
    not Slack's whole answer, which lists every scope the app has)."""

    def __init__(self, fix: str, response: Any) -> None:
        super().__init__(fix, response)  # type: ignore[no-untyped-call]
        self.fix = fix

    def __str__(self) -> str:
        return self.fix


def setup_fix(method: str, exc: BaseException) -> str | None:
    """The manifest change that would have let ``method`` succeed, or None."""
    error = slack_error(exc)
    if error == "missing_scope":
        data = getattr(getattr(exc, "response", None), "data", None)
        needed = data.get("needed") if isinstance(data, dict) else None
        scope = f"bot scope {needed}" if isinstance(needed, str) and needed else "a bot scope"
        return (f"Slack refused {method}: the app lacks the {scope}. Add it under "
                "oauth_config.scopes.bot in the app manifest and reinstall the app.")
    if error == "messages_tab_disabled":
        return (f"Slack refused {method} in a DM: the app's Messages tab is off. Set "
                "features.app_home.messages_tab_enabled: true (and "
                "messages_tab_read_only_enabled: false) in the app manifest.")
    return None


class SlackClient(AsyncWebClient):
    """``AsyncWebClient`` raising ``SlackSetupError`` for setup mistakes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_errors: set[str] = set()

    async def api_call(self, api_method: str, *, http_verb: str = "POST",
                       files: dict[str, Any] | None = None, data: Any = None,
                       params: dict[str, Any] | None = None, json: dict[str, Any] | None = None,
                       headers: dict[str, Any] | None = None,
                       auth: dict[str, Any] | None = None) -> AsyncSlackResponse:
        try:
            return await super().api_call(api_method, http_verb=http_verb, files=files,
                                          data=data, params=params, json=json,
                                          headers=headers, auth=auth)
        except SlackApiError as exc:
            fix = setup_fix(api_method, exc)
            if fix is None:
                raise
            if fix not in self.setup_errors:
                self.setup_errors.add(fix)
                log.error("%s", fix)
            raise SlackSetupError(fix, exc.response) from exc


def make_clients(
    token: str, base_url: str | None, *, rate_limit_retries: int = 8, timeout: int = 30,
    client: Callable[..., AsyncWebClient] = SlackClient,
) -> tuple[AsyncWebClient, AsyncWebClient]:
    """(``api``, ``quick``): the retrying client and the best-effort one (built by
    ``client``: a ``TeamClient`` factory for OAuth installs, whose token is per call)."""
    url = base_url or DEFAULT_BASE_URL
    api = client(
        token=token or None, base_url=url, timeout=timeout,
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=2),
                        AsyncRateLimitErrorRetryHandler(max_retry_count=rate_limit_retries)])
    quick = client(
        token=token or None, base_url=url, timeout=min(timeout, 10),
        retry_handlers=[AsyncConnectionErrorRetryHandler(max_retry_count=1)])
    return api, quick


BATCH_SLACK = 1.0
"""Seconds: how much later than its token a queued call may leave so that it goes out with
the calls queued behind it (see ``Pacer._batch``)."""


WAKE_GRID = 0.1
"""Seconds: a ``RateLimiter``'s queued calls wake at multiples of this (``Pacer.grid``), so
the buckets of different channels due within it wake the bot once, not once each."""


@dataclass
class Pacer:
    """A token bucket: ``per_minute`` refill, up to ``burst`` tokens.

    Callers that find it empty queue, first come, first served; the first of them (the
    leader) sleeps until the refill it waits for, then hands the tokens there are to the
    callers at the head of the queue, itself first: they all go on in the same loop
    iteration (one wake-up for the batch), and the next in line becomes the leader. With
    ``grid`` (seconds), the leader wakes at the next multiple of it on ``clock`` (never
    earlier than its tokens), so pacers of different buckets due within the same ``grid``
    wake together."""

    per_minute: float
    burst: int
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False,
                                                      compare=False)
    grid: float = field(default=0.0, repr=False, compare=False)
    tokens: float = field(init=False)
    updated: float = field(init=False)
    _queue: deque[asyncio.Future[bool]] = field(default_factory=deque, init=False,
                                                repr=False, compare=False)
    """Callers waiting, in order; the first is the leader. A future's result: True, a token
    was taken for that caller; False, it leads now."""

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)
        self.updated = self.clock()

    def is_full(self) -> bool:
        """Refilled to ``burst``: no different from a new pacer, so it can be forgotten."""
        self._refill()
        return self.tokens >= self.burst

    def _refill(self) -> None:
        now = self.clock()
        refill = (now - self.updated) * self.per_minute / 60
        self.tokens = min(float(self.burst), self.tokens + refill)
        self.updated = now

    def try_take(self, reserve: float = 0) -> bool:
        """Take a token if one is left over ``reserve`` (kept for calls that must happen)."""
        self._refill()
        if self.tokens >= 1 + reserve:
            self.tokens -= 1
            return True
        return False

    async def take(self) -> None:
        """Wait for a token (pacing, not polling: sleeps exactly until the refill it waits
        for). Only the leader sleeps: a burst of waiters must not all wake at every refill
        for one of them to win it, nor hand the bucket on one loop iteration at a time."""
        queue = self._queue
        if not queue and self.try_take():
            return
        waiter: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        queue.append(waiter)
        try:
            if len(queue) > 1 and await waiter:
                return  # the leader took a token for this caller
            await self._lead(waiter)
        except asyncio.CancelledError:
            self._give_up(waiter)
            raise

    async def _lead(self, waiter: asyncio.Future[bool]) -> None:
        """Sleep until the batch's tokens are there, then hand them out (``waiter``, at the
        head of the queue, first)."""
        queue = self._queue
        while True:
            delay = max(0.01, (self._batch() - self.tokens) * 60 / self.per_minute)
            if self.grid:
                now = self.clock()
                delay = math.ceil((now + delay) / self.grid) * self.grid - now
            await self.sleep(delay)
            served = False
            while queue and self.try_take():
                head = queue.popleft()
                if head is waiter:
                    served = True
                elif not head.done():
                    head.set_result(True)
                else:  # cancelled meanwhile: the token stays
                    self.tokens += 1
            if served:
                self._pass_lead()
                return

    def _pass_lead(self) -> None:
        """The next in line leads (callers cancelled meanwhile are leaving: skipped)."""
        queue = self._queue
        while queue and queue[0].done():
            queue.popleft()
        if queue:
            queue[0].set_result(False)

    def _give_up(self, waiter: asyncio.Future[bool]) -> None:
        """A caller cancelled while queued: it leaves the queue; a token taken for it goes
        back to the bucket, and its lead to the next in line."""
        queue = self._queue
        if waiter.done() and not waiter.cancelled() and waiter.result():
            self.tokens = min(float(self.burst), self.tokens + 1)
            return
        leading = bool(queue) and queue[0] is waiter
        if waiter in queue:
            queue.remove(waiter)
        if leading:
            self._pass_lead()

    @property
    def _waiting(self) -> int:
        return len(self._queue)

    def _batch(self) -> int:
        """Tokens the leader waits for: one, or, with more callers queued, as many as
        refill within ``BATCH_SLACK`` (at most ``burst``), so they go out back to back in
        one wake-up instead of one wake-up each; the last of them leaves when it would have
        anyway, the others up to ``BATCH_SLACK`` later."""
        return max(1, min(self._waiting, self.burst,
                          int(BATCH_SLACK * self.per_minute / 60)))


# Slack's published limits (per app and workspace; chat.postMessage ~1/s per channel).
DEFAULT_LIMITS: dict[str, tuple[float, int]] = {
    "chat.postMessage": (60, 4),
    "chat.postMessage:workspace": (300, 60),
    "chat.update": (50, 40),
    "chat.startStream": (20, 10),
    "chat.appendStream": (100, 50),
    "chat.stopStream": (20, 20),
    "conversations.replies": (50, 40),
    "conversations.history": (50, 40),
    "users.info": (100, 50),
    "users.list": (20, 10),
    "users.lookupByEmail": (50, 20),
}


class RateLimiter:
    """Pacers per method (``chat.postMessage`` per channel): Slack's rates at ``margin`` (clock
    drift) and its bursts less ``headroom`` tokens, so a call that reaches Slack a little late
    or out of order (network jitter) still finds a token there. Limits can be overridden."""

    PRUNE_AT = 5000

    def __init__(self, limits: dict[str, tuple[float, int]] | None = None, *,
                 margin: float = 0.99, headroom: int = 1,
                 clock: Callable[[], float] = time.monotonic,
                 grid: float = WAKE_GRID) -> None:
        self.limits = {**DEFAULT_LIMITS, **(limits or {})}
        self.grid = grid
        self.margin = margin
        self.headroom = headroom
        self.clock = clock
        self._pacers: dict[tuple[str, str], Pacer] = {}
        self._prune_at = self.PRUNE_AT

    def __len__(self) -> int:
        return len(self._pacers)

    def pacer(self, method: str, key: str = "") -> Pacer | None:
        spec = self.limits.get(method)
        if spec is None:
            return None
        pacer = self._pacers.get((method, key))
        if pacer is None:
            if len(self._pacers) >= self._prune_at:  # many channels: forget idle buckets
                self._pacers = {k: p for k, p in self._pacers.items() if not p.is_full()}
                # buckets still in use stay; the next sweep waits until as many more are made
                self._prune_at = max(self.PRUNE_AT, 2 * len(self._pacers))
            per_minute, burst = spec
            pacer = self._pacers[(method, key)] = Pacer(per_minute * self.margin,
                                                        max(1, burst - self.headroom),
                                                        clock=self.clock, grid=self.grid)
        return pacer

    async def take(self, method: str, key: str = "") -> None:
        pacer = self.pacer(method, key)
        if pacer is not None:
            await pacer.take()

    def try_take(self, method: str, key: str = "", *, optional: bool = False) -> bool:
        """A token now, or False. ``optional`` calls (intermediate edits) leave half the
        bucket to the calls that must happen (final renders)."""
        pacer = self.pacer(method, key)
        return pacer is None or pacer.try_take(pacer.burst / 2 if optional else 0)
