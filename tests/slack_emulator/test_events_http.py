"""Events API over HTTP: signing, url_verification, fan-out, retries; a real Bolt AsyncApp."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from botkit_slack.emulator import SlackEmulator


async def test_url_verification_with_bolt(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)
    async with bolt_http(slack, app):
        assert await slack.verify_url()
    delivery = slack.deliveries[-1]
    assert delivery.kind == "url_verification"
    assert delivery.status == 200
    assert delivery.response == {"challenge": delivery.payload["challenge"]}
    assert slack.calls == []  # Bolt skips auth.test for url_verification


async def test_url_verification_fails_without_the_challenge(slack: SlackEmulator, serve):
    async def wrong(request: web.Request) -> web.Response:
        return web.json_response({"challenge": "something else"})

    app = web.Application()
    app.router.add_post("/events", wrong)
    runner, root = await serve(app)
    try:
        assert not await slack.verify_url(root + "/events")
        assert slack.deliveries[-1].result == "challenge_mismatch"
    finally:
        await runner.cleanup()


async def test_mention_fans_out_message_and_app_mention(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)
    seen: list[dict] = []

    @app.event("app_mention")
    async def on_mention(body, say):
        seen.append(body)
        await say(text="hi back", thread_ts=body["event"]["ts"])

    @app.event("message")
    async def on_message(body):
        seen.append(body)

    async with bolt_http(slack, app):
        said = await slack.user_says("alice", f"<@{slack.bot_user_id}> hello")
        reply = await slack.wait_for_message(thread_ts=said["ts"], from_bot=True)
        await slack.drain()
    assert reply["text"] == "hi back"
    kinds = sorted(b["event"]["type"] for b in seen)
    assert kinds == ["app_mention", "message"]  # the bot's own echo was filtered by Bolt
    mention, message = sorted(seen, key=lambda b: b["event"]["type"])
    assert mention["event_id"] != message["event_id"]
    assert mention["event"]["ts"] == message["event"]["ts"] == said["ts"]
    assert message["event"]["channel_type"] == "channel"
    echoes = [d for d in slack.deliveries if d.payload.get("event", {}).get("bot_id")]
    assert len(echoes) == 1
    assert echoes[0].acked
    echo = echoes[0].payload["event"]
    assert echo["type"] == "message"
    assert "subtype" not in echo
    assert echo["bot_id"] == slack.bot_id
    assert echo["user"] == slack.bot_user_id
    assert [c.method for c in slack.calls if c.method != "auth.test"] == ["chat.postMessage"]


async def test_dm_raises_message_im_only(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)
    events: list[dict] = []

    @app.event("message")
    async def on_message(event):
        events.append(event)

    @app.event("app_mention")
    async def on_mention(event):
        events.append(event)

    async with bolt_http(slack, app):
        dm = slack.open_dm("bob")
        await slack.user_says("bob", f"<@{slack.bot_user_id}> private", channel=dm)
        await slack.drain()
    assert [(e["type"], e["channel_type"]) for e in events] == [("message", "im")]


async def test_edits_and_deletes_raise_subtypes(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)
    subtypes: list[str | None] = []

    @app.event("message")
    async def on_message(event):
        subtypes.append(event.get("subtype"))

    async with bolt_http(slack, app):
        said = await slack.user_says("alice", "typo")
        await slack.edit(said, "fixed")
        await slack.delete(said)
        await slack.drain()
    assert subtypes == [None, "message_changed", "message_deleted"]
    changed, deleted = (d.payload["event"] for d in slack.deliveries[1:])
    assert changed["message"]["text"] == "fixed"
    assert changed["previous_message"]["text"] == "typo"
    assert changed["message"]["edited"]["user"] == "U0EMUALICE"
    assert deleted["deleted_ts"] == said["ts"]
    assert deleted["hidden"] is True


async def recording_server(serve, status: int, headers: dict[str, str] | None = None):
    received: list[tuple[dict, bytes]] = []

    async def handler(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=status, headers=headers, text="nope")

    app = web.Application()
    app.router.add_post("/events", handler)
    runner, root = await serve(app)
    return runner, root + "/events", received


async def test_failed_event_is_retried_three_times_with_headers(slack: SlackEmulator, serve):
    runner, url, received = await recording_server(serve, 500)
    try:
        slack.events_to(url)
        await slack.user_says("alice", "hello?")
        await slack.drain()
    finally:
        await runner.cleanup()
    assert len(received) == 4
    verifier = SignatureVerifier(slack.signing_secret)
    event_ids = set()
    for attempt, (headers, body) in enumerate(received):
        assert verifier.is_valid_request(body, headers)
        assert headers.get("X-Slack-Retry-Num") == (str(attempt) if attempt else None)
        assert headers.get("X-Slack-Retry-Reason") == ("http_error" if attempt else None)
        event_ids.add(json.loads(body)["event_id"])
    assert len(event_ids) == 1
    assert [(d.attempt, d.result, d.status) for d in slack.deliveries] == [
        (1, "http_error", 500),
        (2, "http_error", 500),
        (3, "http_error", 500),
        (4, "http_error", 500),
    ]


async def test_no_retry_header_is_honoured(slack: SlackEmulator, serve):
    runner, url, received = await recording_server(serve, 503, {"X-Slack-No-Retry": "1"})
    try:
        slack.events_to(url)
        await slack.user_says("alice", "hello?")
        await slack.drain()
    finally:
        await runner.cleanup()
    assert len(received) == 1
    assert slack.deliveries[0].result == "http_error"


async def test_unacked_bolt_event_retried_with_http_timeout(
    slack: SlackEmulator, make_app, bolt_http
):
    # the first three attempts never answer; the fourth answers at once, and the test
    # default (1 s) leaves it room on a loaded machine (0.3 s did not, at load 4-5)
    app = make_app(slack, process_before_response=True)
    release = asyncio.Event()
    retry_nums: list[str | None] = []
    event_ids: set[str] = set()

    @app.event("message")
    async def slow(body, request):
        num = request.headers.get("x-slack-retry-num", [None])[0]
        retry_nums.append(num)
        event_ids.add(body["event_id"])
        if num != "3":
            await release.wait()  # too slow: Slack gives up after the ack timeout

    async with bolt_http(slack, app):
        await slack.user_says("alice", "are you there")
        last = await slack.wait_for_delivery(lambda d: d.attempt == 4)
        release.set()
        await slack.drain()
    assert retry_nums == [None, "1", "2", "3"]
    assert len(event_ids) == 1
    assert [d.result for d in slack.deliveries] == ["http_timeout"] * 3 + ["acked"]
    assert [d.retry_reason for d in slack.deliveries] == [None] + ["http_timeout"] * 3
    assert last.acked
    assert slack.deliveries[0].response["late"] is True  # the late answer is still recorded


async def test_forged_signatures_are_rejected_by_bolt(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)
    handled: list[dict] = []

    @app.event("message")
    async def on_message(event):
        handled.append(event)

    async with bolt_http(slack, app):
        for mode in ("bad_signature", "stale_timestamp", "unsigned"):
            slack.signing_mode = mode
            await slack.user_says("alice", mode)
            await slack.drain()
        slack.signing_mode = "valid"
        await slack.user_says("alice", "genuine")
        await slack.drain()
    assert [e["text"] for e in handled] == ["genuine"]
    rejected = [d for d in slack.deliveries if d.status == 401]
    assert len(rejected) == 12  # 3 modes x (1 attempt + 3 retries)
    assert rejected[0].response == {"error": "invalid request"}


async def test_block_actions_click_respond_and_views_open(
    slack: SlackEmulator, make_app, bolt_http
):
    app = make_app(slack)
    clicks: list[dict] = []

    @app.action("approve")
    async def on_approve(ack, body, respond, client):
        await ack()
        clicks.append(body)
        await respond(replace_original=True, text="Approved :white_check_mark:")
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "title": {"type": "plain_text", "text": "Details"},
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}],
            },
        )

    blocks = [
        {"type": "section", "block_id": "q", "text": {"type": "mrkdwn", "text": "Deploy?"}},
        {
            "type": "actions",
            "block_id": "choices",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "value": "yes",
                    "text": {"type": "plain_text", "text": "Approve"},
                    "style": "primary",
                },
                {
                    "type": "button",
                    "action_id": "deny",
                    "value": "no",
                    "text": {"type": "plain_text", "text": "Deny"},
                },
            ],
        },
    ]
    async with bolt_http(slack, app):
        posted = await app.client.chat_postMessage(
            channel=slack.general, text="Deploy?", blocks=blocks
        )
        delivery = await slack.click(posted.data, action_id="approve", user="bob")
        await slack.wait_for_call("views.open")
    assert delivery.acked
    assert delivery.transport == "http"
    body = clicks[0]
    assert body["type"] == "block_actions"
    assert body["user"]["id"] == "U0EMUBOB01"
    assert body["actions"][0] | {"action_ts": None} == {
        "action_id": "approve",
        "block_id": "choices",
        "type": "button",
        "value": "yes",
        "text": {"type": "plain_text", "text": "Approve"},
        "style": "primary",
        "action_ts": None,
    }
    assert body["container"]["message_ts"] == posted["ts"]
    assert body["message"]["blocks"] == blocks
    assert slack.message(posted["ts"])["text"] == "Approved :white_check_mark:"
    opened = slack.calls_to("views.open")[0]
    assert opened.ok
    assert opened.response["view"]["id"] in slack.views


async def test_slash_command_with_response_url(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)

    @app.command("/ask")
    async def ask(ack, command, respond):
        await ack(text=f"Thinking about {command['text']}...")
        await respond(response_type="in_channel", text="42")

    async with bolt_http(slack, app):
        delivery = await slack.slash("/ask", "life", user="alice")
        answer = await slack.wait_for_message(text="42", from_bot=True)
    assert delivery.acked
    assert delivery.payload["command"] == "/ask"
    assert answer["channel"] == slack.general
    assert [m["text"] for m in slack.ephemerals("alice")] == ["Thinking about life..."]


async def test_expired_trigger_and_used_response_url(
    slack: SlackEmulator, clock, make_app, bolt_http
):
    app = AsyncApp(client=make_app(slack).client, signing_secret=slack.signing_secret)
    bodies: list[dict] = []

    @app.command("/later")
    async def later(ack, body):
        await ack()
        bodies.append(body)

    async with bolt_http(slack, app):
        await slack.slash("later")
    body = bodies[0]
    clock.advance(4)
    with pytest.raises(Exception) as exc:
        await app.client.views_open(
            trigger_id=body["trigger_id"],
            view={"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []},
        )
    assert "expired_trigger_id" in str(exc.value)
    async with aiohttp.ClientSession() as http:
        statuses = []
        for _ in range(6):
            async with http.post(body["response_url"], json={"text": "hi"}) as response:
                statuses.append(response.status)
    assert statuses == [200] * 5 + [404]
