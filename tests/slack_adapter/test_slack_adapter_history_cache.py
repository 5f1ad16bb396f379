"""``HistoryCache`` kept current from events and the bot's own posts, against the emulator's
Web API: what it serves without a call, and when it reads Slack again."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from botkit.history import build_agent_messages
from botkit.types import Attachment, PlatformUser
from botkit_slack.directory import Directory
from botkit_slack.emulator import EmulatorConfig, SlackEmulator
from botkit_slack.history import HistoryCache, Identity, slim, translate_all
from botkit_slack.metadata import AGENT_EVENT


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


async def test_the_cache_keeps_what_translation_reads_and_history_rebuilds_the_same() -> None:
    async with SlackEmulator(config=EmulatorConfig.fast()) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        cache = HistoryCache(client)
        me = Identity(user_id=slack.bot_user_id, bot_id=slack.bot_id, team_id="T1",
                      user=PlatformUser(id=slack.bot_user_id, name="helpbot", is_bot=True))
        rich = [{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "my printer is broken"}]}]}]
        root = slack.add_message(slack.general, "my printer is broken", user="alice",
                                 blocks=rich)
        thread = root["ts"]
        records = [{"id": "a1", "role": "assistant", "toolCalls": [
            {"id": "c1", "type": "function", "function": {"name": "t", "arguments": "{}"}}]},
            {"id": "r1", "role": "tool", "toolCallId": "c1", "content": "HD-101"}]
        slack.add_message(slack.general, "Ticket HD-101 is open.", bot=True, thread_ts=thread,
                          metadata={"event_type": AGENT_EVENT,
                                    "event_payload": {"agent_messages": records}})
        card = [{"type": "section", "text": {"type": "mrkdwn", "text": "A card, no text"}}]
        slack.add_message(slack.general, "", bot=True, thread_ts=thread, blocks=card)
        slack.add_message(slack.general, "from another app", user="bob", thread_ts=thread,
                          bot_id="BOTHER", username="other",
                          bot_profile={"name": "Other app", "icons": {"image_36": "x"}})
        full = (await client.conversations_replies(channel=slack.general, ts=thread,
                                                   include_all_metadata=True))["messages"]
        cached = await cache.read(slack.general, thread)
        assert [m["ts"] for m in cached] == [m["ts"] for m in full]

        # slim: Slack's extras are gone; blocks stay only where there is no text to read
        allowed = {"ts", "thread_ts", "subtype", "user", "bot_id", "username", "text",
                   "metadata", "files", "bot_profile", "blocks"}
        assert all(set(m) <= allowed for m in cached)
        assert "client_msg_id" in full[0]
        assert "client_msg_id" not in cached[0]
        assert "blocks" in full[0]
        assert "blocks" not in cached[0]
        assert cached[2]["blocks"] == card
        assert cached[3]["bot_profile"] == {"name": "Other app"}
        shared = {"ts": "1.5", "subtype": "file_share", "user": "U1", "text": "a file",
                  "files": [{"id": "F1", "name": "a.txt"}], "upload": True}
        assert slim(shared) == {k: v for k, v in shared.items() if k != "upload"}

        async def no_files(found: Any) -> tuple[Attachment, ...]:
            return ()
        users = Directory(client)
        rebuilt = await translate_all(cached, me, users, no_files)
        expected = await translate_all(full, me, users, no_files)
        assert rebuilt == expected  # raw is not compared: everything else is the same
        assert [m.text for m in rebuilt] == [
            "my printer is broken", "Ticket HD-101 is open.", "A card, no text",
            "from another app"]
        assert rebuilt[1].agent_messages == tuple(records)
        assert rebuilt[3].user is not None
        assert rebuilt[3].user.name == "Other app"
        assert build_agent_messages(rebuilt, bot=me.user) == \
            build_agent_messages(expected, bot=me.user)

        # what events and the bot's own posts put in the cache is slim too
        said = slack.add_message(slack.general, "thanks", user="alice", thread_ts=thread,
                                 blocks=rich)
        cache.observe(slack.general, {**said, "channel": slack.general})
        posted = await client.chat_postMessage(channel=slack.general, thread_ts=thread,
                                               text="You're welcome.")
        cache.own(slack.general, thread, posted["message"], ts=posted["ts"])
        latest = await cache.read(slack.general, thread)
        assert [m["text"] for m in latest[-2:]] == ["thanks", "You're welcome."]
        assert all(set(m) <= allowed for m in latest)
        assert "channel" not in latest[-2]
        assert latest[-1]["bot_profile"] == {"name": posted["message"]["bot_profile"]["name"]}


async def test_a_kept_thread_costs_no_lock_until_it_is_read_from_slack() -> None:
    """Hundreds of conversations are kept: a new thread seeded from its first message holds
    the message, not a lock it never takes (served from events, it is never read)."""
    cache = HistoryCache(AsyncWebClient(token="xoxb-unused"))
    root = {"ts": "1.0", "user": "U1", "text": "help", "type": "app_mention"}
    cache.seed_thread("C1", root)
    (entry,) = cache._entries.values()
    assert not [r for r in gc.get_referents(entry) if isinstance(r, asyncio.Lock)]
    assert await cache.read("C1", "1.0") == [slim(root)]  # synced: served from events
    cache.observe("C1", {**root, "type": "message"})  # the full message replaces it
    assert cache._entries[("C1", "1.0")].partial == set()
