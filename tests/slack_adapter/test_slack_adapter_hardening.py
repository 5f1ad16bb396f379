"""Regressions from the adapter review: the bot token stays with Slack, a wrong app token
fails the start, malformed signed requests get 400, a taken port is named, idle rate-limit
buckets are forgotten, `botkit run` keeps the app's own SlackAdapter, bad options are named."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_adapter_harness import HELPDESK, running
from slack_sdk.web.async_client import AsyncWebClient
from test_slack_adapter_cli import Out

from botkit.cli import load_app
from botkit.errors import BotkitError, UserError
from botkit_slack.adapter import SlackAdapter
from botkit_slack.client import RateLimiter
from botkit_slack.emulator import SlackEmulator
from botkit_slack.files import FileStore
from botkit_slack.run import serve_on_emulator, serve_on_slack
from botkit_slack.transport import HttpTransport

TOKEN = "xoxb-secret-bot-token"
SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SLACK_VARS, "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
                 "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


class Host:
    """A local web server that records the Authorization header of every request."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.root = ""
        self.redirect_to = ""

    async def serve(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.path, request.headers.get("Authorization")))
        if request.path.startswith("/moved"):
            raise web.HTTPFound(self.redirect_to)
        return web.Response(body=f"bytes of {request.path}".encode())


@pytest.fixture
async def hosts() -> AsyncIterator[tuple[Host, Host]]:
    """(the API host the adapter is configured with, a third-party host)."""
    runners, pair = [], (Host(), Host())
    for host in pair:
        app = web.Application()
        app.router.add_get("/{tail:.*}", host.serve)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host.root = f"http://127.0.0.1:{runner.addresses[0][1]}"
        runners.append(runner)
    try:
        yield pair
    finally:
        for runner in runners:
            await runner.cleanup()


# -- 1. the bot token only goes to Slack ----------------------------------------------------
async def test_file_downloads_never_send_the_bot_token_to_other_hosts(
        hosts: tuple[Host, Host]) -> None:
    api, third_party = hosts
    api.redirect_to = f"{third_party.root}/landing.txt"
    store = FileStore(AsyncWebClient(token=TOKEN, base_url=f"{api.root}/api/"), TOKEN)
    files: list[dict[str, Any]] = [
        {"id": "F1", "name": "hosted.txt", "mimetype": "text/plain", "size": 10,
         "mode": "hosted", "url_private_download": f"{api.root}/files/F1/hosted.txt"},
        {"id": "F2", "name": "design.gdoc", "mimetype": "text/plain", "mode": "external",
         "is_external": True, "external_type": "gdrive",
         "url_private": f"{third_party.root}/doc/F2"},
        {"id": "F3", "name": "remote.txt", "mimetype": "text/plain", "is_external": True,
         "url_private": f"{third_party.root}/doc/F3"},
        {"id": "F4", "name": "odd.txt", "mimetype": "text/plain", "mode": "hosted",
         "url_private": f"{third_party.root}/files/F4/odd.txt"},
        {"id": "F5", "name": "moved.txt", "mimetype": "text/plain", "mode": "hosted",
         "url_private": f"{api.root}/moved/F5"},
    ]
    got = {a.raw["id"]: a for a in await store.attachments(files)}
    assert got["F1"].data == b"bytes of /files/F1/hosted.txt"
    assert api.seen[0] == ("/files/F1/hosted.txt", f"Bearer {TOKEN}")
    # remote files are described (the agent hears of them) but never fetched
    assert got["F2"].data is None
    assert got["F3"].data is None
    assert got["F2"].name == "design.gdoc"
    assert not any(path.startswith("/doc/") for path, _ in third_party.seen)
    # whatever else reached the third party, it never carried the token
    assert {path for path, _ in third_party.seen} == {"/files/F4/odd.txt", "/landing.txt"}
    assert [auth for _, auth in third_party.seen] == [None, None]
    assert store.sends_token_to("https://files.slack.com/files-pri/T1-F1/x.txt")
    assert not store.sends_token_to("http://files.slack.com/files-pri/T1-F1/x.txt")
    assert not store.sends_token_to("https://files.slack.com.evil.example/x.txt")
    assert not store.sends_token_to(f"{api.root.rsplit(':', 1)[0]}:1/files/F1/x.txt")


# -- 2. a wrong app-level token ---------------------------------------------------------------
async def test_a_refused_app_token_fails_the_start_fast() -> None:
    async with SlackEmulator() as slack:
        bot = load_app(str(HELPDESK))
        wrong = "xapp-1-not-the-right-token"
        bot.adapters = [SlackAdapter(bot_token=slack.bot_token, app_token=wrong,
                                     base_url=slack.base_url, socket_mode=True)]
        started = time.monotonic()
        with pytest.raises(BotkitError) as info:
            async with asyncio.timeout(10):
                await bot.start()
        assert time.monotonic() - started < 5
        message = str(info.value)
        assert "Slack refused the app-level token: check SLACK_APP_TOKEN (an xapp- token " \
               "with connections:write)" in message
        assert wrong not in message
        assert len(slack.calls_to("apps.connections.open")) == 1  # tried once, not retried


