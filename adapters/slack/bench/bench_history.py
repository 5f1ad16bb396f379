"""History figures: Slack read calls per turn after a thread's first turn, and the time to
translate 1,000 Slack messages into the agent's history.

- Read calls per later turn on a growing 301-message thread: with the ``message`` events
  fed to the cache, as the adapter does (0: the turn is served from what the events
  brought), and with the events missed (``resync``: one ``conversations.replies`` with
  ``oldest=``, only what is new).
- Translation: the adapter's whole path, Slack's raw messages to the ``RunAgentInput``
  messages: authors and mentioned people (a warm user cache), ``mrkdwn`` to plain text, the
  bot's tool records from metadata (``translate_all``), then ``build_agent_messages``. Best
  of 7 passes.

    scripts/dev bench bench_history [--messages 1000] [--table]

``--table`` prints ``ROW<TAB>name<TAB>value`` lines for ``bench_peers``' table.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from botkit.history import build_agent_messages
from botkit.types import Attachment, PlatformUser
from botkit_slack import metadata
from botkit_slack.directory import Directory
from botkit_slack.emulator import SlackEmulator
from botkit_slack.history import HistoryCache, Identity, translate_all

READS = ("conversations.replies", "conversations.history")


def slack_messages(count: int, bot: Identity, person: str) -> list[dict[str, object]]:
    """A thread as Slack returns it: people asking (mentioning the bot and a colleague),
    the bot answering, every third answer with a tool call and its result in metadata."""
    out: list[dict[str, object]] = []
    for i in range(count):
        ts = f"{1700000000 + i}.{i:06d}"
        if i % 3 == 2:
            message: dict[str, object] = {
                "type": "message", "ts": ts, "bot_id": bot.bot_id, "user": bot.user_id,
                "text": f"Answer {i}: see *the docs* at <https://example.com|here>."}
            if i % 9 == 8:
                call = f"call_{i}"
                message["metadata"] = metadata.encode([
                    {"id": f"a{i}", "role": "assistant", "content": "", "toolCalls": [
                        {"id": call, "type": "function",
                         "function": {"name": "search", "arguments": '{"q": "docs"}'}}]},
                    {"id": f"r{i}", "role": "tool", "toolCallId": call,
                     "content": "3 results"}], status=False)
            out.append(message)
        else:
            out.append({"type": "message", "ts": ts, "user": person,
                        "text": f"<@{bot.user_id}> question {i} about `code` &amp; "
                                f"<#C1|general>, cc <@{person}>"})
    return out


async def no_files(files: Sequence[Mapping[str, Any]]) -> Sequence[Attachment]:
    return ()


async def translation_ms(count: int, repeats: int = 7) -> tuple[float, int]:
    """(best ms to translate ``count`` Slack messages into agent messages, how many)."""
    async with SlackEmulator() as slack:
        bot = Identity(user_id=slack.bot_user_id, bot_id=slack.bot_id,
                       user=PlatformUser(id=slack.bot_user_id, is_bot=True))
        users = Directory(AsyncWebClient(token=slack.bot_token, base_url=slack.base_url))
        users.bot_user_id = bot.user_id
        raw = slack_messages(count, bot, "U0EMUALICE")  # the seeded @alice
        best, made = float("inf"), 0
        for _ in range(repeats + 1):  # the first pass fills the user cache
            began = time.perf_counter()
            history = await translate_all(raw, bot, users, no_files)
            made = len(build_agent_messages(history, bot=bot.user))
            best = min(best, time.perf_counter() - began)
        return best * 1000, made


async def reads_per_turn(turns: int = 5) -> tuple[list[int], list[int]]:
    """Read calls of each later turn on a growing thread: (with the events the adapter
    gets fed to the cache, with those events missed)."""
    async with SlackEmulator() as slack:
        cache = HistoryCache(AsyncWebClient(token=slack.bot_token, base_url=slack.base_url))
        parent = slack.add_message(slack.general, "start", user="alice")
        for i in range(300):
            slack.add_message(slack.general, f"reply {i}", user="bob", thread_ts=parent["ts"])
        await cache.read(slack.general, parent["ts"])
        fed, missed = [], []
        for turn in range(turns):
            for counts, events in ((fed, True), (missed, False)):
                said = slack.add_message(slack.general, f"turn {turn} {events}", user="alice",
                                         thread_ts=parent["ts"])
                if events:
                    cache.observe(slack.general, said)  # the ``message`` event
                else:
                    cache.resync(slack.general, parent["ts"])
                since = len(slack.calls)
                read = await cache.read(slack.general, parent["ts"])
                if read[-1]["ts"] != said["ts"]:
                    raise SystemExit(f"turn {turn}: the read misses the newest message")
                counts.append(sum(1 for c in slack.calls[since:] if c.method in READS))
        return fed, missed


def spread(counts: list[int]) -> str:
    return f"{min(counts)}–{max(counts)}" if min(counts) != max(counts) else str(counts[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    fed, missed = asyncio.run(reads_per_turn())
    took, made = asyncio.run(translation_ms(args.messages))
    rows = [("history: Slack read calls per later turn, events fed (301 messages)", spread(fed)),
            ("history: … events missed (one replies call, oldest=)", spread(missed)),
            (f"history: translate {args.messages} messages to agent history ({made}), ms",
             f"{took:.1f}")]
    for name, value in rows:
        print(f"ROW\t{name}\t{value}" if args.table else f"{name:62} {value:>8}")


if __name__ == "__main__":
    main()
