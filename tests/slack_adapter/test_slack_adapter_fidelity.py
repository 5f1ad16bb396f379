"""What real Slack does that a naive bot trips on (issue 13, items 3, 5 and 6), end to end on
the strict emulator: edited mentions, no fixed order between ``message`` and ``app_mention``,
the non-Marketplace ``conversations.replies`` limit, assistant-thread roots and file shares."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_adapter_harness import Harness, running
from slack_sdk.web.async_client import AsyncWebClient

from botkit import TurnContext, create_bot
from botkit.bot import Bot
from botkit_slack.emulator import EmulatorConfig
from botkit_slack.emulator.config import RateLimits
from botkit_slack.ingress.decide import RespondTo, decide

ORDERS: list[tuple[str, int | None]] = [("mention_first", 0), ("message_first", 0),
                                        ("random", 1), ("random", 2), ("random", 3)]


def history_bot() -> tuple[Bot, list[str]]:
    """A bot that answers every mention with what its history holds, and counts runs."""
    bot = create_bot(name="historian")
    runs: list[str] = []

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        runs.append(ctx.text)
        history = await ctx.thread.get_messages()
        said = " | ".join(m.text.strip() for m in history)
        files = "".join(f" [file {a.name}: {a.data!r}]" for a in ctx.message.attachments)
        await ctx.thread.post(f"run {len(runs)} saw {len(history)}: {said}{files}")

    return bot, runs


def config(order: str, seed: int | None, **overrides: Any) -> EmulatorConfig:
    return EmulatorConfig.fast(event_order=order, event_seed=seed, **overrides)


async def answers(h: Harness, thread: str, channel: str | None = None) -> list[str]:
    await h.settle()
    return [m["text"] for m in h.bot_messages(thread, channel)]


@pytest.mark.parametrize(("order", "seed"), ORDERS)
async def test_one_run_per_message_in_every_event_order(order: str, seed: int | None) -> None:
    bot, runs = history_bot()
    async with running("socket", bot=bot, config=config(order, seed)) as h:
        asked = await h.mention("first")
        await h.reply(asked["ts"], "run 1")
        again = await h.mention("second", thread_ts=asked["ts"])
        await h.reply(asked["ts"], "run 2", after=again["ts"])
        said = await answers(h, asked["ts"])
        assert [s.split(":")[0] for s in said] == ["run 1 saw 1", "run 2 saw 3"]
        assert runs[:2] == ["first", "second"]


@pytest.mark.parametrize(("order", "seed"), ORDERS[:3])
async def test_an_edited_mention_is_answered_once(order: str, seed: int | None) -> None:
    bot, runs = history_bot()
    async with running("socket", bot=bot, config=config(order, seed)) as h:
        slack = h.slack
        # an answered mention, edited twice: Slack re-sends app_mention each time
        asked = await h.mention("first")
        await h.reply(asked["ts"], "run 1")
        await slack.edit(asked, h.at_bot("first, edited"))
        await slack.edit(asked, h.at_bot("first, edited again"))
        assert len(await answers(h, asked["ts"])) == 1
        # a message that gains the mention in an edit: answered once, with the new text
        plain = await slack.user_says("alice", "is the printer broken?", slack.general)
        await slack.edit(plain, h.at_bot("is the printer broken?"))
        said = await h.reply(plain["ts"], "run")
        await slack.edit(plain, h.at_bot("is the printer on floor 2 broken?"))
        assert [m["ts"] for m in h.bot_messages(plain["ts"])] == [said["ts"]]
        assert len(await answers(h, plain["ts"])) == 1
        assert runs.count("is the printer broken?") == 1
        assert not any("floor 2" in r or "edited" in r for r in runs)
        # the edits reached the cached history: the next turn sees the edited text
        again = await h.mention("and now?", thread_ts=asked["ts"])
        reply = await h.reply(asked["ts"], "run", after=again["ts"])
        assert "first, edited again" in reply["text"]


async def test_an_edit_older_than_the_dedup_window_is_ignored() -> None:
    event = {"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1000.000100",
             "text": "<@UBOT> hi", "edited": {"user": "U1", "ts": "5000.000000"}}
    kwargs: dict[str, Any] = {"bot_user_id": "UBOT", "respond_to": RespondTo()}
    assert decide(event, now=1000.5, **kwargs) is not None
    assert decide(event, now=1000.0 + 3601, **kwargs) is None
    assert decide({**event, "edited": None}, now=1000.0 + 3601, **kwargs) is not None


@pytest.mark.parametrize(("order", "seed"), [("mention_first", 0), ("message_first", 0)])
async def test_follow_ups_need_no_replies_call_outside_the_marketplace(
        order: str, seed: int | None) -> None:
    bot, _ = history_bot()
    limits = RateLimits(non_marketplace=True)
    async with running("socket", bot=bot, config=config(order, seed, rate_limits=limits)) as h:
        slack = h.slack
        asked = await h.mention("one")
        await h.reply(asked["ts"], "run 1")
        chatter = await slack.user_says("bob", "me too", slack.general, asked["ts"])
        two = await h.mention("two", thread_ts=asked["ts"])
        await h.reply(asked["ts"], "run 2", after=two["ts"])
        three = await h.mention("three", thread_ts=asked["ts"])
        third = await h.reply(asked["ts"], "run 3", after=three["ts"])
        assert chatter["ts"] < two["ts"]
        assert third["text"] == ("run 3 saw 6: one | run 1 saw 1: one | me too | two | "
                                 "run 2 saw 4: one | run 1 saw 1: one | me too | two | three")
        assert slack.calls_to("conversations.replies") == []
        # a thread the bot did not start: read once (paged at 15), then kept from events
        root = slack.add_message(slack.general, "old question", user="bob")
        for i in range(20):
            slack.add_message(slack.general, f"old reply {i}", user="bob", thread_ts=root["ts"])
        limits.enabled = False  # pages stay at 15, but two in a row would wait a minute
        four = await h.mention("four", thread_ts=root["ts"])
        fourth = await h.reply(root["ts"], "run", after=four["ts"])
        limits.enabled = True
        assert "saw 22: old question | old reply 0 |" in fourth["text"]
        five = await h.mention("five", thread_ts=root["ts"])
        fifth = await h.reply(root["ts"], "run", after=five["ts"])
        assert "saw 24: " in fifth["text"]
        assert fifth["text"].endswith("| five")
        calls = slack.calls_to("conversations.replies")
        assert len(calls) == 2


async def test_assistant_root_skipped_and_streamed_replies_kept_as_the_bots() -> None:
    bot = create_bot(name="assistant")
    seen: list[list[tuple[bool, str]]] = []
    shown = asyncio.Event()

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        if ctx.text == "hello":  # the harness's settle() barrier, in #general
            await ctx.thread.post("hi")
            return
        history = await ctx.thread.get_messages()
        seen.append([(m.is_bot, m.text.strip()) for m in history])

        async def words() -> Any:
            yield "answer "
            await shown.wait()  # the rest once the reply shows: it is streamed natively
            yield str(len(seen))

        await ctx.thread.stream(words())

    async with running("socket", bot=bot, streaming="native") as h:
        slack = h.slack
        dm, root = await slack.start_assistant_thread("alice")
        first = await slack.user_says("alice", "question one", dm, root)
        await slack.wait_for_message(channel=dm, thread_ts=root, from_bot=True)
        shown.set()
        await h.reply(root, "answer 1", channel=dm, after=first["ts"])
        streamed = [m for m in slack.messages(dm, root) if m.get("bot_id")]
        assert streamed
        assert streamed[0].get("subtype") == "bot_message"
        second = await slack.user_says("alice", "question two", dm, root)
        await h.reply(root, "answer 2", channel=dm, after=second["ts"])
        await h.settle()
        assert seen[-1] == [(False, "question one"), (True, "answer 1"),
                            (False, "question two")]
        assert slack.calls_to("conversations.replies") == []  # a new thread: nothing to read


async def test_other_bots_mentions_are_not_answered_and_file_shares_are() -> None:
    bot, runs = history_bot()
    async with running("socket", bot=bot) as h:
        slack = h.slack
        other = slack.add_bot("otherbot")
        slack.workspace.channels[slack.general].members.add(other.bot_user_id)
        client = AsyncWebClient(token=other.token, base_url=slack.base_url)
        said = await client.chat_postMessage(channel=slack.general, text=h.at_bot("hi, bot"))
        shared = await slack.user_shares_file("alice", "notes.txt", b"the notes",
                                              h.at_bot("read this"), slack.general)
        reply = await h.reply(shared["ts"], "run")
        assert "read this [file notes.txt: b'the notes']" in reply["text"]
        await h.settle()
        assert h.bot_messages(str(said["ts"])) == []
        assert "hi, bot" not in runs
