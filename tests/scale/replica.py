"""One replica of ``scale_app`` on a Slack (the emulator), sharing a store with the others.

    SCALE_REPLICA=r1 SLACK_BOT_TOKEN=… SLACK_APP_TOKEN=… SLACK_SIGNING_SECRET=… \\
        python tests/scale/replica.py --api http://127.0.0.1:PORT/api/ --store redis://… [--http]

``--limits-scale N`` makes the adapter's own Slack rate pacing N times looser (pair it with
an emulator whose limits are scaled the same way). With ``--go`` it waits for a line on
stdin before connecting (so a test can tell which Socket Mode connection is whose). Prints
``READY <events URL or "socket">`` once connected and serves until SIGTERM (stopping
gracefully: in-flight work is finished first).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

from botkit.cli import load_app
from botkit.store import store_from_url
from botkit_slack.adapter import SlackAdapter
from botkit_slack.client import DEFAULT_LIMITS

APP = Path(__file__).resolve().parent / "scale_app.py"


async def serve(args: argparse.Namespace) -> None:
    bot = load_app(str(APP))
    bot.store = store_from_url(args.store)
    bot.owns_store = True
    adapter = SlackAdapter(
        bot_token=os.environ["SLACK_BOT_TOKEN"], base_url=args.api, socket_mode=not args.http,
        app_token=None if args.http else os.environ["SLACK_APP_TOKEN"],
        signing_secret=os.environ["SLACK_SIGNING_SECRET"] if args.http else None,
        host="127.0.0.1", port=0, edit_interval=0.2, first_post_delay=0.0,
        thinking_status=None, rate_limits={
            method: (per_minute * args.limits_scale, max(1, round(burst * args.limits_scale)))
            for method, (per_minute, burst) in DEFAULT_LIMITS.items()})
    bot.adapters = [adapter]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    if args.go:
        await loop.run_in_executor(None, sys.stdin.readline)
    await bot.start()
    try:
        print("READY", adapter.request_url or "socket", flush=True)
        await stop.wait()
    finally:
        await bot.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--go", action="store_true")
    parser.add_argument("--limits-scale", type=float, default=1.0)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
