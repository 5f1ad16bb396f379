"""Scale-out: 1 and then 2 bot processes sharing Redis, on one Slack emulator (Socket Mode;
the emulator spreads envelopes over the processes' connections).

Each event is an @-mention starting its own conversation (spread over a few channels); the
bot answers each with one short streamed reply. For each process count it prints the
mentions answered per second, the deliveries (three per mention: ``message`` and
``app_mention`` for the person's message, which the processes deduplicate through Redis,
and ``message`` for the bot's reply) and the duplicate replies (must be 0), counted after
every process has stopped gracefully. Slack's rate limits are loosened 50 times in
the emulator and in the bots' own pacing: this measures the bot processes, not Slack.

Needs Redis (``REDIS_URL``, default redis://127.0.0.1:6379). Loopback only; bounded by
``--timeout``.

    .venv/bin/python bench/bench_scale_out.py [--events 300] [--channels 6] [--timeout 120]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "scale"))

from scale_harness import emulator_config, start_socket_replicas  # noqa: E402

from botkit.store import RedisStore  # noqa: E402
from botkit_slack.emulator import SlackEmulator  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")


async def redis_reachable() -> str | None:
    store = RedisStore(REDIS_URL, prefix="botkit-bench-ping:")
    try:
        await asyncio.wait_for(store.get("ping"), 3)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await store.close()
    return None


async def clean(prefix: str) -> None:
    store = RedisStore(REDIS_URL, prefix=prefix)
    try:
        for key in await store.scan(""):
            await store.delete(key)
    finally:
        await store.close()


async def run(processes: int, events: int, channels: int, logs: Path) -> tuple[float, int, int]:
    """(mentions answered per second, duplicate replies, deliveries) for ``processes``."""
    prefix = f"botkit-bench-{uuid.uuid4().hex[:8]}:"
    store = f"{REDIS_URL}{'&' if '?' in REDIS_URL else '?'}prefix={prefix}"
    try:
        async with SlackEmulator(config=emulator_config()) as slack:
            where = [slack.general] + [
                slack.add_channel(f"bench-{i}", members=["alice"]).id for i in range(channels - 1)]
            names = [f"p{i + 1}" for i in range(processes)]
            replicas = await start_socket_replicas(slack, names, store, logs)
            try:
                at_bot = f"<@{slack.bot_user_id}>"
                start = time.perf_counter()
                asked = [await slack.user_says("alice", f"{at_bot} ping {i}",
                                               where[i % len(where)]) for i in range(events)]
                for message in asked:
                    await slack.wait_for_message(
                        lambda m: m.get("streaming_state", "completed") == "completed",
                        channel=message["channel"], thread_ts=message["ts"], from_bot=True,
                        text="pong from", timeout=60)
                elapsed = time.perf_counter() - start
                await slack.drain()
            finally:
                codes = [await r.stop() for r in replicas]
            if any(codes):
                raise RuntimeError(f"a bot process failed: {codes}; logs in {logs}")
            duplicates = sum(max(0, len([m for m in slack.messages(q["channel"], q["ts"])
                                         if m.get("bot_id") == slack.bot_id]) - 1)
                             for q in asked)
            return events / elapsed, duplicates, len(slack.deliveries)
    finally:
        await clean(prefix)


async def main(args: argparse.Namespace) -> int:
    problem = await redis_reachable()
    if problem is not None:
        print(f"Redis is not reachable at {REDIS_URL} ({problem}); start redis-server or set "
              "REDIS_URL", file=sys.stderr)
        return 2
    print(f"{args.events} mentions in {args.channels} channels, one reply each "
          f"(Socket Mode, Redis at {REDIS_URL})")
    with tempfile.TemporaryDirectory() as logs:
        async with asyncio.timeout(args.timeout):
            for processes in (1, 2):
                rate, duplicates, deliveries = await run(processes, args.events, args.channels,
                                                         Path(logs))
                print(f"  {processes} process{'es' if processes > 1 else '  '}: "
                      f"{rate:7.1f} mentions/s  ({deliveries} deliveries)  "
                      f"duplicate replies: {duplicates}", flush=True)
                if duplicates:
                    return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--channels", type=int, default=6)
    parser.add_argument("--timeout", type=float, default=120.0)
    sys.exit(asyncio.run(main(parser.parse_args())))
