"""The bot the recovery tests and ``bench/bench_inbox.py`` run as a real process against the
Slack emulator: each mention ``ask #N`` is answered by a streamed ``answer #N …`` that takes
about ``RECOVERY_TURN_SECONDS`` (so many turns are in flight when the process stops).

    python tests/recovery/recovery_app.py --api http://127.0.0.1:PORT/api/ --store URL
        [--no-inbox] [--drain SECONDS] [--max-age SECONDS]

Tokens come from ``SLACK_BOT_TOKEN`` / ``SLACK_APP_TOKEN``. Prints ``READY`` once connected
and serves until SIGTERM or SIGINT (a graceful drain).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from botkit import TurnContext, create_bot
from botkit.inbox import InboxConfig
from botkit.run.fair import serving_gc
from botkit.store import store_from_url
from botkit.testing import Rule, Say, ScriptedAgent
from botkit_slack.adapter import SlackAdapter
from botkit_slack.client import DEFAULT_LIMITS

WORDS = 12
LIMITS_SCALE = 200


def make_agent(turn_seconds: float) -> ScriptedAgent:
    filler = " ".join(["word"] * WORDS)
    return ScriptedAgent([Rule(r"ask #(\d+)", Say("answer #{1} " + filler + " done.",
                                                   delay=turn_seconds / WORDS))],
                         default=Say("pong"))


async def serve(args: argparse.Namespace) -> None:
    inbox = None if args.no_inbox else InboxConfig(
        drain_deadline=args.drain, max_age=args.max_age, heartbeat=0.5, replica_ttl=2.0,
        claim_after=30.0)
    bot = create_bot(name="recovery", agent=make_agent(args.turn_seconds),
                     store=store_from_url(args.store), inbox=inbox, lock_ttl=60.0)
    bot.owns_store = True

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    adapter = SlackAdapter(
        bot_token=os.environ["SLACK_BOT_TOKEN"], base_url=args.api, socket_mode=True,
        app_token=os.environ["SLACK_APP_TOKEN"], edit_interval=0.2, first_post_delay=0.0,
        thinking_status=None, rate_limits={
            method: (per_minute * LIMITS_SCALE, max(1, burst * LIMITS_SCALE))
            for method, (per_minute, burst) in DEFAULT_LIMITS.items()})
    bot.add_adapter(adapter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await bot.start()
    restore_gc = serving_gc()  # as ``Bot.serve`` sets the collector for serving
    try:
        print("READY", flush=True)
        await stop.wait()
    finally:
        try:
            await bot.stop()
        finally:
            restore_gc()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--no-inbox", action="store_true")
    parser.add_argument("--drain", type=float, default=20.0)
    parser.add_argument("--max-age", type=float, default=600.0)
    parser.add_argument("--turn-seconds", type=float, default=1.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
