"""botkit next to a hand-written slack-bolt bot making the same Slack calls, in ONE table.

The Slack emulator runs in its own process, each bot in another (HTTP Events API, see
``peer_bots.py``); this process only drives the emulator's control API and reads the bots'
CPU time and peak RSS from /proc. Contenders alternate run by run (``--runs`` each), so a
noisy machine hurts both alike; every cell shows the range over the runs.

- CPU ms per mention: 100 mentions over 10 channels at once, rate limits off, one-shot and
  streamed; the same with botkit's pacing off (``unpaced``: the others do not pace); and 50
  mentions arriving at 5/s (``steady``: within Slack's limits, nobody waits).
- Ack p50/p99 at 50/150/300 events/s: the emulator's delivery to the app's HTTP 200.
- Peak RSS of the bot process (VmHWM) after those runs.
- Under Slack's limits (the emulator enforces them): 429s and the time until all 100 replies.
- First visible text of a slow streamed reply (a word every 100 ms).
- In-process botkit figures (``bench_core_scale``): streaming conversations, pending choices,
  history calls per turn and translation time.

    scripts/dev bench bench_peers [--runs 3] [--mentions 100] [--channels 10] [--quick]
        [--cpu-only] [--no-core] [--no-chatsdk]

The ``chat-sdk`` port of Vercel Chat is a third contender when installed (the optional
``bench`` extra: ``pip install -e '.[bench]'``); without it the bench says so and runs the
other two.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from bench_helpdesk import helpdesk_figures
from bench_procs import (
    HERE,
    Emulator,
    bot_process,
    burst,
    cpu_reading,
    cpu_since,
    emulator_process,
    fresh_workspace,
    last_seq,
    mention,
    peak_rss_mb,
    replied,
)
from bench_table import KINDS, Cell, Table, contenders, print_table


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- scenarios ------------------------------------------------------------------------------
async def cpu_per_mention(emu: Emulator, kind: str, mode: str, args: argparse.Namespace,
                          *, unpaced: bool = False) -> tuple[float, float, int]:
    """(CPU ms per mention, peak RSS MB, replies): ``--mentions`` at once."""
    rooms = await fresh_workspace(emu, args.channels, limits=False)
    async with bot_process(emu, kind, mode, unpaced=unpaced) as bot:
        await burst(emu, rooms, 10, args.timeout)  # warm up (imports, pools, caches)
        before = cpu_reading(bot.pid)
        _, done = await burst(emu, rooms, args.mentions, args.timeout)
        used = cpu_since(bot.pid, before)
        return used * 1000 / args.mentions, peak_rss_mb(bot.pid), done


async def cpu_steady(emu: Emulator, kind: str, mode: str, args: argparse.Namespace
                     ) -> tuple[float, int]:
    """(CPU ms per mention, replies): ``--steady-mentions`` arriving at ``--steady-rate``
    per second, within Slack's limits (no bot waits on pacing), as traffic usually comes."""
    rooms = await fresh_workspace(emu, args.channels, limits=False)
    async with bot_process(emu, kind, mode) as bot:
        await burst(emu, rooms, 10, args.timeout)
        before = cpu_reading(bot.pid)
        started, asks = time.monotonic(), []
        for i in range(args.steady_mentions):
            delay = started + i / args.steady_rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            asks.append(asyncio.ensure_future(mention(emu, rooms[i % len(rooms)], i)))
        asked = await asyncio.gather(*asks)
        done = await asyncio.gather(*(replied(emu, a, args.timeout) for a in asked))
        used = cpu_since(bot.pid, before)
        return used * 1000 / args.steady_mentions, sum(d is not None for d in done)


