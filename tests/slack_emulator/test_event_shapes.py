"""Event and message shapes as real Slack sends them, received by a real Bolt app over HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, FakeClock, SlackEmulator


@contextlib.asynccontextmanager
async def recording(slack: SlackEmulator, make_app, bolt_http) -> AsyncIterator[list[dict]]:
    """Every ``message`` and ``app_mention`` envelope Bolt receives, in arrival order."""
    app = make_app(slack)
    seen: list[dict] = []

    @app.event("app_mention")
    async def on_mention(body):
        seen.append(body)

    @app.event("message")
    async def on_message(body):
        seen.append(body)

    async with bolt_http(slack, app):
        yield seen
        await slack.drain()


def of_type(seen: list[dict], kind: str) -> list[dict]:
    return [b["event"] for b in seen if b["event"]["type"] == kind]


async def test_streamed_message_is_a_bot_message(slack: SlackEmulator, client: AsyncWebClient):
    dm = slack.open_dm("alice")
    question = await slack.user_says("alice", "q", channel=dm)
    started = await client.chat_startStream(channel=dm, thread_ts=question["ts"],
                                            markdown_text="Hi")
    assert slack.message(started["ts"])["subtype"] == "bot_message"
    done = await client.chat_stopStream(channel=dm, ts=started["ts"])
    assert done["message"]["subtype"] == "bot_message"
    assert done["message"]["bot_id"] == slack.bot_id
    replies = await client.conversations_replies(channel=dm, ts=question["ts"])
    assert replies["messages"][1]["subtype"] == "bot_message"


async def test_assistant_thread_root_and_set_title(slack: SlackEmulator, client: AsyncWebClient,
                                                   make_app, bolt_http):
    async with recording(slack, make_app, bolt_http) as seen:
        dm, root_ts = await slack.start_assistant_thread("alice")
        root = slack.message(root_ts, dm)
        assert root["subtype"] == "assistant_app_thread"
        assert root["user"] == "U0EMUALICE"
        assert root["text"].startswith("Chats from ")
        assert root["assistant_app_thread"]["title"] == root["text"]
        await client.assistant_threads_setTitle(channel_id=dm, thread_ts=root_ts,
                                                title="Printer trouble")
        await slack.drain()
    renamed = slack.message(root_ts, dm)
    assert renamed["text"] == "Printer trouble"
    assert renamed["assistant_app_thread"]["title"] == "Printer trouble"
    assert slack.assistant_state(dm, root_ts)["title"] == "Printer trouble"
    changed = [e for e in of_type(seen, "message") if e.get("subtype") == "message_changed"]
    assert changed[-1]["message"]["subtype"] == "assistant_app_thread"
    assert changed[-1]["message"]["assistant_app_thread"]["title"] == "Printer trouble"
    assert changed[-1]["previous_message"]["assistant_app_thread"]["title"] == root["text"]


async def test_message_events_carry_metadata(slack: SlackEmulator, make_app, bolt_http):
    other = slack.add_bot("helper")
    helper = AsyncWebClient(token=other.token, base_url=slack.base_url)
    await helper.conversations_join(channel=slack.general)
    meta = {"event_type": "ticket_opened", "event_payload": {"id": "T-1"}}
    async with recording(slack, make_app, bolt_http) as seen:
        await helper.chat_postMessage(channel=slack.general, text="opened", metadata=meta)
        await slack.drain()
    (event,) = of_type(seen, "message")
    assert event["metadata"] == meta
    assert event["bot_id"] == other.bot_id


async def test_app_mention_from_another_bot_and_a_file_share(slack: SlackEmulator, make_app,
                                                             bolt_http):
    other = slack.add_bot("helper")
    helper = AsyncWebClient(token=other.token, base_url=slack.base_url)
    await helper.conversations_join(channel=slack.general)
    async with recording(slack, make_app, bolt_http) as seen:
        await helper.chat_postMessage(channel=slack.general,
                                      text=f"<@{slack.bot_user_id}> please look")
        shared = await slack.user_shares_file("alice", "log.txt", b"boom",
                                              text=f"<@{slack.bot_user_id}> see log")
        await slack.drain()
    from_bot, from_file = of_type(seen, "app_mention")
    assert from_bot["bot_id"] == other.bot_id
    assert from_bot["bot_profile"]["name"] == "helper"
    assert "client_msg_id" not in from_bot  # Slack omits what a bot message lacks
    assert from_file["ts"] == shared["ts"]
    assert from_file["files"][0]["name"] == "log.txt"
    assert from_file["files"][0]["channels"] == [slack.general]
    assert from_file["subtype"] == "file_share"
    assert from_file["upload"] is False


async def test_own_messages_never_mention_the_app(slack: SlackEmulator, client: AsyncWebClient,
                                                  make_app, bolt_http):
    async with recording(slack, make_app, bolt_http) as seen:
        await client.chat_postMessage(channel=slack.general, text=f"<@{slack.bot_user_id}> me")
        await slack.drain()
    assert of_type(seen, "app_mention") == []


def event_order(slack: SlackEmulator) -> list[str]:
    return [d.payload["event"]["type"] for d in slack.deliveries if d.kind == "event"]


@pytest.mark.parametrize("order", ["message_first", "mention_first"])
async def test_event_order_is_configurable(clock: FakeClock, order: str):
    config = EmulatorConfig.fast(event_order=order)
    async with SlackEmulator(config=config, clock=clock) as slack:
        await slack.user_says("alice", f"<@{slack.bot_user_id}> hi")
        await slack.drain()
        first = "message" if order == "message_first" else "app_mention"
        assert event_order(slack)[0] == first


async def random_orders(seed: int | None, clock: FakeClock) -> list[str]:
    async with SlackEmulator(config=EmulatorConfig.fast(event_seed=seed), clock=clock) as slack:
        for n in range(16):
            await slack.user_says("alice", f"<@{slack.bot_user_id}> {n}")
        await slack.drain()
        return event_order(slack)[::2]


async def test_random_order_varies_and_repeats_under_a_seed(clock: FakeClock):
    first = await random_orders(7, clock)
    assert set(first) == {"message", "app_mention"}  # both orders happen
    assert await random_orders(7, clock) == first  # and the same seed gives the same ones


async def test_editing_a_mention_resends_app_mention(slack: SlackEmulator, make_app, bolt_http):
    async with recording(slack, make_app, bolt_http) as seen:
        said = await slack.user_says("alice", f"<@{slack.bot_user_id}> helo")
        await slack.drain()
        await slack.edit(said, f"<@{slack.bot_user_id}> hello")
        await slack.edit(said, "no mention any more")
        await slack.drain()
    envelopes = [b for b in seen if b["event"]["type"] == "app_mention"]
    assert len(envelopes) == 2
    original, edited = envelopes
    assert edited["event"]["ts"] == original["event"]["ts"] == said["ts"]
    assert edited["event_id"] != original["event_id"]
    assert edited["event"]["text"] == f"<@{slack.bot_user_id}> hello"
    assert edited["event"]["edited"]["user"] == "U0EMUALICE"
    assert "edited" not in original["event"]
