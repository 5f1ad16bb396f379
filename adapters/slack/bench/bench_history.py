"""History figures: Slack read calls per turn after a thread's first turn, and the time to
translate 1,000 Slack messages into botkit's ``ThreadMessage`` records.

    scripts/dev bench bench_history [--messages 1000] [--table]

``--table`` prints ``ROW<TAB>name<TAB>value`` lines for ``bench_peers``' table.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from botkit.types import PlatformUser
from botkit_slack.emulator import SlackEmulator
from botkit_slack.history import HistoryCache, Identity, translate

READS = ("conversations.replies", "conversations.history")


def slack_messages(count: int, bot: Identity) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(count):
        ts = f"{1700000000 + i}.{i:06d}"
        if i % 3 == 2:
            out.append({"type": "message", "ts": ts, "bot_id": bot.bot_id, "user": bot.user_id,
                        "text": f"Answer {i}: see *the docs* at <https://example.com|here>."})
        else:
            out.append({"type": "message", "ts": ts, "user": "U0EMUALICE",
                        "text": f"<@{bot.user_id}> question {i} about `code` & <#C1|general>"})
    return out


def translation_ms(count: int, repeats: int = 7) -> float:
    bot = Identity(user_id="U0BOT", bot_id="B0BOT", user=PlatformUser(id="U0BOT", is_bot=True))
    raw = slack_messages(count, bot)
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        for message in raw:
            translate(message, bot)
        best = min(best, time.perf_counter() - began)
    return best * 1000


async def reads_per_turn(turns: int = 5) -> list[int]:
    """Read calls of each later turn on a growing thread (the cache asks only for what is new)."""
    async with SlackEmulator() as slack:
        from slack_sdk.web.async_client import AsyncWebClient
        cache = HistoryCache(AsyncWebClient(token=slack.bot_token, base_url=slack.base_url))
        parent = slack.add_message(slack.general, "start", user="alice")
        for i in range(300):
            slack.add_message(slack.general, f"reply {i}", user="bob", thread_ts=parent["ts"])
        await cache.read(slack.general, parent["ts"])
        counts = []
        for turn in range(turns):
            slack.add_message(slack.general, f"turn {turn}", user="alice", thread_ts=parent["ts"])
            since = len(slack.calls)
            await cache.read(slack.general, parent["ts"])
            counts.append(sum(1 for c in slack.calls[since:] if c.method in READS))
        return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args()
    counts = asyncio.run(reads_per_turn())
    rows = [("history: Slack read calls per later turn (301-message thread)",
             f"{min(counts)}–{max(counts)}" if min(counts) != max(counts) else str(counts[0])),
            (f"history: translate {args.messages} messages, ms",
             f"{translation_ms(args.messages):.1f}")]
    for name, value in rows:
        print(f"ROW\t{name}\t{value}" if args.table else f"{name:62} {value:>8}")


if __name__ == "__main__":
    main()
