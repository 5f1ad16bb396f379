"""Fixtures: an emulator per test (fake clock, compressed timers) and real Slack clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, FakeClock, SlackEmulator


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> EmulatorConfig:
    return EmulatorConfig.fast()


@pytest.fixture
async def slack(clock: FakeClock, config: EmulatorConfig) -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator(config=config, clock=clock) as emulator:
        yield emulator


@pytest.fixture
def client(slack: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)


def _make_app(slack: SlackEmulator, **kwargs: object) -> AsyncApp:
    web_client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    return AsyncApp(client=web_client, signing_secret=slack.signing_secret, **kwargs)


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def _bolt_http(slack: SlackEmulator, app: AsyncApp) -> AsyncIterator[str]:
    """Serve a Bolt app over HTTP on port 0 and point the emulator's event delivery at it."""
    runner, root = await _serve(app.web_app(path="/slack/events"))
    url = root + "/slack/events"
    slack.events_to(url)
    try:
        yield url
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def _bolt_socket(
    slack: SlackEmulator, app: AsyncApp, connections: int = 1
) -> AsyncIterator[list[AsyncSocketModeHandler]]:
    """Run Bolt in Socket Mode (``connections`` handlers) against the emulator."""
    handlers = [AsyncSocketModeHandler(app, slack.app_token) for _ in range(connections)]
    for handler in handlers:
        await handler.connect_async()
    await slack.wait_for_socket(connections)
    try:
        yield handlers
    finally:
        for handler in handlers:
            await handler.close_async()


@pytest.fixture
def make_app():
    """``make_app(slack, **AsyncApp kwargs)``: a Bolt AsyncApp whose client targets the emulator."""
    return _make_app


@pytest.fixture
def serve():
    """``await serve(aiohttp_app)`` -> (runner, root URL) on 127.0.0.1, port 0."""
    return _serve


@pytest.fixture
def bolt_http():
    """``async with bolt_http(slack, app) as url``: Bolt over HTTP, events pointed at it."""
    return _bolt_http


@pytest.fixture
def bolt_socket():
    """``async with bolt_socket(slack, app, connections=1)``: Bolt in Socket Mode."""
    return _bolt_socket
