"""Rate limits (HTTP 429 + integer Retry-After) and scripted faults, seen by slack_sdk."""

from __future__ import annotations

import asyncio
import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import Bucket, EmulatorConfig, RateLimits, SlackEmulator

NO_WAIT = FixedValueRetryIntervalCalculator(fixed_internal=0.01)


async def test_forced_429_is_retried_by_the_sdk_handler(
    slack: SlackEmulator, monkeypatch: pytest.MonkeyPatch
):
    import slack_sdk.http_retry.builtin_async_handlers as handlers

    monkeypatch.setattr(handlers.random, "random", lambda: 0.0)  # no jitter on top of Retry-After
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    slack.ratelimit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    posted = await client.chat_postMessage(channel=slack.general, text="after a 429")
    assert posted["ok"]
    assert time.monotonic() - started >= 1.0
    first, second = slack.calls_to("chat.postMessage")
    assert (first.status, first.error) == (429, "ratelimited")
    assert second.status == 200
    assert second.ok
    assert len(slack.messages(slack.general)) == 1


async def test_429_reaches_a_client_without_handler(slack: SlackEmulator):
    sync = WebClient(token=slack.bot_token, base_url=slack.base_url)
    slack.ratelimit_next("users.info", retry_after=7)
    with pytest.raises(SlackApiError) as exc:
        await asyncio.to_thread(sync.users_info, user="U0EMUALICE")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "7"
    assert exc.value.response["error"] == "ratelimited"


async def test_tier_bucket_limits_and_refills_on_the_clock(clock):
    limits = RateLimits(method_tiers={"users.info": Bucket(per_minute=20, burst=3)})
    async with SlackEmulator(config=EmulatorConfig.fast(rate_limits=limits), clock=clock) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        for _ in range(3):
            await client.users_info(user="U0EMUALICE")
        with pytest.raises(SlackApiError) as exc:
            await client.users_info(user="U0EMUALICE")
        assert exc.value.response.status_code == 429
        assert int(exc.value.response.headers["Retry-After"]) == 3
        clock.advance(3)
        assert (await client.users_info(user="U0EMUALICE"))["ok"]


async def test_post_message_per_channel_rule(slack: SlackEmulator, client: AsyncWebClient, clock):
    burst = slack.config.rate_limits.post_message_per_channel.burst
    for i in range(burst):
        await client.chat_postMessage(channel=slack.general, text=str(i))
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel=slack.general, text="too fast")
    assert exc.value.response.status_code == 429
    assert exc.value.response.headers["Retry-After"] == "1"
    dm = slack.open_dm("alice")
    assert (await client.chat_postMessage(channel=dm, text="other channel"))["ok"]
    clock.advance(1)
    assert (await client.chat_postMessage(channel=slack.general, text="later"))["ok"]


async def test_server_errors_and_method_errors(slack: SlackEmulator, client: AsyncWebClient):
    slack.fail_next("auth.test", status=503)
    with pytest.raises(SlackApiError) as exc:
        await client.auth_test()
    assert exc.value.response.status_code == 503
    slack.fail_next("auth.test", status=200, error="fatal_error")
    with pytest.raises(SlackApiError) as fatal:
        await client.auth_test()
    assert (fatal.value.response.status_code, fatal.value.response["error"]) == (200, "fatal_error")
    retrying = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    retrying.retry_handlers.append(
        AsyncServerErrorRetryHandler(max_retry_count=1, interval_calculator=NO_WAIT)
    )
    slack.fail_next("auth.test", status=500)
    assert (await retrying.auth_test())["ok"]


async def test_dropped_connection_and_slow_answer(slack: SlackEmulator):
    no_retry = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url, retry_handlers=[])
    slack.drop_next("auth.test")
    with pytest.raises(Exception) as exc:
        await no_retry.auth_test()
    assert (
        "disconnect" in type(exc.value).__name__.lower() or "disconnect" in str(exc.value).lower()
    )
    retrying = AsyncWebClient(
        token=slack.bot_token,
        base_url=slack.base_url,
        retry_handlers=[AsyncConnectionErrorRetryHandler(interval_calculator=NO_WAIT)],
    )
    slack.drop_next("auth.test")
    assert (await retrying.auth_test())["ok"]  # the SDK's connection-error retry handler
    assert [c.status for c in slack.calls_to("auth.test")] == [0, 0, 200]
    impatient = AsyncWebClient(
        token=slack.bot_token, base_url=slack.base_url, timeout=0.1, retry_handlers=[]
    )
    slack.slow_next("auth.test", delay=0.3)
    with pytest.raises(asyncio.TimeoutError):
        await impatient.auth_test()
