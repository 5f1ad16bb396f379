"""Delivery failure modes: connection errors, redirects, the hourly event cap, reset."""

from __future__ import annotations

import socket

import pytest
from aiohttp import web
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, FakeClock, SlackEmulator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_connection_failed_is_retried(slack: SlackEmulator):
    slack.events_to(f"http://127.0.0.1:{free_port()}/slack/events")
    await slack.user_says("alice", "anyone?")
    await slack.drain()
    assert [(d.attempt, d.result) for d in slack.deliveries] == [
        (1, "connection_failed"),
        (2, "connection_failed"),
        (3, "connection_failed"),
        (4, "connection_failed"),
    ]
    assert slack.deliveries[1].headers["X-Slack-Retry-Reason"] == "connection_failed"


async def test_too_many_redirects(slack: SlackEmulator, serve):
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/events")

    app = web.Application()
    app.router.add_post("/events", loop)
    runner, root = await serve(app)
    try:
        slack.events_to(root + "/events")
        await slack.user_says("alice", "hello")
        await slack.drain()
    finally:
        await runner.cleanup()
    assert {d.result for d in slack.deliveries} == {"too_many_redirects"}


async def test_hourly_event_cap_sends_app_rate_limited(clock: FakeClock):
    config = EmulatorConfig.fast(events_per_hour=2)
    async with SlackEmulator(config=config, clock=clock) as slack:
        for i in range(4):
            await slack.user_says("alice", f"m{i}")
        await slack.drain()
        kinds = [d.payload["type"] for d in slack.deliveries]
        assert kinds == ["event_callback", "event_callback", "app_rate_limited"]
        limited = slack.deliveries[2].payload
        assert limited["api_app_id"] == slack.app_id
        assert limited["minute_rate_limited"] % 60 == 0
        clock.advance(3601)
        await slack.user_says("alice", "after an hour")
        await slack.drain()
        assert slack.deliveries[-1].payload["event"]["text"] == "after an hour"


async def test_reset_keeps_hooks_and_tokens_working(
    slack: SlackEmulator, client: AsyncWebClient, make_app, bolt_http
):
    await client.chat_postMessage(channel=slack.general, text="before")
    slack.reset()
    assert slack.messages() == []
    assert slack.calls == []
    app = make_app(slack)

    @app.command("/ping")
    async def ping(ack, respond):
        await ack()
        await respond(text="pong", response_type="in_channel")

    async with bolt_http(slack, app):
        await slack.slash("/ping")
        reply = await slack.wait_for_message(text="pong")
    assert reply["bot_id"] == slack.bot_id


async def test_bad_timestamps_in_history(slack: SlackEmulator, client: AsyncWebClient):
    with pytest.raises(SlackApiError) as oldest:
        await client.conversations_history(channel=slack.general, oldest="yesterday")
    assert oldest.value.response["error"] == "invalid_ts_oldest"
    with pytest.raises(SlackApiError) as latest:
        await client.conversations_replies(channel=slack.general, ts="1.0", latest="x")
    assert latest.value.response["error"] in ("invalid_ts_latest", "thread_not_found")
