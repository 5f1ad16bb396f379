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
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from bench_table import KINDS, Cell, Table, contenders, print_table

HERE = Path(__file__).resolve().parent
BOTS = HERE / "peer_bots.py"
END = "END-OF-REPLY"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- processes ------------------------------------------------------------------------------
@dataclass
class Emulator:
    url: str
    api: str
    token: str
    secret: str
    bot_user: str
    session: aiohttp.ClientSession

    async def control(self, method: str, name: str, body: Any = None, **query: Any) -> Any:
        async with self.session.request(method, f"{self.url}_emulator/{name}", json=body,
                                        params=query or None) as response:
            return await response.json()


@contextlib.asynccontextmanager
async def emulator_process() -> AsyncIterator[Emulator]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botkit_slack.emulator", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert child.stdout is not None
    try:
        found: dict[str, str] = {}
        while "SLACK_SIGNING_SECRET" not in found:
            line = (await asyncio.wait_for(child.stdout.readline(), 30)).decode()
            if not line:
                raise RuntimeError("the emulator did not start")
            if "export " in line and "=" in line:
                key, value = line.strip().removeprefix("export ").split("=", 1)
                found[key] = value
        api = found["SLACK_API_URL"]
        connector = aiohttp.TCPConnector(limit=64)
        async with aiohttp.ClientSession(connector=connector,
                                         timeout=aiohttp.ClientTimeout(total=600)) as session:
            root = api.split("/api/")[0] + "/"
            info = await (await session.get(root + "_emulator/")).json()
            yield Emulator(url=root, api=api, token=found["SLACK_BOT_TOKEN"],
                           secret=found["SLACK_SIGNING_SECRET"],
                           bot_user=info.get("bot_user_id", "U0EMUBOT01"), session=session)
    finally:
        child.terminate()
        await child.wait()


@dataclass
class Bot:
    kind: str
    process: asyncio.subprocess.Process
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.asynccontextmanager
async def bot_process(emu: Emulator, kind: str, mode: str,
                      word_delay: float = 0.0, *, unpaced: bool = False) -> AsyncIterator[Bot]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(BOTS), kind, mode, "--api", emu.api, "--token", emu.token,
        "--secret", emu.secret, "--word-delay", str(word_delay),
        *(["--unpaced"] if unpaced else []),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        line = (await asyncio.wait_for(child.stdout.readline(), 60)).decode()
        if not line.startswith("PORT="):
            raise RuntimeError(f"the {kind} bot did not start")
        port = int(line.strip().split("=", 1)[1])
        await emu.control("POST", "events_to", {"url": f"http://127.0.0.1:{port}/slack/events"})
        yield Bot(kind, child, port)
    finally:
        child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 10)
        except TimeoutError:
            child.kill()
            await child.wait()


async def fresh_workspace(emu: Emulator, channels: int, *, limits: bool) -> list[str]:
    await emu.control("POST", "reset")
    await emu.control("POST", "rate_limits", {"enabled": limits})
    rooms = []
    for i in range(channels):
        made = await emu.control("POST", "seed/channel",
                                 {"name": f"bench-{i}", "members": ["alice", "bob"]})
        rooms.append(made["id"])
    return rooms


async def mention(emu: Emulator, room: str, i: int) -> dict[str, Any]:
    return await emu.control("POST", "user_says", {
        "user": "alice" if i % 2 else "bob", "text": f"<@{emu.bot_user}> question {i}",
        "channel": room})  # type: ignore[no-any-return]


async def replied(emu: Emulator, asked: dict[str, Any], timeout: float) -> float | None:
    """When the reply to ``asked`` was complete (monotonic), or None."""
    answer = await emu.control("POST", "wait_for_message", {
        "channel": asked["channel"], "thread_ts": asked["ts"], "text": END, "from_bot": True,
        "timeout": timeout})
    if not isinstance(answer, dict) or answer.get("ok") is False:
        return None
    while answer.get("streaming_state") == "in_progress":
        await asyncio.sleep(0.02)
        msgs = await emu.control("GET", "messages", channel=asked["channel"],
                                 thread_ts=asked["ts"])
        answer = next((m for m in msgs if m.get("ts") == answer.get("ts")), answer)
    return time.monotonic()


async def last_seq(emu: Emulator, what: str) -> int:
    records = await emu.control("GET", what)
    return max((r["seq"] for r in records), default=0)


# -- scenarios ------------------------------------------------------------------------------
async def burst(emu: Emulator, rooms: list[str], mentions: int,
                timeout: float) -> tuple[float, int]:
    """``mentions`` at once over ``rooms``: (seconds until all replied, replies)."""
    started = time.monotonic()
    asks = await asyncio.gather(*(mention(emu, rooms[i % len(rooms)], i)
                                  for i in range(mentions)))
    done = await asyncio.gather(*(replied(emu, a, timeout) for a in asks))
    finished = [d for d in done if d is not None]
    return (max(finished) - started if finished else float("nan")), len(finished)


async def cpu_per_mention(emu: Emulator, kind: str, mode: str, args: argparse.Namespace,
                          *, unpaced: bool = False) -> tuple[float, float, int]:
    """(CPU ms per mention, peak RSS MB, replies): ``--mentions`` at once."""
    rooms = await fresh_workspace(emu, args.channels, limits=False)
    async with bot_process(emu, kind, mode, unpaced=unpaced) as bot:
        await burst(emu, rooms, 10, args.timeout)  # warm up (imports, pools, caches)
        before = cpu_seconds(bot.pid)
        _, done = await burst(emu, rooms, args.mentions, args.timeout)
        used = cpu_seconds(bot.pid) - before
        return used * 1000 / args.mentions, peak_rss_mb(bot.pid), done


async def cpu_steady(emu: Emulator, kind: str, mode: str, args: argparse.Namespace
                     ) -> tuple[float, int]:
    """(CPU ms per mention, replies): ``--steady-mentions`` arriving at ``--steady-rate``
    per second, within Slack's limits (no bot waits on pacing), as traffic usually comes."""
    rooms = await fresh_workspace(emu, args.channels, limits=False)
    async with bot_process(emu, kind, mode) as bot:
        await burst(emu, rooms, 10, args.timeout)
        before = cpu_seconds(bot.pid)
        started, asks = time.monotonic(), []
        for i in range(args.steady_mentions):
            delay = started + i / args.steady_rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            asks.append(asyncio.ensure_future(mention(emu, rooms[i % len(rooms)], i)))
        asked = await asyncio.gather(*asks)
        done = await asyncio.gather(*(replied(emu, a, args.timeout) for a in asked))
        used = cpu_seconds(bot.pid) - before
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
    """botkit-only figures from ``bench_core_scale`` and ``bench_history`` (each in its own
    process, one row per figure)."""
    rows = []
    for script in (HERE.parent.parent.parent / "bench" / "bench_core_scale.py",
                   HERE / "bench_history.py"):
        child = await asyncio.create_subprocess_exec(
            sys.executable, str(script), "--table", stdout=asyncio.subprocess.PIPE)
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
