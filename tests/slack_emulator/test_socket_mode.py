"""Socket Mode over a real WebSocket with Bolt's AsyncSocketModeHandler."""

from __future__ import annotations

import asyncio
import json

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, SlackEmulator


async def test_events_arrive_and_bot_replies(slack: SlackEmulator, make_app, bolt_socket):
    app = make_app(slack)

    @app.event("app_mention")
    async def on_mention(event, say):
        await say(text=f"you said: {event['text']}", thread_ts=event["ts"])

    @app.event("message")
    async def on_message():
        pass  # unhandled events are answered 404 by Bolt, i.e. never acked

    async with bolt_socket(slack, app):
        said = await slack.user_says("alice", f"<@{slack.bot_user_id}> ping")
        reply = await slack.wait_for_message(thread_ts=said["ts"], from_bot=True)
        await slack.drain()
    assert reply["text"].endswith("ping")
    assert {d.transport for d in slack.deliveries} == {"socket"}
    assert all(d.acked and d.envelope_id for d in slack.deliveries)
    first = slack.deliveries[0]
    assert first.payload["type"] == "event_callback"
    assert first.payload["event_id"].startswith("Ev")
    assert slack.calls_to("apps.connections.open")[0].ok


async def test_unacked_envelope_is_redelivered(slack: SlackEmulator, make_app, bolt_socket):
    slack.config.ack_timeout = 0.3
    app = make_app(slack, process_before_response=True)
    second_seen = asyncio.Event()
    attempts: list[tuple[str | None, str | None, str]] = []

    @app.event("message")
    async def slow_first_time(body, request):
        retry = request.headers.get("x-slack-retry-num", [None])[0]
        reason = request.headers.get("x-slack-retry-reason", [None])[0]
        attempts.append((retry, reason, body["event_id"]))
        if retry in (None, "0"):
            await second_seen.wait()  # the first ack comes too late
        else:
            second_seen.set()

    async with bolt_socket(slack, app):
        await slack.user_says("alice", "hello")
        redelivered = await slack.wait_for_delivery(lambda d: d.attempt == 2)
        await slack.wait_for_delivery(lambda d: d.attempt == 1 and d.response is not None)
    first = slack.deliveries[0]
    assert first.result == "timeout"
    assert first.response["late"] is True
    assert redelivered.acked
    assert redelivered.retry_reason == "timeout"
    assert redelivered.event_id == first.event_id
    assert redelivered.envelope_id != first.envelope_id
    assert [a[:2] for a in attempts] == [("0", ""), ("1", "timeout")]
    assert attempts[0][2] == attempts[1][2]


async def test_interactive_and_slash_envelopes(slack: SlackEmulator, make_app, bolt_socket):
    app = make_app(slack)

    @app.action("go")
    async def go(ack, respond):
        await ack()
        await respond(text="went", replace_original=False)

    @app.command("/status")
    async def status(ack, command):
        await ack(text=f"all good, {command['user_name']}")

    async with bolt_socket(slack, app):
        posted = await app.client.chat_postMessage(
            channel=slack.general,
            text="menu",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "static_select",
                            "action_id": "go",
                            "options": [
                                {"text": {"type": "plain_text", "text": "A"}, "value": "a"},
                                {"text": {"type": "plain_text", "text": "B"}, "value": "b"},
                            ],
                        }
                    ],
                }
            ],
        )
        click = await slack.click(posted["ts"], value="b", user="bob")
        await slack.wait_for_message(text="went", ephemeral=True)
        command = await slack.slash("/status", user="bob")
    assert click.acked
    assert click.kind == "interactive"
    assert click.transport == "socket"
    assert click.payload["actions"][0]["selected_option"]["value"] == "b"
    assert command.acked
    assert command.kind == "slash_commands"
    assert command.response == {"text": "all good, bob"}
    assert [m["text"] for m in slack.ephemerals("bob")] == ["went", "all good, bob"]


async def test_disconnect_refresh_reconnects(slack: SlackEmulator, make_app, bolt_socket):
    app = make_app(slack)
    texts: list[str] = []

    @app.event("message")
    async def on_message(event):
        texts.append(event["text"])

    async with bolt_socket(slack, app):
        before = slack.socket_connections
        await slack.disconnect_sockets("refresh_requested")
        after = await slack.wait_for_socket()
        assert after != before
        await slack.user_says("alice", "still there?")
        await slack.drain()
    assert texts == ["still there?"]
    assert len(slack.calls_to("apps.connections.open")) == 2


async def test_envelopes_spread_over_connections(slack: SlackEmulator, make_app, bolt_socket):
    app = make_app(slack)

    @app.event("message")
    async def on_message():
        pass

    async with bolt_socket(slack, app, connections=3):
        for i in range(6):
            await slack.user_says("alice", f"m{i}")
        await slack.drain()
    used = {d.headers["connection"] for d in slack.deliveries}
    assert len(used) == 3
    assert all(d.acked for d in slack.deliveries)


async def test_raw_socket_hello_pong_and_connection_cap(clock):
    config = EmulatorConfig.fast(max_socket_connections=1)
    async with SlackEmulator(config=config, clock=clock) as slack:
        client = AsyncWebClient(token=slack.app_token, base_url=slack.base_url)
        url = (await client.apps_connections_open(app_token=slack.app_token))["url"]
        second = (await client.apps_connections_open(app_token=slack.app_token))["url"]
        async with aiohttp.ClientSession() as http, http.ws_connect(url, autoping=False) as ws:
            hello = json.loads((await ws.receive()).data)
            assert hello["type"] == "hello"
            assert hello["num_connections"] == 1
            assert hello["connection_info"]["app_id"] == slack.app_id
            await ws.ping(b"sdk-ping-pong:123")
            pong = await ws.receive()
            assert pong.type == aiohttp.WSMsgType.PONG
            assert pong.data == b"sdk-ping-pong:123"
            async with http.ws_connect(second) as extra:
                frame = json.loads((await extra.receive()).data)
                assert frame["type"] == "disconnect"
                assert frame["reason"] == "too_many_websockets"
            async with http.get(url.replace("ws://", "http://")) as reused:
                assert reused.status == 401  # tickets are single use
            await slack.disconnect_sockets("warning")
            warning = json.loads((await ws.receive()).data)
            assert warning == warning | {"type": "disconnect", "reason": "warning"}
            assert not ws.closed


async def test_route_next_picks_the_connection_of_the_next_envelope_of_a_kind(
    slack: SlackEmulator, make_app, bolt_socket
):
    app = make_app(slack)

    @app.action("go")
    async def go(ack):
        await ack()

    async with bolt_socket(slack, app, connections=3):
        posted = await app.client.chat_postMessage(
            channel=slack.general, text="menu",
            blocks=[{"type": "actions", "elements": [
                {"type": "button", "action_id": "go",
                 "text": {"type": "plain_text", "text": "Go"}}]}])
        target = slack.socket_connections[1]
        used = []
        for _ in range(3):
            slack.route_next(target)
            used.append((await slack.click(posted["ts"], "go")).headers["connection"])
        then = [(await slack.click(posted["ts"], "go")).headers["connection"] for _ in range(3)]
    assert used == [target] * 3
    assert len(set(then)) == 3  # back to taking turns