async def ack_latency(emu: Emulator, kind: str, rate: int, args: argparse.Namespace
                      ) -> tuple[float, float]:
    """(p50, p99) ms of event deliveries while mentions arrive at ``rate`` per second."""
    rooms = await fresh_workspace(emu, args.channels, limits=False)
    async with bot_process(emu, kind, "oneshot") as bot:
        del bot
        await burst(emu, rooms, 10, args.timeout)
        since = await last_seq(emu, "deliveries")
        count = int(rate * args.ack_seconds)
        started = time.monotonic()
        asks = []
        for i in range(count):
            delay = started + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            asks.append(asyncio.ensure_future(mention(emu, rooms[i % len(rooms)], i)))
        asked = await asyncio.gather(*asks)
        await asyncio.gather(*(replied(emu, a, args.timeout) for a in asked))
        deliveries = (await emu.control("GET", "deliveries", kind="event"))
        acks = [(d["finished_at"] - d["at"]) * 1000 for d in deliveries
                if d["seq"] > since and d.get("finished_at") is not None]
        return percentile(acks, 0.5), percentile(acks, 0.99)


async def under_limits(emu: Emulator, kind: str, args: argparse.Namespace
                       ) -> tuple[float, int, int]:
    """(seconds until all replies, 429s, replies) with Slack's limits enforced."""
    rooms = await fresh_workspace(emu, args.channels, limits=True)
    async with bot_process(emu, kind, "oneshot"):
        since = await last_seq(emu, "calls")
        took, done = await burst(emu, rooms, args.mentions, args.timeout)
        calls = [c for c in await emu.control("GET", "calls") if c["seq"] > since]
        return took, sum(1 for c in calls if c.get("status") == 429), done


async def first_text(emu: Emulator, kind: str, args: argparse.Namespace) -> float:
    """Seconds from a mention to the first visible words of a slow streamed reply."""
    rooms = await fresh_workspace(emu, 1, limits=True)
    async with bot_process(emu, kind, "stream", word_delay=0.1):
        await burst(emu, rooms, 1, args.timeout)  # warm up
        started = time.monotonic()
        asked = await mention(emu, rooms[0], 1)
        while time.monotonic() - started < args.timeout:
            msgs = await emu.control("GET", "messages", channel=rooms[0], thread_ts=asked["ts"])
            if any(m.get("bot_id") and m.get("text", "").strip() for m in msgs):
                return time.monotonic() - started
            await asyncio.sleep(0.005)
        return float("nan")


