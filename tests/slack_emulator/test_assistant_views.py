"""Assistant threads, views and the remaining interactivity surfaces."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import FakeClock, SlackEmulator


async def test_assistant_thread_status_prompts_title(
    slack: SlackEmulator, make_app, bolt_http, clock: FakeClock
):
    app = make_app(slack)
    started: list[dict] = []

    @app.event("assistant_thread_started")
    async def on_started(event, client):
        started.append(event)
        thread = event["assistant_thread"]
        await client.assistant_threads_setSuggestedPrompts(
            channel_id=thread["channel_id"],
            thread_ts=thread["thread_ts"],
            prompts=[{"title": "Summarise", "message": "Summarise this channel"}],
        )
        await client.assistant_threads_setTitle(
            channel_id=thread["channel_id"], thread_ts=thread["thread_ts"], title="Help"
        )

    async with bolt_http(slack, app):
        dm, thread_ts = await slack.start_assistant_thread("alice")
        await slack.wait_for_call("assistant.threads.setTitle")
    state = slack.assistant_state(dm, thread_ts)
    assert state["title"] == "Help"
    assert state["prompts"]["prompts"][0]["title"] == "Summarise"
    assert started[0]["assistant_thread"]["user_id"] == "U0EMUALICE"

    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    await client.assistant_threads_setStatus(
        channel_id=dm,
        thread_ts=thread_ts,
        status="is thinking...",
        loading_messages=["Reading", "Writing"],
    )
    assert slack.assistant_state(dm, thread_ts)["status"]["status"] == "is thinking..."
    await client.chat_postMessage(channel=dm, thread_ts=thread_ts, text="answer")
    assert "status" not in slack.assistant_state(dm, thread_ts)  # the reply clears it
    await client.assistant_threads_setStatus(channel_id=dm, thread_ts=thread_ts, status="again")
    clock.advance(121)
    assert "status" not in slack.assistant_state(dm, thread_ts)  # expires after 2 minutes
    with pytest.raises(SlackApiError) as bad_thread:
        await client.assistant_threads_setStatus(channel_id=dm, thread_ts="1.2", status="x")
    assert bad_thread.value.response["error"] == "invalid_thread_ts"
    with pytest.raises(SlackApiError) as bad_channel:
        await client.assistant_threads_setTitle(channel_id="D0NOPE0001", thread_ts="1.2", title="x")
    assert bad_channel.value.response.data == {
        "ok": False,
        "error": "channel_not_found",
        "detail": "Invalid channel_id",
    }
    with pytest.raises(SlackApiError) as too_many:
        await client.assistant_threads_setStatus(
            channel_id=dm, thread_ts=thread_ts, status="x", loading_messages=["m"] * 11
        )
    assert too_many.value.response["error"] == "invalid_arguments"


async def test_views_and_view_submission(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)
    submitted: list[dict] = []

    @app.command("/form")
    async def form(ack, body, client):
        await ack()
        await client.views_open(
            trigger_id=body["trigger_id"],
            view={
                "type": "modal",
                "callback_id": "form",
                "title": {"type": "plain_text", "text": "Form"},
                "submit": {"type": "plain_text", "text": "Send"},
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "b",
                        "label": {"type": "plain_text", "text": "Name"},
                        "element": {"type": "plain_text_input", "action_id": "name"},
                    }
                ],
            },
        )

    @app.view("form")
    async def on_submit(ack, view):
        submitted.append(view["state"]["values"])
        await ack(response_action="errors", errors={"b": "try again"})

    async with bolt_http(slack, app):
        await slack.slash("/form")
        opened = await slack.wait_for_call("views.open")
        view_id = opened.response["view"]["id"]
        values = {"b": {"name": {"type": "plain_text_input", "value": "Ada"}}}
        delivery = await slack.submit_view(view_id, values)
    assert submitted == [values]
    assert delivery.response == {"response_action": "errors", "errors": {"b": "try again"}}
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    with pytest.raises(SlackApiError) as reused:
        await client.views_open(trigger_id=opened.args["trigger_id"], view=opened.args["view"])
    assert reused.value.response["error"] == "invalid_trigger_id"
    home = await client.views_publish(user_id="U0EMUALICE", view={"type": "home", "blocks": []})
    again = await client.views_publish(
        user_id="U0EMUALICE", view={"type": "home", "blocks": [{"type": "divider"}]}
    )
    assert home["view"]["id"] == again["view"]["id"]
    with pytest.raises(SlackApiError) as bad:
        await client.views_update(
            view_id=view_id,
            view={"type": "modal", "blocks": [], "title": {"type": "plain_text", "text": "x" * 30}},
        )
    assert bad.value.response["error"] == "invalid_arguments"


async def test_click_on_an_ephemeral_message(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)
    payloads: list[dict] = []

    @app.action("dismiss")
    async def dismiss(ack, body, respond):
        await ack()
        payloads.append(body)
        await respond(delete_original=True)

    async with bolt_http(slack, app):
        await app.client.chat_postEphemeral(
            channel=slack.general,
            user="U0EMUBOB01",
            text="tip",
            blocks=[
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "action_id": "dismiss",
                            "text": {"type": "plain_text", "text": "OK"},
                        }
                    ],
                }
            ],
        )
        eph = slack.ephemerals("bob")[0]
        delivery = await slack.click(eph, user="bob")
        await slack.drain()
    assert delivery.acked
    assert payloads[0]["container"]["is_ephemeral"] is True
    assert "message" not in payloads[0]
    assert slack.ephemerals("bob") == []


async def test_reaction_event_and_file_share_event(slack: SlackEmulator, make_app, bolt_http):
    app = make_app(slack)
    events: list[dict] = []

    @app.event("reaction_added")
    async def on_reaction(event):
        events.append(event)

    @app.event("message")
    async def on_message(event):
        events.append(event)

    async with bolt_http(slack, app):
        said = await slack.user_says("alice", "nice")
        await slack.react("bob", said, "tada")
        await slack.drain()
    assert [e["type"] for e in events] == ["message", "reaction_added"]
    assert events[1]["item"] == {"type": "message", "channel": slack.general, "ts": said["ts"]}
    assert events[1]["item_user"] == "U0EMUALICE"
