"""``HistoryCache`` kept current from events and the bot's own posts, against the emulator's
Web API: what it serves without a call, and when it reads Slack again."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, SlackEmulator
from botkit_slack.history import HistoryCache


async def test_a_synced_thread_is_served_from_events_and_reread_after_a_gap() -> None:
    async with SlackEmulator(config=EmulatorConfig.fast()) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        cache = HistoryCache(client)
        root = slack.add_message(slack.general, "question", user="alice")
        thread = root["ts"]
        first = slack.add_message(slack.general, "first", user="bob", thread_ts=thread)
        assert [m["text"] for m in await cache.read(slack.general, thread)] == [
            "question", "first"]
        assert len(slack.calls_to("conversations.replies")) == 1

        # a message event and the bot's own post (Slack's copy in the answer) feed the cache
        said = slack.add_message(slack.general, "second", user="bob", thread_ts=thread)
        cache.observe(slack.general, {**said, "channel": slack.general})
        posted = await client.chat_postMessage(channel=slack.general, thread_ts=thread,
                                               text="the answer")
        cache.own(slack.general, thread, posted["message"], ts=posted["ts"])
        # the bot's message event, arriving late with older content, does not replace it
        cache.observe(slack.general, {**posted["message"], "text": "stale"})
        # an edit event replaces the message; a delete drops it
        cache.changed(slack.general, {**first, "text": "first (edited)"})
        texts = [m["text"] for m in await cache.read(slack.general, thread)]
        assert texts == ["question", "first (edited)", "second", "the answer"]
        cache.deleted(slack.general, said["ts"])
        assert "second" not in [m["text"] for m in await cache.read(slack.general, thread)]
        assert len(slack.calls_to("conversations.replies")) == 1
        assert cache.served_from_events == 2

        # an edit of the bot's message whose copy Slack did not return: read again from there
        cache.own(slack.general, thread, None, ts=posted["ts"])
        slack.add_message(slack.general, "third", user="bob", thread_ts=thread)
        texts = [m["text"] for m in await cache.read(slack.general, thread)]
        assert texts[-2:] == ["the answer", "third"]
        assert len(slack.calls_to("conversations.replies")) == 2


async def test_events_never_fill_a_conversation_that_was_not_read() -> None:
    async with SlackEmulator(config=EmulatorConfig.fast()) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        cache = HistoryCache(client)
        root = slack.add_message(slack.general, "question", user="alice")
        reply = slack.add_message(slack.general, "reply", user="bob", thread_ts=root["ts"])
        cache.observe(slack.general, reply)  # not read yet: a partial copy would hide the rest
        assert not cache.known(slack.general, root["ts"])
        texts = [m["text"] for m in await cache.read(slack.general, root["ts"])]
        assert texts == ["question", "reply"]
