"""Web API transport, auth, shapes and error codes, driven by the real slack_sdk clients."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack import limits
from botkit_slack.emulator import SlackEmulator


async def test_auth_test_matches_the_bot_identity(slack: SlackEmulator, client: AsyncWebClient):
    me = await client.auth_test()
    assert me["user_id"] == slack.bot_user_id
    assert me["bot_id"] == slack.bot_id
    assert me["team_id"] == slack.team_id
    assert me["url"].startswith("https://")


async def test_not_authed_and_invalid_auth(slack: SlackEmulator):
    anonymous = AsyncWebClient(base_url=slack.base_url)
    with pytest.raises(SlackApiError) as no_token:
        await anonymous.auth_test()
    assert no_token.value.response.status_code == 200
    assert no_token.value.response["error"] == "not_authed"

    wrong = AsyncWebClient(token="xoxb-not-a-real-token", base_url=slack.base_url)
    with pytest.raises(SlackApiError) as bad:
        await wrong.chat_postMessage(channel=slack.general, text="hi")
    assert bad.value.response["error"] == "invalid_auth"
    assert [c.error for c in slack.calls] == ["not_authed", "invalid_auth"]


async def test_app_token_only_opens_connections(slack: SlackEmulator, client: AsyncWebClient):
    app_client = AsyncWebClient(token=slack.app_token, base_url=slack.base_url)
    with pytest.raises(SlackApiError) as exc:
        await app_client.chat_postMessage(channel=slack.general, text="hi")
    assert exc.value.response["error"] == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as bot:
        await client.apps_connections_open(app_token=slack.bot_token)
    assert bot.value.response["error"] == "not_allowed_token_type"
    opened = await client.apps_connections_open(app_token=slack.app_token)
    assert opened["url"].startswith(slack.root_url.replace("http", "ws"))
    assert "ticket=" in opened["url"]


async def test_sync_webclient_posts_forms_and_json(slack: SlackEmulator):
    sync = WebClient(token=slack.bot_token, base_url=slack.base_url)
    posted = await asyncio.to_thread(sync.chat_postMessage, channel=slack.general, text="from sync")
    thread = await asyncio.to_thread(
        sync.conversations_replies, channel=slack.general, ts=posted["ts"]
    )
    assert thread["messages"][0]["text"] == "from sync"
    post, replies = slack.calls
    assert post.http_method == "POST"
    assert "application/json" in post.headers["Content-Type"]
    assert replies.http_method == "POST"
    assert "x-www-form-urlencoded" in replies.headers["Content-Type"]


async def test_args_merge_query_form_json_and_multipart(slack: SlackEmulator):
    url = slack.base_url + "chat.postMessage"
    auth = {"Authorization": f"Bearer {slack.bot_token}"}
    blocks = '[{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]'
    async with aiohttp.ClientSession() as http:
        async with http.get(url, params={"channel": slack.general, "text": "q"}, headers=auth) as r:
            assert (await r.json())["ok"]
        form = {"token": slack.bot_token, "channel": slack.general, "blocks": blocks}
        async with http.post(url, data=form) as r:
            body = await r.json()
            assert body["message"]["blocks"][0]["text"]["text"] == "hi"
        multipart = aiohttp.FormData()
        multipart.add_field("channel", slack.general)
        multipart.add_field("text", "multi")
        async with http.post(url, data=multipart, headers=auth) as r:
            assert (await r.json())["message"]["text"] == "multi"
        async with http.post(
            url + "?channel=" + slack.general, json={"text": "j"}, headers=auth
        ) as r:
            assert (await r.json())["message"]["text"] == "j"
        async with http.post(slack.base_url + "no.such", headers=auth) as r:
            assert (await r.json())["error"] == "unknown_method"


async def test_post_message_shape_and_bot_fields(slack: SlackEmulator, client: AsyncWebClient):
    first = await client.chat_postMessage(channel=slack.general, text="one")
    second = await client.chat_postMessage(channel=slack.general, text="two")
    message = first["message"]
    assert message["bot_id"] == slack.bot_id
    assert message["user"] == slack.bot_user_id
    assert message["app_id"] == slack.app_id
    assert "subtype" not in message
    assert message["bot_profile"]["app_id"] == slack.app_id
    assert float(second["ts"]) > float(first["ts"])


async def test_ts_unique_and_increasing_on_a_frozen_clock(slack: SlackEmulator):
    stamps = [slack.add_message(slack.general, f"m{i}")["ts"] for i in range(50)]
    assert len(set(stamps)) == 50
    assert stamps == sorted(stamps, key=lambda t: tuple(map(int, t.split("."))))
    assert all(len(t.split(".")[1]) == 6 for t in stamps)


async def test_channel_errors(slack: SlackEmulator, client: AsyncWebClient):
    secret = slack.add_channel("secret", members=["alice"], private=True, bot_member=False)
    cases = {
        "C0NOTHERE1": "channel_not_found",
        "C0EMURANDM": "not_in_channel",
        secret.id: "channel_not_found",
    }
    for channel, error in cases.items():
        with pytest.raises(SlackApiError) as exc:
            await client.chat_postMessage(channel=channel, text="hi")
        assert exc.value.response["error"] == error
    with pytest.raises(SlackApiError) as history:
        await client.conversations_history(channel="C0EMURANDM")
    assert history.value.response["error"] == "not_in_channel"


async def test_invalid_blocks_with_json_pointers(slack: SlackEmulator, client: AsyncWebClient):
    blocks = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "x" * (limits.MAX_SECTION_TEXT + 1)},
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "b" * 76},
                    "action_id": "a",
                }
            ],
        },
        {"type": "header", "text": {"type": "plain_text", "text": "ok"}},
    ]
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel=slack.general, text="t", blocks=blocks)
    body = exc.value.response.data
    assert body["error"] == "invalid_blocks"
    assert "must be less than 3001 characters [json-pointer:/blocks/0/text/text]" in body["errors"]
    assert (
        "must be less than 76 characters [json-pointer:/blocks/1/elements/0/text/text]"
        in body["errors"]
    )
    assert all(m.startswith("[ERROR] ") for m in body["response_metadata"]["messages"])
    too_many = [{"type": "divider"}] * (limits.MAX_BLOCKS + 1)
    with pytest.raises(SlackApiError) as many:
        await client.chat_postMessage(channel=slack.general, text="t", blocks=too_many)
    assert many.value.response["errors"] == [
        "must contain no more than 50 items [json-pointer:/blocks]"
    ]
    with pytest.raises(SlackApiError) as fmt:
        await client.api_call("chat.postMessage", json={"channel": slack.general, "blocks": "{"})
    assert fmt.value.response["error"] == "invalid_blocks_format"


async def test_over_long_text_is_truncated_with_a_warning(
    slack: SlackEmulator, client: AsyncWebClient
):
    posted = await client.chat_postMessage(channel=slack.general, text="y" * 40_005)
    assert len(posted["message"]["text"]) == limits.MAX_MESSAGE_TEXT
    assert posted["response_metadata"]["warnings"] == ["message_truncated"]
    with pytest.raises(SlackApiError) as exc:
        await client.chat_update(channel=slack.general, ts=posted["ts"], text="z" * 40_001)
    assert exc.value.response["error"] == "msg_too_long"


async def test_text_rules(slack: SlackEmulator, client: AsyncWebClient):
    with pytest.raises(SlackApiError) as none:
        await client.chat_postMessage(channel=slack.general)
    assert none.value.response["error"] == "no_text"
    with pytest.raises(SlackApiError) as conflict:
        await client.chat_postMessage(channel=slack.general, text="a", markdown_text="**a**")
    assert conflict.value.response["error"] == "markdown_text_conflict"
    posted = await client.chat_postMessage(channel=slack.general, markdown_text="**bold**")
    assert posted["message"]["blocks"][0] == {"type": "markdown", "text": "**bold**"}


async def test_metadata_round_trip(slack: SlackEmulator, client: AsyncWebClient):
    payload = {"id": 7, "tags": [{"name": "a"}], "owner": {"id": "U1"}}
    meta = {"event_type": "task_created", "event_payload": payload}
    posted = await client.chat_postMessage(channel=slack.general, text="with meta", metadata=meta)
    assert posted["message"]["metadata"] == meta
    plain = await client.conversations_history(channel=slack.general)
    assert "metadata" not in plain["messages"][0]
    full = await client.conversations_history(channel=slack.general, include_all_metadata=True)
    assert full["messages"][0]["metadata"] == meta
    replies = await client.conversations_replies(
        channel=slack.general, ts=posted["ts"], include_all_metadata=True
    )
    assert replies["messages"][0]["metadata"] == meta
    kept = await client.chat_update(channel=slack.general, ts=posted["ts"], text="edited")
    assert kept["message"]["metadata"] == meta
    cleared = await client.chat_update(
        channel=slack.general, ts=posted["ts"], text="e", metadata={}
    )
    assert "metadata" not in cleared["message"]
    with pytest.raises(SlackApiError) as bad:
        await client.chat_postMessage(channel=slack.general, text="x", metadata={"event_type": "x"})
    assert bad.value.response["error"] == "invalid_metadata_format"


async def test_update_delete_and_ownership(slack: SlackEmulator, client: AsyncWebClient):
    human = await slack.user_says("alice", "mine")
    with pytest.raises(SlackApiError) as cant:
        await client.chat_update(channel=slack.general, ts=human["ts"], text="hijack")
    assert cant.value.response["error"] == "cant_update_message"
    with pytest.raises(SlackApiError) as cant_delete:
        await client.chat_delete(channel=slack.general, ts=human["ts"])
    assert cant_delete.value.response["error"] == "cant_delete_message"
    posted = await client.chat_postMessage(channel=slack.general, text="v1")
    updated = await client.chat_update(channel=slack.general, ts=posted["ts"], text="v2")
    assert updated["text"] == "v2"
    assert updated["message"]["edited"]["user"] == slack.bot_user_id
    await client.chat_delete(channel=slack.general, ts=posted["ts"])
    with pytest.raises(SlackApiError) as gone:
        await client.chat_update(channel=slack.general, ts=posted["ts"], text="v3")
    assert gone.value.response["error"] == "message_not_found"
    alice = AsyncWebClient(token=slack.user_token("alice"), base_url=slack.base_url)
    await alice.chat_update(channel=slack.general, ts=human["ts"], text="fixed typo")
    assert slack.message(human["ts"])["text"] == "fixed typo"


async def test_ephemeral_messages_stay_out_of_history(slack: SlackEmulator, client: AsyncWebClient):
    eph = await client.chat_postEphemeral(channel=slack.general, user="U0EMUALICE", text="psst")
    assert "message_ts" in eph
    history = await client.conversations_history(channel=slack.general)
    assert history["messages"] == []
    assert [m["text"] for m in slack.ephemerals("alice")] == ["psst"]
    outsider = slack.add_user("carol")
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postEphemeral(channel=slack.general, user=outsider.id, text="x")
    assert exc.value.response["error"] == "user_not_in_channel"


async def test_threads_keep_reply_counters(slack: SlackEmulator, client: AsyncWebClient):
    parent = await slack.user_says("alice", "question")
    await client.chat_postMessage(channel=slack.general, thread_ts=parent["ts"], text="answer")
    last = await slack.user_says("bob", "thanks", thread_ts=parent["ts"])
    top = (await client.conversations_history(channel=slack.general))["messages"]
    assert len(top) == 1
    assert top[0]["reply_count"] == 2
    assert top[0]["latest_reply"] == last["ts"]
    assert set(top[0]["reply_users"]) == {slack.bot_user_id, "U0EMUBOB01"}
    thread = await client.conversations_replies(channel=slack.general, ts=last["ts"])
    assert [m["text"] for m in thread["messages"]] == ["question", "answer", "thanks"]
    assert thread["messages"][1]["parent_user_id"] == "U0EMUALICE"
    with pytest.raises(SlackApiError) as exc:
        await client.chat_postMessage(channel=slack.general, thread_ts="123.456", text="x")
    assert exc.value.response["error"] == "thread_not_found"
    broadcast = await client.chat_postMessage(
        channel=slack.general, thread_ts=parent["ts"], text="to all", reply_broadcast=True
    )
    assert broadcast["message"]["subtype"] == "thread_broadcast"
    history = await client.conversations_history(channel=slack.general)
    assert history["messages"][0]["ts"] == broadcast["ts"]


async def test_users_and_conversations(slack: SlackEmulator, client: AsyncWebClient):
    carol = slack.add_user("carol", email="carol@example.com", real_name="Carol C")
    found = await client.users_lookupByEmail(email="carol@example.com")
    assert found["user"]["id"] == carol.id
    assert found["user"]["profile"]["email"]
    with pytest.raises(SlackApiError) as missing:
        await client.users_lookupByEmail(email="nobody@example.com")
    assert missing.value.response["error"] == "users_not_found"
    info = await client.users_info(user=slack.bot_user_id)
    assert info["user"]["is_bot"]
    assert info["user"]["profile"]["bot_id"] == slack.bot_id
    with pytest.raises(SlackApiError) as no_user:
        await client.users_info(user="U0MISSING1")
    assert no_user.value.response["error"] == "user_not_found"
    dm = await client.conversations_open(users=carol.id)
    assert dm["channel"]["id"].startswith("D")
    assert dm["channel"]["id"] == slack.open_dm("carol")
    channel = await client.conversations_info(channel=slack.general)
    assert channel["channel"]["is_member"]
    assert channel["channel"]["name"] == "general"
    listed = await client.conversations_list()
    assert {c["name"] for c in listed["channels"]} == {"general", "random"}


async def test_reactions(slack: SlackEmulator, client: AsyncWebClient):
    message = await slack.user_says("alice", "react to me")
    await client.reactions_add(channel=slack.general, timestamp=message["ts"], name="eyes")
    with pytest.raises(SlackApiError) as again:
        await client.reactions_add(channel=slack.general, timestamp=message["ts"], name="eyes")
    assert again.value.response["error"] == "already_reacted"
    with pytest.raises(SlackApiError) as colons:
        await client.reactions_add(channel=slack.general, timestamp=message["ts"], name=":eyes:")
    assert colons.value.response["error"] == "invalid_name"
    assert slack.message(message["ts"])["reactions"] == [
        {"name": "eyes", "users": [slack.bot_user_id], "count": 1}
    ]
    await client.reactions_remove(channel=slack.general, timestamp=message["ts"], name="eyes")
    assert "reactions" not in slack.message(message["ts"])