async def main_async(args: argparse.Namespace) -> None:
    table: Table = {}
    kinds = contenders() if not args.no_chatsdk else KINDS

    def cell(row: str, kind: str) -> Cell:
        return table.setdefault(row, {k: Cell() for k in kinds})[kind]

    rates = [50, 150, 300] if not args.quick else [50, 300]
    async with emulator_process() as emu:
        for run in range(args.runs):
            order = kinds[run % len(kinds):] + kinds[:run % len(kinds)]  # each goes first once
            for kind in order:
                for mode in ("oneshot", "stream"):
                    cpu, rss, done = await cpu_per_mention(emu, kind, mode, args)
                    cell(f"CPU ms/mention, {mode}", kind).add(cpu)
                    cell(f"peak RSS MB ({mode})", kind).add(rss)
                    print(f"run {run + 1} {kind} {mode}: {cpu:.2f} ms/mention, "
                          f"{rss:.0f} MB, {done}/{args.mentions} replies", flush=True)
                    # botkit paces its calls at Slack's limits, so its burst spreads over
                    # seconds (and costs more CPU: work done in many small wake-ups); the
                    # others do not pace, so their burst row is also their unpaced one
                    if kind == "botkit":
                        cpu, _, done = await cpu_per_mention(emu, kind, mode, args,
                                                             unpaced=True)
                    cell(f"CPU ms/mention, {mode}, burst unpaced", kind).add(cpu)
                    print(f"run {run + 1} {kind} {mode} unpaced: {cpu:.2f} ms/mention, "
                          f"{done} replies", flush=True)
                    if args.steady_mentions:
                        cpu, done = await cpu_steady(emu, kind, mode, args)
                        cell(f"CPU ms/mention, {mode}, steady {args.steady_rate:g}/s",
                             kind).add(cpu)
                        print(f"run {run + 1} {kind} {mode} at {args.steady_rate:g}/s: "
                              f"{cpu:.2f} ms/mention, {done} replies", flush=True)
            helpdesk = await helpdesk_figures(emu, args)  # the example app, as users run it
            cell("peak RSS MB, helpdesk on Slack, started", "botkit").add(helpdesk.started_mb)
            cell(f"peak RSS MB, helpdesk on Slack, {args.mentions} mentions",
                 "botkit").add(helpdesk.peak_mb)
            cell("helpdesk CPU ms/mention (paced, streamed greeting)",
                 "botkit").add(helpdesk.cpu_ms)
            print(f"run {run + 1} helpdesk: {helpdesk.started_mb:.1f} MB started, "
                  f"{helpdesk.peak_mb:.1f} MB peak, {helpdesk.cpu_ms:.2f} ms/mention, "
                  f"{helpdesk.replies} replies", flush=True)
            if args.cpu_only:
                continue
            for kind in order:
                for rate in rates:
                    p50, p99 = await ack_latency(emu, kind, rate, args)
                    cell(f"ack p50 ms @ {rate}/s", kind).add(p50)
                    cell(f"ack p99 ms @ {rate}/s", kind).add(p99)
                    print(f"run {run + 1} {kind} acks @ {rate}/s: p50 {p50:.1f} ms, "
                          f"p99 {p99:.1f} ms", flush=True)
            for kind in order:
                took, limited, done = await under_limits(emu, kind, args)
                cell(f"limits on: s for {args.mentions} replies", kind).add(took)
                cell("limits on: 429s", kind).add(limited)
                cell("limits on: replies delivered", kind).add(done)
                latency = await first_text(emu, kind, args)
                cell("first text of a slow stream, s", kind).add(latency)
                print(f"run {run + 1} {kind} limits: {took:.2f} s, {limited} x 429, "
                      f"{done} replies; first text {latency:.2f} s", flush=True)
    for row in [r for r in table if r.startswith("CPU ms/mention")]:
        cpu = table[row]
        name = row.replace("CPU ms/mention", "CPU ratio to Bolt")
        ratio = table.setdefault(name, {k: Cell() for k in kinds})
        for kind in kinds:  # run by run: each against the Bolt run next to it
            for a, b in zip(cpu[kind].values, cpu["bolt"].values, strict=True):
                ratio[kind].add(a / b)
    extra: list[tuple[str, str]] = []
    if not args.no_core and not args.cpu_only:
        extra = await core_figures(args)
    print(f"\n{args.runs} runs each, alternating; ranges are min–max over the runs "
          f"({args.mentions} mentions over {args.channels} channels).")
    print_table(table, extra, kinds)


async def core_figures(args: argparse.Namespace) -> list[tuple[str, str]]:
    """botkit-only figures from ``bench_core_scale``, ``bench_history`` and ``bench_inbox``
    (the ack latencies with the durable inbox on; each in its own process, one row per
    figure)."""
    rows = []
    bench = HERE.parent.parent.parent / "bench"
    for script, *more in ((bench / "bench_core_scale.py",), (HERE / "bench_history.py",),
                          (bench / "bench_inbox.py", "--seconds", str(args.ack_seconds))):
        child = await asyncio.create_subprocess_exec(
            sys.executable, str(script), "--table", *more, stdout=asyncio.subprocess.PIPE)
        out, _ = await child.communicate()
        for line in out.decode().splitlines():
            if line.startswith("ROW\t"):
                _, name, value = line.split("\t", 2)
                rows.append((name, value))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mentions", type=int, default=100)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--ack-seconds", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--quick", action="store_true", help="fewer rates (a smoke run)")
    parser.add_argument("--no-core", action="store_true", help="skip the in-process figures")
    parser.add_argument("--no-chatsdk", action="store_true", help="leave chat-sdk out")
    parser.add_argument("--steady-rate", type=float, default=5.0)
    parser.add_argument("--steady-mentions", type=int, default=50,
                        help="mentions at --steady-rate for the steady CPU rows (0: none)")
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the CPU and RSS rows (the quickest comparison)")
    args = parser.parse_args()
    asyncio.run(main_async(args))



if __name__ == "__main__":
    main()
