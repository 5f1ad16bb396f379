"""The HTTP control API, many instances in one process, reset, and the command line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import FakeClock, SlackEmulator
from botkit_slack.emulator.cli import main, parse_line


async def test_control_api_drives_the_emulator(slack: SlackEmulator, client: AsyncWebClient):
    control = slack.root_url + "_emulator/"
    async with aiohttp.ClientSession() as http:
        async with http.get(control) as r:
            info = await r.json()
        assert info["base_url"] == slack.base_url
        assert info["bot_token"] == slack.bot_token
        async with http.post(
            control + "seed/user", json={"name": "dave", "email": "dave@example.com"}
        ) as r:
            dave = await r.json()
        async with http.post(
            control + "seed/channel", json={"name": "ops", "members": [dave["id"]]}
        ) as r:
            ops = await r.json()
        assert ops["is_member"] is True  # the bot joins seeded channels by default
        async with http.post(
            control + "user_says",
            json={"user": "dave", "text": "deploy please", "channel": ops["id"]},
        ) as r:
            said = await r.json()
        waiter = asyncio.ensure_future(
            http.post(
                control + "wait_for_message",
                json={"channel": ops["id"], "from_bot": True, "timeout": 5},
            )
        )
        await client.chat_postMessage(channel=ops["id"], thread_ts=said["ts"], text="on it")
        async with await waiter as r:
            assert (await r.json())["text"] == "on it"
        async with http.get(
            control + "messages", params={"channel": ops["id"], "thread_ts": said["ts"]}
        ) as r:
            assert [m["text"] for m in await r.json()] == ["deploy please", "on it"]
        async with http.get(control + "calls", params={"method": "chat.postMessage"}) as r:
            calls = await r.json()
        assert calls[0]["args"]["text"] == "on it"
        assert calls[0]["status"] == 200
        async with http.post(
            control + "faults",
            json={"method": "auth.test", "kind": "ratelimited", "retry_after": 2},
        ) as r:
            assert r.status == 200
        async with http.post(
            slack.base_url + "auth.test", headers={"Authorization": f"Bearer {slack.bot_token}"}
        ) as r:
            assert r.status == 429
            assert r.headers["Retry-After"] == "2"
        async with http.post(
            control + "wait_for_message", json={"text": "never", "timeout": 0.05}
        ) as r:
            assert r.status == 408
        async with http.post(control + "user_says", json={"user": "ghost", "text": "x"}) as r:
            assert r.status == 400
        async with http.post(control + "reset") as r:
            assert r.status == 200
    assert slack.calls == []
    assert slack.messages() == []
    assert "dave" not in {u.name for u in slack.workspace.users.values()}


async def test_control_api_answers_400_to_fields_of_the_wrong_type(slack: SlackEmulator):
    control = slack.root_url + "_emulator/"
    bad = [
        ("user_says", {"user": 5, "text": "hi"}, '"user" must be a string'),
        ("user_says", {"text": ["hi"]}, '"text" must be a string'),
        ("user_says", {"text": "hi", "channel": {"id": "C1"}}, '"channel" must be a string'),
        ("edit", {"ts": 1.5, "text": "x"}, '"ts" must be a string'),
        ("react", {"user": "alice", "ts": "1.0", "name": 7}, '"name" must be a string'),
        ("seed/channel", {"name": "ops", "members": "alice"}, '"members" must be a list'),
        ("click", {"ts": "1.0", "user": True}, '"user" must be a string, not a boolean'),
        ("wait_for_message", {"timeout": "soon"}, "ValueError"),
        ("seed/user", {}, "KeyError"),
    ]
    async with aiohttp.ClientSession() as http:
        for route, body, error in bad:
            async with http.post(control + route, json=body) as r:
                answer = await r.json()
                assert (route, r.status) == (route, 400)
                assert answer["ok"] is False
                assert error in answer["error"]
        async with http.post(control + "user_says", json={"user": "alice", "text": "fine"}) as r:
            assert r.status == 200
    assert [m["text"] for m in slack.messages()] == ["fine"]


async def test_many_emulators_in_parallel():
    emulators = [SlackEmulator(clock=FakeClock()) for _ in range(4)]
    await asyncio.gather(*(e.start() for e in emulators))
    try:
        assert len({e.port for e in emulators}) == 4
        clients = [AsyncWebClient(token=e.bot_token, base_url=e.base_url) for e in emulators]
        await asyncio.gather(
            *(
                c.chat_postMessage(channel=e.general, text=f"to {e.port}")
                for c, e in zip(clients, emulators, strict=True)
            )
        )
        for emulator in emulators:
            assert [m["text"] for m in emulator.messages()] == [f"to {emulator.port}"]
    finally:
        await asyncio.gather(*(e.stop() for e in emulators))


def test_parse_line():
    assert parse_line("hello there") == ("alice", None, "hello there")
    assert parse_line("@bob #ops deploy now") == ("bob", "#ops", "deploy now")


def test_main_rejects_a_busy_port(capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 1
    assert "cannot start" in capsys.readouterr().err


async def test_cli_runs_serves_and_stops_on_sigterm():
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "botkit_slack.emulator",
        "--port",
        "0",
        "--no-rate-limits",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        lines = []
        while not any("SLACK_SIGNING_SECRET" in line for line in lines):
            line = await asyncio.wait_for(process.stdout.readline(), 20)
            assert line, (await process.stderr.read()).decode()
            lines.append(line.decode())
        values = dict(
            line.split("export ")[1].strip().split("=", 1) for line in lines if "export " in line
        )
        client = AsyncWebClient(token=values["SLACK_BOT_TOKEN"], base_url=values["SLACK_API_URL"])
        assert (await client.auth_test())["ok"]
        control = values["SLACK_API_URL"].replace("/api/", "/_emulator/")
        async with (
            aiohttp.ClientSession() as http,
            http.post(control + "user_says", json={"text": "hi from curl"}) as r,
        ):
            assert (await r.json())["user"] == "U0EMUALICE"
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 20)
    assert code == 0


async def test_cli_lenient_and_non_marketplace_flags():
    import io

    from slack_sdk.errors import SlackApiError

    from botkit_slack.emulator.cli import build_parser, serve

    out, ready = io.StringIO(), asyncio.Event()
    args = build_parser().parse_args(["--port", "0", "--lenient", "--non-marketplace"])
    served = asyncio.create_task(serve(args, out, ready))
    try:
        await ready.wait()
        base_url = out.getvalue().split("SLACK_API_URL=")[1].split()[0]
        client = AsyncWebClient(token="xoxb-emulator-bot-token", base_url=base_url)
        deep = {"event_type": "t", "event_payload": {"a": {"b": {"c": 1}}}}
        posted = await client.chat_postMessage(channel="C0EMUGENRL", text="x", metadata=deep)
        assert posted["message"]["metadata"] == deep  # --lenient
        await client.conversations_replies(channel="C0EMUGENRL", ts=posted["ts"])
        with pytest.raises(SlackApiError) as limited:  # --non-marketplace: 1 per minute
            await client.conversations_replies(channel="C0EMUGENRL", ts=posted["ts"])
        assert limited.value.response["error"] == "ratelimited"
    finally:
        served.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await served