# -- 3. signed requests with malformed bodies --------------------------------------------------
MALFORMED: dict[str, tuple[bytes, str]] = {
    "not json": (b"{this is not json", "application/json"),
    "json array": (b'[{"type": "event_callback"}]', "application/json"),
    "json string": (b'"event_callback"', "application/json"),
    "bad payload": (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    "payload array": (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    "invalid utf-8": (b'{"type": "event_callback", "text": "\xff\xfe"}', "application/json"),
}


async def test_signed_but_malformed_requests_get_400_and_unsigned_ones_401() -> None:
    async with running("http") as h:
        url = h.adapter.request_url
        assert url is not None

        async def post(body: bytes, content_type: str, *, signed: bool = True) -> int:
            timestamp = str(int(time.time()))
            headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp}
            if signed:  # over the bytes, as Slack signs (SignatureVerifier wants UTF-8)
                base = b"v0:" + timestamp.encode() + b":" + body
                headers["X-Slack-Signature"] = "v0=" + hmac.new(
                    h.slack.signing_secret.encode(), base, hashlib.sha256).hexdigest()
            async with aiohttp.ClientSession() as http, \
                    http.post(url, data=body, headers=headers) as response:
                return response.status

        statuses = {name: await post(body, kind) for name, (body, kind) in MALFORMED.items()}
        assert statuses == dict.fromkeys(MALFORMED, 400)
        body, kind = MALFORMED["not json"]
        assert await post(body, kind, signed=False) == 401
        challenge = b'{"type": "url_verification", "challenge": "abc", "token": "t"}'
        assert await post(challenge, "application/json") == 200
        asked = await h.mention("hello")  # the bot still works
        await h.reply(asked["ts"])


# -- 4. a taken port ---------------------------------------------------------------------------
async def test_http_transport_names_a_taken_port_and_cleans_up() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        transport = HttpTransport(None, "secret", host="127.0.0.1", port=port)  # type: ignore[arg-type]
        with pytest.raises(UserError, match=rf"127\.0\.0\.1:{port}"):
            await transport.start()
        assert transport._runner is None


# -- 5. rate-limit buckets of idle channels are forgotten --------------------------------------
def test_rate_limiter_forgets_refilled_buckets() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    most = 0
    for i in range(20_000):  # 20k channels, one message each, 50 ms apart
        assert limiter.try_take("chat.postMessage", f"C{i}")
        most = max(most, len(limiter))
        now[0] += 0.05  # each bucket is full again ~1.2 s (24 channels) after its message
    assert most <= RateLimiter.PRUNE_AT
    assert len(limiter) < 100


def test_rate_limiter_keeps_buckets_in_use() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    while limiter.try_take("chat.postMessage", "CBUSY"):
        pass
    busy = limiter.pacer("chat.postMessage", "CBUSY")
    for i in range(RateLimiter.PRUNE_AT + 10):  # a sweep, in the same instant: none idle
        limiter.try_take("chat.postMessage", f"C{i}")
    assert limiter.pacer("chat.postMessage", "CBUSY") is busy
    assert not limiter.try_take("chat.postMessage", "CBUSY")
    now[0] += 10  # all refilled: the next sweep (not one per new channel) drops them
    for i in range(2 * RateLimiter.PRUNE_AT):
        limiter.try_take("chat.postMessage", f"D{i}")
        assert len(limiter) <= 2 * RateLimiter.PRUNE_AT + 2
    assert limiter.pacer("chat.postMessage", "CBUSY") is not busy


# -- 6. `botkit run --adapter slack` keeps the app's SlackAdapter -------------------------------
APP = '''
from botkit import create_bot
from botkit.testing import Rule, Say, ScriptedAgent
from botkit_slack import SlackAdapter

slack = SlackAdapter(respond_to={"thread_replies": "after_bot_reply"}, streaming="edits",
                     thinking_status=None)
bot = create_bot(name="followup", adapters=[slack], agent=ScriptedAgent(
    [Rule(r"\\bbob\\b", Say("Bob is in IT."))], default=Say("Hello there.")))


@bot.on_mention
async def answer(ctx):
    await ctx.thread.run_agent()
'''


@pytest.fixture
def app_file(tmp_path: Path) -> Path:
    path = tmp_path / "followup_app.py"
    path.write_text(APP)
    return path


async def test_the_emulator_run_keeps_the_apps_own_slack_adapter(app_file: Path) -> None:
    bot = load_app(str(app_file))  # no Slack tokens in the environment: checked at start
    declared = bot.adapters[0]
    ready: asyncio.Queue[SlackEmulator] = asyncio.Queue()
    stop = asyncio.Event()
    served = asyncio.create_task(serve_on_emulator(bot, out=Out(), on_ready=ready.put,
                                                   stop=stop))
    try:
        slack = await ready.get()
        assert bot.adapters == [declared]
        assert isinstance(declared, SlackAdapter)
        assert declared.settings.streaming == "edits"
        asked = await slack.user_says("alice", f"<@{slack.bot_user_id}> hi", slack.general)
        await slack.wait_for_message(thread_ts=asked["ts"], from_bot=True, text="Hello there.")
        # a reply without a mention: answered only because of the app's respond_to
        follow = await slack.user_says("alice", "who is bob", slack.general, asked["ts"])
        await slack.wait_for_message(thread_ts=asked["ts"], from_bot=True,
                                     text="Bob is in IT.", after=follow["ts"])
    finally:
        stop.set()
        await served


async def test_the_slack_run_keeps_the_apps_own_slack_adapter(
        app_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bot = load_app(str(app_file))
    declared = bot.adapters[0]
    assert isinstance(declared, SlackAdapter)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")

    class Started(Exception):
        pass

    async def start() -> None:
        raise Started

    monkeypatch.setattr(bot, "start", start)
    with pytest.raises(Started):
        await serve_on_slack(bot, http_port=4321)
    assert bot.adapters == [declared]
    settings = declared.settings
    assert (settings.socket_mode, settings.port) == (False, 4321)
    assert settings.respond_to.thread_replies == "after_bot_reply"
    assert settings.streaming == "edits"


async def test_missing_tokens_are_reported_when_the_adapter_starts() -> None:
    adapter = SlackAdapter(respond_to={"app_mentions": "channel"})  # no tokens anywhere
    with pytest.raises(UserError, match="SLACK_BOT_TOKEN"):
        adapter.check_credentials()
    with pytest.raises(UserError, match="SLACK_BOT_TOKEN"):
        await adapter.start(None)  # type: ignore[arg-type]
    adapter.reconfigure(bot_token="xoxb-1", app_token="xapp-1")
    adapter.check_credentials()
    assert adapter.settings.respond_to.app_mentions == "channel"
    with pytest.raises(UserError, match="no option"):
        adapter.reconfigure(colour="red")


# -- 7. bad options are named ----------------------------------------------------------------
@pytest.mark.parametrize(("options", "named"), [
    ({"rate_limits": {"chat.update": 5}}, r"rate_limits.*chat\.update"),
    ({"rate_limits": {"chat.update": (0, 1)}}, r"rate_limits.*chat\.update.*per minute"),
    ({"rate_limits": {"chat.update": (50, 0)}}, r"rate_limits.*chat\.update.*burst"),
    ({"rate_limits": {"chat.update": (50, 2.5)}}, r"rate_limits.*burst"),
    ({"rate_limits": {"chat.update": ("fast", 4)}}, r"rate_limits.*per minute"),
    ({"rate_limits": [("chat.update", (50, 40))]}, r"rate_limits must map"),
    ({"suggested_prompts": ["hi"]}, r"suggested_prompts.*\(title, message\)"),
    ({"suggested_prompts": "hi"}, r"suggested_prompts"),
    ({"suggested_prompts": [("a", "b", "c")]}, r"suggested_prompts"),
    ({"suggested_prompts": [("title", 5)]}, r"suggested_prompts"),
    ({"respond_to": "thread"}, r"respond_to must be a dict.*thread_replies"),
    ({"respond_to": ["thread_replies"]}, r"respond_to must be a dict"),
    ({"respond_to": {"direct_messages": "no"}}, r"direct_messages must be True or False"),
    ({"respond_to": {"app_mentions": True}}, r"app_mentions"),
    ({"edit_interval": "fast"}, r"edit_interval must be a number"),
    ({"edit_interval": 0.1}, r"edit_interval must be a number of at least 0\.2"),
    ({"edit_interval": float("nan")}, r"edit_interval"),
    ({"first_post_delay": -1}, r"first_post_delay"),
    ({"rate_limit_retries": "8"}, r"rate_limit_retries must be a whole number"),
    ({"flat_history_limit": 0}, r"flat_history_limit"),
    ({"max_connections": 0}, r"max_connections"),
    ({"port": 70_000}, r"port must be a whole number from 0 to 65535"),
])
def test_bad_options_are_refused_with_the_option_named(options: dict[str, Any],
                                                         named: str) -> None:
    with pytest.raises(UserError, match=named):
        SlackAdapter(bot_token="xoxb-1", app_token="xapp-1", **options)


def test_good_options_are_accepted_and_normalised() -> None:
    adapter = SlackAdapter(
        bot_token="xoxb-1", app_token="xapp-1", edit_interval=1,
        rate_limits={"chat.update": [30, 10]}, respond_to={"app_mentions": False},
        suggested_prompts=[("Printer", "my printer is broken"),
                           {"title": "Bob", "message": "who is bob"}])
    s = adapter.settings
    assert s.edit_interval == 1.0
    assert s.rate_limits == {"chat.update": (30.0, 10)}
    assert s.respond_to.app_mentions is False
    assert s.suggested_prompts == (("Printer", "my printer is broken"), ("Bob", "who is bob"))
