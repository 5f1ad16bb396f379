"""The durable inbox under stops and crashes, and what it costs the ack path.

Recovery: for SQLite and Redis, and for SIGTERM (graceful drain) and SIGKILL, a bot process
(``tests/recovery/recovery_app.py``, Socket Mode on the Slack emulator) gets ``--events``
mentions; once every one is acknowledged and some replies are streaming, the process is
stopped, and a new one started on the same store. Printed per run: mentions acknowledged,
answered (exactly one complete answer), duplicated (extra complete answers), lost (no
answer, no apology), apologised, left streaming (messages a killed process left open),
closed with a notice (by the drain), and the time to recover (from the new process being
ready to the last mention settled, or to the last progress when some never settle).

Ack latency: ``--rates`` mentions per second (each for ``--seconds`` seconds), with and
without the inbox, on each of ``--stores``; p50/p99 of the time from the emulator sending an
envelope to its ack. The emulator runs in this process: its own event loop's lag (p99 of a
5 ms timer's overshoot while the mentions go out) is printed alongside, as is the machine's
1-minute load average, since both move the figure (an ack the emulator reads late counts as
late).

    .venv/bin/python bench/bench_inbox.py [--events 200] [--rates 50 150 300] [--seconds 3]
        [--stores sqlite redis]     (--events 0: only the ack latencies)

``--table`` prints ``ROW<TAB>name<TAB>value`` lines (the ack latencies with the inbox on, per
store and rate) for ``bench_peers``' table, and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "recovery"))

from recovery_harness import (  # noqa: E402
    acked_mentions,
    ask_many,
    emulator_config,
    start_bot,
    until,
)

from botkit.store import RedisStore  # noqa: E402
from botkit_slack.emulator import SlackEmulator  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
QUIET = 20.0  # seconds without progress after which a recovery counts as over


async def recovery(kind: str, how: str, events: int, folder: Path) -> dict[str, Any]:
    prefix = f"bench-inbox-{uuid.uuid4().hex[:8]}:"
    store = (f"sqlite:///{folder / f'{kind}-{how}.db'}" if kind == "sqlite"
             else f"{REDIS_URL}/0?prefix={prefix}")
    try:
        async with SlackEmulator(config=emulator_config()) as slack:
            first = await start_bot(slack, store, folder / f"{kind}-{how}-1.log",
                                    "--turn-seconds", "3", "--drain", "2")
            try:
                await slack.wait_for_socket()
                tally = await ask_many(slack, events)
                await until(lambda: acked_mentions(slack) == events, 120, "every mention acked")
                await until(lambda: tally.replies_begun(slack) >= events // 5, 120, "replies")
                acked = acked_mentions(slack)
            finally:
                await first.stop(kill=how == "sigkill")
            second = await start_bot(slack, store, folder / f"{kind}-{how}-2.log",
                                     "--turn-seconds", "0.5")
            ready = time.monotonic()
            quiet = 0.0
            try:  # settled, or as far as it gets (lost mentions never settle)
                await until(lambda: tally.settled(slack), QUIET, "every mention settled",
                            progress=lambda: tally.outcome(slack))
            except AssertionError:
                quiet = QUIET  # the wait for progress that never came
            recovered = time.monotonic() - ready - quiet
            await slack.drain()
            await second.stop()
            return {"store": kind, "stop": how, "acked": acked, **tally.outcome(slack),
                    "recover_s": round(recovered, 1)}
    finally:
        if kind == "redis":
            await _clean_redis(prefix)


class LoopLag:
    """The overshoot of a ``TICK`` s timer on this process's loop (the emulator's)."""

    TICK = 0.005

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._task = asyncio.create_task(self._probe())

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.TICK)
            self.lags.append(loop.time() - before - self.TICK)

    async def p99_ms(self) -> float:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        return statistics.quantiles(self.lags, n=100)[98] * 1000 if len(self.lags) > 1 else 0.0


@dataclasses.dataclass
class Acks:
    p50: float
    p99: float
    acked: int
    load: float  # 1-minute load average at the end
    emulator_lag: float  # ms, p99

    def note(self, asked: int) -> str:
        return (f"{self.acked} of {asked} acked, load {self.load:.1f}, emulator lag p99 "
                f"{self.emulator_lag:.0f} ms")


async def ack_latency(inbox: bool, rate: float, seconds: float, folder: Path,
                      kind: str = "sqlite") -> Acks:
    latencies: list[float] = []
    async with SlackEmulator(config=emulator_config()) as slack:
        def listen(kind: str, obj: Any) -> None:
            event = (getattr(obj, "payload", None) or {}).get("event") or {}
            if kind == "delivery" and obj.acked and event.get("type") == "app_mention":
                latencies.append(slack.core.clock.now() - obj.at)
        slack.core.subscribe(listen)
        prefix = f"bench-inbox-{uuid.uuid4().hex[:8]}:"
        store = (f"sqlite:///{folder / f'latency-{inbox}-{rate:g}.db'}" if kind == "sqlite"
                 else f"{REDIS_URL}/0?prefix={prefix}")
        extra = () if inbox else ("--no-inbox",)
        bot = await start_bot(slack, store, folder / f"latency-{kind}-{inbox}-{rate:g}.log",
                              "--turn-seconds", "0.1", *extra)
        try:
            await slack.wait_for_socket()
            count = round(rate * seconds)
            lag = LoopLag()
            await ask_many(slack, count, per_second=rate)
            emulator_lag = await lag.p99_ms()
            with contextlib.suppress(TimeoutError, AssertionError):
                await slack.drain(timeout=60)  # every envelope acked or given up on
        finally:
            await bot.stop(kill=True)  # only the acks are measured here
            if kind == "redis":
                await _clean_redis(prefix)
    cuts = statistics.quantiles(latencies, n=100)
    return Acks(cuts[49] * 1000, cuts[98] * 1000, len(latencies), os.getloadavg()[0],
                emulator_lag)


async def _clean_redis(prefix: str) -> None:
    store = RedisStore(REDIS_URL, prefix=prefix)
    try:
        for key in await store.scan(""):
            await store.delete(key)
    finally:
        await store.close()


async def table_rows(args: argparse.Namespace, folder: Path) -> None:
    """The ack latencies with the inbox on, as rows for ``bench_peers``."""
    for kind in args.stores:
        for rate in args.rates:
            acks = await ack_latency(True, rate, args.seconds, folder, kind)
            print(f"ROW\tack p50 / p99 ms @ {rate:g}/s, durable inbox on {kind} (Socket Mode)"
                  f"\t{acks.p50:.1f} / {acks.p99:.1f} ({acks.note(round(rate * args.seconds))})",
                  flush=True)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if args.table:
            await table_rows(args, Path(tmp))
            return
        folder = Path(tmp)
        print(f"{'store':7} {'stop':8} {'acked':>5} {'answered':>8} {'dup':>4} {'lost':>4} "
              f"{'sorry':>5} {'streaming':>9} {'closed':>6} {'recover s':>9}")
        for kind in args.stores:
            for how in ("sigterm", "sigkill") if args.events else ():
                r = await recovery(kind, how, args.events, folder)
                print(f"{r['store']:7} {r['stop']:8} {r['acked']:5} {r['answered']:8} "
                      f"{r['duplicated']:4} {r['lost']:4} {r['apologised']:5} "
                      f"{r['left_streaming']:9} {r['closed_with_notice']:6} "
                      f"{r['recover_s']:9}", flush=True)
        for kind in args.stores:
            print(f"\nack latency, {kind} store ({args.seconds:g} s per rate):")
            for rate in args.rates:
                for inbox in (False, True):
                    acks = await ack_latency(inbox, rate, args.seconds, folder, kind)
                    label = "with the inbox" if inbox else "without      "
                    print(f"  {rate:5g}/s {label}  p50 {acks.p50:6.1f} ms  p99 {acks.p99:6.1f} "
                          f"ms  ({acks.note(round(rate * args.seconds))})", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rates", type=float, nargs="*", default=[50.0, 150.0, 300.0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--stores", nargs="*", default=["sqlite", "redis"])
    parser.add_argument("--table", action="store_true")
    asyncio.run(main(parser.parse_args()))
