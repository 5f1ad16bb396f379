"""The Slack adapter under load: N concurrent conversations through the local emulator.

Each conversation is an @-mention in its own thread (spread over a few channels); the agent
streams a ~60-word answer over about a second. Compared with a minimal hand-written slack-bolt
handler that makes the same calls (post the first words, then ``chat.update`` every second,
then a final update; slack_sdk's 429 retry handler on), it prints:

- ack latency p50/p99 (the emulator's delivery → the app's ack, Socket Mode),
- Slack API calls per streamed reply, 429s seen, replies completed per second,
- botkit's figures as a ratio of the hand-written handler's.

The emulator enforces Slack's published rate limits. Loopback only; bounded by ``--timeout``.

    scripts/dev bench bench_slack_adapter [--conversations 20] [--channels 5]
                                                  [--streaming native|edits] [--timeout 120]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from botkit import TurnContext, create_bot
from botkit.testing import Rule, Say, ScriptedAgent
from botkit_slack.adapter import SlackAdapter
from botkit_slack.emulator import EmulatorConfig, SlackEmulator

WORDS = 60
DELAY = 0.02
ANSWER = " ".join(f"word{i}" for i in range(WORDS - 1)) + " END-OF-REPLY"
SETUP_METHODS = {"auth.test", "apps.connections.open"}


@dataclass
class Figures:
    name: str
    ack_p50: float
    ack_p99: float
    calls_per_reply: float
    rate_limited: int
    replies_per_second: float
    completed: int


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _words() -> AsyncIterator[str]:
    for word in ANSWER.split(" "):
        await asyncio.sleep(DELAY)
        yield word + " "


# -- the two contenders -------------------------------------------------------------------
@contextlib.asynccontextmanager
async def botkit_bot(slack: SlackEmulator, streaming: str) -> AsyncIterator[None]:
    agent = ScriptedAgent([Rule(r".", Say(ANSWER, delay=DELAY))])
    bot = create_bot(name="bench", agent=agent)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    adapter = SlackAdapter(bot_token=slack.bot_token, app_token=slack.app_token,
                           base_url=slack.base_url, streaming=streaming)
    bot.adapters = [adapter]
    await bot.start()
    try:
        yield
    finally:
        await bot.stop()


@contextlib.asynccontextmanager
async def hand_written_bot(slack: SlackEmulator, streaming: str) -> AsyncIterator[None]:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url,
                            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=8)])
    app = AsyncApp(client=client, process_before_response=False)
    tasks: set[asyncio.Task[Any]] = set()

    @app.event("app_mention")
    async def mention(event: dict[str, Any]) -> None:
        channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
        text, ts, last = "", None, 0.0
        async for word in _words():
            text += word
            if ts is None:
                ts = (await client.chat_postMessage(channel=channel, thread_ts=thread,
                                                    text=text))["ts"]
                last = time.monotonic()
            elif time.monotonic() - last >= 1.0:
                await client.chat_update(channel=channel, ts=ts, text=text)
                last = time.monotonic()
        await client.chat_update(channel=channel, ts=ts, text=text.strip())

    @app.event("message")
    async def ignore() -> None:
        return None

    handler = AsyncSocketModeHandler(app, slack.app_token, web_client=client)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await handler.close_async()  # type: ignore[no-untyped-call]


Contender = Callable[[SlackEmulator, str], contextlib.AbstractAsyncContextManager[None]]


# -- one run --------------------------------------------------------------------------------
async def measure(name: str, contender: Contender, *, conversations: int, channels: int,
                  streaming: str, timeout: float) -> Figures:
    async with SlackEmulator(config=EmulatorConfig()) as slack:
        acks: list[float] = []

        def on_change(kind: str, obj: Any) -> None:
            if kind == "delivery" and getattr(obj, "result", "") == "acked":
                acks.append(slack.clock.now() - obj.at)

        slack.core.subscribe(on_change)
        rooms = [slack.add_channel(f"bench-{i}", members=["alice", "bob"]).id
                 for i in range(channels)]
        async with contender(slack, streaming):
            await slack.wait_for_socket()
            since = len(slack.calls)
            started = time.monotonic()
            asks = await asyncio.gather(*(
                slack.user_says("alice" if i % 2 else "bob",
                                f"<@{slack.bot_user_id}> question {i}", rooms[i % channels])
                for i in range(conversations)))

            async def done(asked: dict[str, Any]) -> bool:
                def complete(m: dict[str, Any]) -> bool:
                    return "END-OF-REPLY" in m.get("text", "") and \
                        m.get("streaming_state", "completed") == "completed"
                with contextlib.suppress(TimeoutError):
                    await slack.wait_for_message(complete, channel=asked["channel"],
                                                 thread_ts=asked["ts"], from_bot=True,
                                                 timeout=timeout)
                    return True
                return False

            results = await asyncio.gather(*(done(a) for a in asks))
            elapsed = time.monotonic() - started
            calls = [c for c in slack.calls[since:] if c.method not in SETUP_METHODS]
        completed = sum(results)
        return Figures(
            name=name, ack_p50=_percentile(acks, 0.5) * 1000,
            ack_p99=_percentile(acks, 0.99) * 1000,
            calls_per_reply=sum(1 for c in calls if c.status != 429) / max(completed, 1),
            rate_limited=sum(1 for c in calls if c.status == 429),
            replies_per_second=completed / elapsed, completed=completed)


def report(rows: list[Figures], conversations: int) -> None:
    print(f"{'':24} {'ack p50 ms':>10} {'ack p99 ms':>10} {'calls/reply':>11} {'429s':>5} "
          f"{'replies/s':>9} {'done':>6}")
    for f in rows:
        print(f"{f.name:24} {f.ack_p50:10.1f} {f.ack_p99:10.1f} {f.calls_per_reply:11.2f} "
              f"{f.rate_limited:5d} {f.replies_per_second:9.2f} {f.completed:>3}/{conversations}")
    base = rows[-1]
    for f in rows[:-1]:
        print(f"{f.name} / {base.name}: ack p50 x{f.ack_p50 / base.ack_p50:.2f}, "
              f"ack p99 x{f.ack_p99 / base.ack_p99:.2f}, "
              f"calls/reply x{f.calls_per_reply / base.calls_per_reply:.2f}, "
              f"replies/s x{f.replies_per_second / base.replies_per_second:.2f}, "
              f"429s {f.rate_limited} vs {base.rate_limited}")


async def main_async(args: argparse.Namespace) -> None:
    runs: list[tuple[str, Contender, str]] = [
        (f"botkit ({s})", botkit_bot, s) for s in args.streaming]
    runs.append(("hand-written bolt", hand_written_bot, "edits"))
    rows = []
    for name, contender, streaming in runs:
        run: Awaitable[Figures] = measure(
            name, contender, conversations=args.conversations, channels=args.channels,
            streaming=streaming, timeout=args.timeout)
        rows.append(await asyncio.wait_for(run, args.timeout + 30))
    report(rows, args.conversations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=20)
    parser.add_argument("--channels", type=int, default=5)
    parser.add_argument("--streaming", nargs="+", default=["native", "edits"],
                        choices=["native", "edits"])
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    if not 1 <= args.conversations <= 500:
        parser.error("--conversations must be between 1 and 500")
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("slack_bolt").setLevel(logging.CRITICAL)  # the baseline's 429 failures
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
