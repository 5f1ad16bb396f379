"""Bot processes against one in-process Slack emulator: starting, stopping and killing them,
and a round-robin proxy that spreads HTTP deliveries over several request URLs."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web

from botkit_slack.emulator import EmulatorConfig, RateLimits, SlackEmulator
from botkit_slack.emulator.records import Delivery

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
REPLICA = HERE / "replica.py"
APP = HERE / "scale_app.py"
LIMITS_SCALE = 50  # Slack's rate limits, 50 times looser: these tests are about processes
FORWARDED = ("content-type", "x-slack-signature", "x-slack-request-timestamp",
             "x-slack-retry-num", "x-slack-retry-reason")


@dataclass
class Replica:
    name: str
    process: asyncio.subprocess.Process
    log: Path
    url: str | None = None
    connection: str | None = None

    def logged(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def stop(self) -> int:
        """SIGTERM (a graceful stop: in-flight work finishes) and wait for the exit code."""
        if self.process.returncode is None:
            self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), 30)

    async def kill(self) -> None:
        self.process.kill()
        await self.process.wait()


def emulator_config() -> EmulatorConfig:
    # strict=False until the adapter writes flat tool-history metadata (issue 13 item 1)
    return EmulatorConfig.fast(rate_limits=RateLimits().scaled(LIMITS_SCALE), strict=False)


def slack_env(slack: SlackEmulator, name: str) -> dict[str, str]:
    return {**os.environ, "SCALE_REPLICA": name, "PYTHONUNBUFFERED": "1",
            "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_APP_TOKEN": slack.app_token,
            "SLACK_SIGNING_SECRET": slack.signing_secret, "SLACK_API_URL": slack.base_url}


async def spawn(slack: SlackEmulator, name: str, store: str, logs: Path, *, http: bool = False,
                cli: bool = False, go: bool = False) -> Replica:
    """Start a bot process: ``replica.py``, or with ``cli`` the real ``botkit run``."""
    if cli:
        command = ["-m", "botkit", "run", str(APP), "--adapter", "slack", "--store", store]
    else:
        command = [str(REPLICA), "--api", slack.base_url, "--store", store]
        command += ["--http"] * http + ["--go"] * go + ["--limits-scale", str(LIMITS_SCALE)]
    log = logs / f"{name}.log"
    with log.open("w") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, *command, cwd=ROOT, env=slack_env(slack, name),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=err)
    return Replica(name, process, log)


async def ready(replica: Replica, *, go: bool = False) -> Replica:
    """Wait for the replica to say it is connected (``READY …`` or the CLI's banner)."""
    process = replica.process
    assert process.stdout is not None
    assert process.stdin is not None
    if go:
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        if not line:
            raise AssertionError(f"{replica.name} ended before it was ready:\n{replica.logged()}")
        if line.startswith("READY "):
            url = line.split()[1]
            replica.url = None if url == "socket" else url
            return replica
        if re.search(r"is on Slack via", line):
            return replica


async def start_socket_replicas(slack: SlackEmulator, names: list[str], store: str,
                                logs: Path) -> list[Replica]:
    """Several Socket Mode replicas, started together; each one's connection id noted."""
    replicas = [await spawn(slack, n, store, logs, go=True) for n in names]
    for replica in replicas:  # connect one at a time, to see whose connection is whose
        before = set(slack.socket_connections)
        await ready(replica, go=True)
        live = await slack.wait_for_socket(count=len(before) + 1, timeout=30)
        (replica.connection,) = set(live) - before
    return replicas


async def wait_for_sockets(slack: SlackEmulator, expected: set[str] | None = None, *,
                           besides: set[str] = frozenset(), timeout: float = 30) -> set[str]:
    """Wait until the live Socket Mode connections are exactly ``expected``, or (without
    it) until there is one that is not in ``besides`` and none of ``besides`` is left."""
    def check() -> set[str] | None:
        live = set(slack.socket_connections)
        if expected is not None:
            return live if live == expected else None
        return live if live and not live & besides else None
    found: set[str] = await slack.core.wait(check, timeout, "the Socket Mode connections")
    return found


@dataclass
class RoundRobinProxy:
    """Slack's one request URL spread over several bots, in turn; ``route_next_click``
    sends the next interaction to the chosen one."""

    targets: list[str]
    turn: int = 0
    next_click: int | None = None
    log: list[tuple[str, int]] = field(default_factory=list)
    url: str = ""
    _runner: web.AppRunner | None = None
    _session: aiohttp.ClientSession | None = None

    async def start(self) -> RoundRobinProxy:
        app = web.Application()
        app.router.add_post("/slack/events", self.handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/slack/events"
        self._session = aiohttp.ClientSession(trust_env=False)
        return self

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def route_next_click(self, target: int) -> None:
        self.next_click = target

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        kind = "interactive" if body.startswith(b"payload=") else "event"
        if kind == "interactive" and self.next_click is not None:
            target, self.next_click = self.next_click, None
        else:
            target, self.turn = self.turn % len(self.targets), self.turn + 1
        self.log.append((_describe(kind, body), target))
        headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED}
        assert self._session is not None
        async with self._session.post(self.targets[target], data=body, headers=headers) as reply:
            return web.Response(status=reply.status, body=await reply.read(),
                                content_type=reply.content_type)


def _describe(kind: str, body: bytes) -> str:
    try:
        if kind == "interactive":
            payload = json.loads(parse_qs(body.decode())["payload"][0])
            return f"click {payload['actions'][0]['action_id']}"
        return f"event {json.loads(body)['event_id']}"
    except (KeyError, ValueError, IndexError):
        return kind


def thread_bot_texts(slack: SlackEmulator, thread_ts: str) -> list[str]:
    """The bot's finished messages in a thread (status lines of tool records excluded)."""
    return [str(m.get("text") or "") for m in slack.messages(slack.general, thread_ts)
            if m.get("bot_id") == slack.bot_id and not str(m.get("text", "")).startswith("🔧")]


async def wait_reply(slack: SlackEmulator, thread_ts: str, text: str | re.Pattern[str],
                     timeout: float = 20.0) -> dict[str, Any]:
    def done(message: dict[str, Any]) -> bool:
        return message.get("streaming_state", "completed") == "completed"
    return await slack.wait_for_message(done, channel=slack.general, thread_ts=thread_ts,
                                        from_bot=True, text=text, timeout=timeout)


async def press(slack: SlackEmulator, message: dict[str, Any], label: str,
                user: str = "alice") -> Delivery:
    for block in message.get("blocks") or ():
        for element in block.get("elements") or () if block["type"] == "actions" else ():
            if element.get("text", {}).get("text") == label:
                return await slack.click(message, element["action_id"], user=user)
    raise LookupError(f"no button {label!r} on {message.get('text')!r}")


def asked_by(message: dict[str, Any]) -> str:
    found = re.search(r"asked by replica (\w+)", json.dumps(message.get("blocks")))
    assert found, message
    return found.group(1)
