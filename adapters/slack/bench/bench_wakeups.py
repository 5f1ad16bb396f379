"""Event-loop wake-ups per mention: botkit's paced one-shot reply next to the Bolt bot's.

The same scenario as ``bench_peers``' CPU row (``--mentions`` at once over ``--channels``
channels after a 10-mention warm-up, rate limits off in the emulator, each bot in its own
process), with the bots' loops counted (``loop_counts``, ``BENCH_LOOP_COUNTS=1``): per
mention, loop iterations, waits (the loop went idle and had to be woken), callbacks run,
timers and tasks made, the process's context switches (voluntary: a thread blocked;
involuntary: preempted) and CPU ms. The counting itself costs CPU, so read CPU from
``bench_peers``; this one says where the wake-ups are.

    scripts/dev bench bench_wakeups [--runs 2] [--mentions 100] [--channels 10]
        [--kinds botkit,bolt] [--unpaced] [--stream] [--detail N] [--trace]
        [--profile DIR] [--cpu]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

from bench_procs import (
    Bot,
    bot_process,
    burst,
    cpu_reading,
    cpu_since,
    emulator_process,
    fresh_workspace,
)


def context_switches(pid: int) -> tuple[int, int]:
    """(voluntary, involuntary) context switches of ``pid``'s threads so far."""
    vol = invol = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            text = (task / "status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in text.splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                vol += int(line.split()[1])
            elif line.startswith("nonvoluntary_ctxt_switches:"):
                invol += int(line.split()[1])
    return vol, invol


async def ask(bot: Bot, command: str, answer: str | None) -> str:
    """Send ``command`` to the bot (``peer_bots._answer_stdin``); its answer line starting
    with ``answer``."""
    stdin, stdout = bot.process.stdin, bot.process.stdout
    assert stdin is not None
    assert stdout is not None
    stdin.write(command.encode() + b"\n")
    await stdin.drain()
    while answer is not None:
        line = (await asyncio.wait_for(stdout.readline(), 30)).decode()
        if line.startswith(answer):
            return line
        if not line:
            raise RuntimeError("the bot closed its stdout")
    return ""


async def loop_counts(bot: Bot) -> dict[str, Any]:
    line = await ask(bot, "counts", "COUNTS=")
    return dict(json.loads(line.split("=", 1)[1]))


async def one_run(emu: Any, kind: str, args: argparse.Namespace) -> dict[str, float]:
    rooms = await fresh_workspace(emu, args.channels, limits=False)
    mode = "stream" if args.stream else "oneshot"
    async with bot_process(emu, kind, mode, unpaced=args.unpaced) as bot:
        await burst(emu, rooms, 10, args.timeout)  # warm up
        before, switches = await loop_counts(bot), context_switches(bot.pid)
        if args.profile:
            await ask(bot, "profile start", None)
        cpu = cpu_reading(bot.pid)
        took, done = await burst(emu, rooms, args.mentions, args.timeout)
        used = cpu_since(bot.pid, cpu)
        if args.profile:
            path = Path(args.profile) / f"{kind}-{time.strftime('%H%M%S')}.prof"
            await ask(bot, f"profile stop {path}", "PROFILED")
            print(f"{kind}: cProfile stats of the measured burst in {path}")
        after, switched = await loop_counts(bot), context_switches(bot.pid)
    for turn in after.pop("trace", []):
        print("   turn: " + " | ".join(turn))
    before.pop("trace", None)
    detail = after.pop("detail", {})
    was = before.pop("detail", {})
    if detail:
        print(f"{kind}: callbacks per mention (what ran; 'woken by': first after a wait)")
        diff = {k: (v - was.get(k, 0)) / args.mentions for k, v in detail.items()}
        for what, count in sorted(diff.items(), key=lambda kv: -kv[1])[:args.detail]:
            if count >= 0.05:
                print(f"  {count:6.2f}  {what}")
    per = {k: (after[k] - before[k]) / args.mentions for k in after}
    per["vol. switches"] = (switched[0] - switches[0]) / args.mentions
    per["invol. switches"] = (switched[1] - switches[1]) / args.mentions
    per["CPU ms"] = used * 1000 / args.mentions
    per["seconds"] = took
    per["replies"] = done
    return per


async def main_async(args: argparse.Namespace) -> None:
    # the bot processes inherit it
    # (not while profiling: the counting would show in the profile)
    os.environ["BENCH_LOOP_COUNTS"] = "" if args.profile or args.cpu else \
        "trace" if args.trace else \
        "detail" if args.detail else "1"
    kinds = args.kinds.split(",")
    rows: dict[str, dict[str, list[float]]] = {}
    async with emulator_process() as emu:
        print("load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
        for run in range(args.runs):
            for kind in kinds[run % len(kinds):] + kinds[:run % len(kinds)]:
                per = await one_run(emu, kind, args)
                print(f"run {run + 1} {kind}: " + ", ".join(
                    f"{k} {v:.2f}" for k, v in per.items()), flush=True)
                for key, value in per.items():
                    rows.setdefault(key, {}).setdefault(kind, []).append(value)
        print("load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    mode = ("stream" if args.stream else "one-shot") + (", unpaced" if args.unpaced else "")
    print(f"\n| per mention ({mode}) | " + " | ".join(kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for key, by_kind in rows.items():
        cells = []
        for kind in kinds:
            values = by_kind.get(kind, [])
            low, high = min(values), max(values)
            cells.append(f"{low:.2f}" if low == high else f"{low:.2f}–{high:.2f}")
        print(f"| {key} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--mentions", type=int, default=100)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--kinds", default="botkit,bolt")
    parser.add_argument("--unpaced", action="store_true", help="botkit: no pacing")
    parser.add_argument("--stream", action="store_true", help="streamed replies")
    parser.add_argument("--detail", type=int, default=0, metavar="N",
                        help="print the N most frequent callbacks per mention of each run")
    parser.add_argument("--cpu", action="store_true",
                        help="count nothing: only CPU, context switches and seconds")
    parser.add_argument("--profile", metavar="DIR",
                        help="cProfile (CPU time) each bot over the measured burst, into DIR")
    parser.add_argument("--trace", action="store_true",
                        help="print the callbacks of the last 300 loop turns of each run")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
