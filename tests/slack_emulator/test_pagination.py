"""Cursor pagination: conversations.replies over 1,000+ replies, history, users.list."""

from __future__ import annotations

import base64

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, RateLimits, SlackEmulator


async def test_replies_over_1000_replies(slack: SlackEmulator, client: AsyncWebClient):
    parent = slack.add_message(slack.general, "parent", user="alice")
    for i in range(1_205):
        slack.add_message(slack.general, f"reply {i}", user="bob", thread_ts=parent["ts"])
    seen: list[str] = []
    pages = 0
    cursor = None
    while True:
        page = await client.conversations_replies(
            channel=slack.general, ts=parent["ts"], limit=1000, cursor=cursor
        )
        pages += 1
        assert page["messages"][0]["ts"] == parent["ts"]  # parent first on every page
        assert page["messages"][0]["reply_count"] == 1_205
        seen += [m["text"] for m in page["messages"][1:]]
        cursor = page["response_metadata"]["next_cursor"]
        assert page["has_more"] == bool(cursor)
        if not cursor:
            break
    assert pages == 2
    assert seen == [f"reply {i}" for i in range(1_205)]


async def test_replies_default_limit_and_small_pages(slack: SlackEmulator, client: AsyncWebClient):
    parent = slack.add_message(slack.general, "p", user="alice")
    for i in range(1_001):
        slack.add_message(slack.general, str(i), user="bob", thread_ts=parent["ts"])
    first = await client.conversations_replies(channel=slack.general, ts=parent["ts"])
    assert len(first["messages"]) == 1000
    assert first["has_more"]
    texts = []
    cursor = None
    for _ in range(6):
        page = await client.conversations_replies(
            channel=slack.general, ts=parent["ts"], limit=200, cursor=cursor
        )
        texts += [m["text"] for m in page["messages"] if m["ts"] != parent["ts"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert texts == [str(i) for i in range(1_001)]


async def test_parent_repetition_is_a_switch(clock):
    config = EmulatorConfig.fast(replies_repeat_parent=False, rate_limits=RateLimits.off())
    async with SlackEmulator(config=config, clock=clock) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        parent = slack.add_message(slack.general, "p", user="alice")
        for i in range(5):
            slack.add_message(slack.general, str(i), user="bob", thread_ts=parent["ts"])
        first = await client.conversations_replies(channel=slack.general, ts=parent["ts"], limit=3)
        second = await client.conversations_replies(
            channel=slack.general,
            ts=parent["ts"],
            limit=3,
            cursor=first["response_metadata"]["next_cursor"],
        )
    assert [m["text"] for m in first["messages"]] == ["p", "0", "1"]
    assert [m["text"] for m in second["messages"]] == ["2", "3", "4"]
    assert second["has_more"] is False


async def test_history_newest_first_with_windows(slack: SlackEmulator, client: AsyncWebClient):
    stamps = [slack.add_message(slack.general, f"m{i}", user="alice")["ts"] for i in range(250)]
    page1 = await client.conversations_history(channel=slack.general)
    assert len(page1["messages"]) == 100
    assert page1["messages"][0]["text"] == "m249"
    collected = []
    async for page in await client.conversations_history(channel=slack.general, limit=99):
        collected += [m["text"] for m in page["messages"]]
    assert collected == [f"m{i}" for i in reversed(range(250))]
    window = await client.conversations_history(
        channel=slack.general, oldest=stamps[10], latest=stamps[20]
    )
    assert [m["text"] for m in window["messages"]] == [f"m{i}" for i in range(19, 10, -1)]
    inclusive = await client.conversations_history(
        channel=slack.general, oldest=stamps[10], latest=stamps[20], inclusive=True
    )
    assert len(inclusive["messages"]) == 11


async def test_bad_cursor_and_users_list_iterator(slack: SlackEmulator, client: AsyncWebClient):
    for i in range(7):
        slack.add_user(f"user{i}")
    names = []
    async for page in await client.users_list(limit=3):
        names += [m["name"] for m in page["members"]]
    assert len(names) == len(set(names)) == 10
    with pytest.raises(SlackApiError) as exc:
        await client.conversations_history(channel=slack.general, cursor="bm9wZQ==")
    assert exc.value.response["error"] == "invalid_cursor"
    cursor = base64.b64encode(b"user:U0NOBODY01").decode()
    with pytest.raises(SlackApiError) as users:
        await client.users_list(cursor=cursor)
    assert users.value.response["error"] == "invalid_cursor"


async def test_non_marketplace_profile_caps_limit(clock):
    config = EmulatorConfig.fast(rate_limits=RateLimits(non_marketplace=True))
    async with SlackEmulator(config=config, clock=clock) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        for i in range(40):
            slack.add_message(slack.general, str(i), user="alice")
        page = await client.conversations_history(channel=slack.general, limit=200)
        assert len(page["messages"]) == 15
        with pytest.raises(SlackApiError) as exc:
            await client.conversations_history(channel=slack.general)
        assert exc.value.response.status_code == 429
        clock.advance(60)
        assert (await client.conversations_history(channel=slack.general))["ok"]
