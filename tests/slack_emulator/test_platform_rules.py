"""Slack's rules the emulator enforces: scopes, feature gates, block limits, new blocks."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, FakeClock, SlackEmulator


async def error_of(call) -> dict:
    with pytest.raises(SlackApiError) as raised:
        await call
    return dict(raised.value.response.data)


async def test_missing_scope_names_needed_and_provided(clock: FakeClock):
    scopes = {"chat:write", "channels:history"}
    async with SlackEmulator(config=EmulatorConfig.fast(), clock=clock, scopes=scopes) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        assert (await client.chat_postMessage(channel=slack.general, text="hi"))["ok"]
        assert (await client.conversations_history(channel=slack.general))["ok"]
        body = await error_of(client.users_info(user="U0EMUALICE"))
        assert body["error"] == "missing_scope"
        assert body["needed"] == "users:read"
        assert body["provided"] == "channels:history,chat:write"
        dm = slack.open_dm("alice")
        body = await error_of(client.conversations_history(channel=dm))
        assert (body["error"], body["needed"]) == ("missing_scope", "im:history")
        body = await error_of(client.reactions_add(channel=slack.general, timestamp="1.0",
                                                   name="eyes"))
        assert body["needed"] == "reactions:write"
        slack.configure_app(scopes=scopes | {"users:read"})
        assert (await client.users_info(user="U0EMUALICE"))["ok"]


async def test_set_status_takes_chat_write_or_assistant_write(slack: SlackEmulator,
                                                             client: AsyncWebClient):
    dm = slack.open_dm("alice")
    said = await slack.user_says("alice", "hi", channel=dm)
    slack.configure_app(scopes={"chat:write"})
    await client.assistant_threads_setStatus(channel_id=dm, thread_ts=said["ts"],
                                             status="is thinking…")
    body = await error_of(client.assistant_threads_setTitle(channel_id=dm, thread_ts=said["ts"],
                                                            title="t"))
    assert (body["error"], body["needed"]) == ("missing_scope", "assistant:write")


async def test_not_agent_app_and_messages_tab_disabled(slack: SlackEmulator,
                                                      client: AsyncWebClient):
    dm, root = await slack.start_assistant_thread("alice")
    slack.configure_app(agent=False)
    body = await error_of(client.assistant_threads_setSuggestedPrompts(
        channel_id=dm, thread_ts=root, prompts=[{"title": "a", "message": "b"}]))
    assert body["error"] == "not_agent_app"
    body = await error_of(client.assistant_threads_setTitle(channel_id=dm, thread_ts=root,
                                                            title="x"))
    assert body["error"] == "not_agent_app"
    slack.configure_app(agent=True, messages_tab=False)
    body = await error_of(client.chat_postMessage(channel=dm, text="hello"))
    assert body["error"] == "messages_tab_disabled"
    assert (await client.chat_postMessage(channel=slack.general, text="hello"))["ok"]
    slack.reset()  # the app's settings survive a reset
    assert (await error_of(client.chat_postMessage(channel=slack.open_dm("alice"), text="x"))
            )["error"] == "messages_tab_disabled"


def sections(count: int, size: int) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * size}}
            for _ in range(count)]


async def test_msg_blocks_too_long_at_about_13k_characters(slack: SlackEmulator,
                                                          client: AsyncWebClient):
    ok = await client.chat_postMessage(channel=slack.general, text="t", blocks=sections(4, 2900))
    assert ok["ok"]  # 11,600 characters, each section under its 3,000
    body = await error_of(client.chat_postMessage(channel=slack.general, text="t",
                                                  blocks=sections(4, 2900) + sections(1, 2000)))
    assert body["error"] == "msg_blocks_too_long"
    body = await error_of(client.chat_update(channel=slack.general, ts=ok["ts"], text="t",
                                             blocks=sections(5, 2900)))
    assert body["error"] == "msg_blocks_too_long"


def data_table(rows: list[list[dict]], **extra) -> dict:
    return {"type": "data_table", "caption": "Tickets", "rows": rows, **extra}


def cell(text: str, kind: str = "raw_text") -> dict:
    return {"type": kind, "text": text}


async def test_new_blocks_are_accepted_and_validated(slack: SlackEmulator,
                                                    client: AsyncWebClient, clock: FakeClock):
    table = data_table([[cell("id"), cell("title")], [cell("1"), cell("Printer")]], page_size=5)
    chart = {"type": "data_visualization", "title": "Tickets per day",
             "chart": {"type": "bar", "data": []}}
    box = {"type": "container", "title": {"type": "plain_text", "text": "Details"},
           "child_blocks": [{"type": "divider"}, *sections(1, 10)]}
    posted = await client.chat_postMessage(channel=slack.general, text="t",
                                           blocks=[table, chart, box])
    assert [b["type"] for b in posted["message"]["blocks"]] == [
        "data_table", "data_visualization", "container"]
    bad = [
        (data_table([[cell("id")]]), "/blocks/0/rows"),
        (data_table([[cell("a"), cell("b")], [cell("1")]]), "/blocks/0/rows/1"),
        (data_table([[cell("a", "rich_text")], [cell("1")]]), "/blocks/0/rows/0/0/type"),
        ({"type": "data_table", "rows": [[cell("a")], [cell("b")]]}, "/blocks/0/caption"),
        ({**chart, "title": "x" * 51}, "/blocks/0/title"),
        ({**chart, "chart": {"type": "radar"}}, "/blocks/0/chart/type"),
        ({**box, "child_blocks": [{"type": "container"}]}, "/blocks/0/child_blocks/0/type"),
        ({**box, "child_blocks": [{"type": "divider"}] * 11}, "/blocks/0/child_blocks"),
        ({"type": "container", "child_blocks": [{"type": "divider"}]}, "/blocks/0"),
    ]
    for block, pointer in bad:
        clock.advance(2)  # past the per-channel posting limit
        body = await error_of(client.chat_postMessage(channel=slack.general, text="t",
                                                      blocks=[block]))
        assert body["error"] == "invalid_blocks", block
        assert any(f"[json-pointer:{pointer}]" in e for e in body["errors"]), body["errors"]
    body = await error_of(client.chat_postMessage(channel=slack.general, text="t",
                                                  blocks=[chart, chart, chart]))
    assert any("at most 2 data_visualization" in e for e in body["errors"])
