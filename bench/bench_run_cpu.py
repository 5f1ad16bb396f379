"""CPU of botkit's in-process run path per mention (no platform): the FakeAdapter, a
scripted agent answering each @-mention with 40 words in one reply, run by
``thread.run_agent()`` with the memory store (checkpoints, thread events, run records).

It prints CPU ms per mention over ``--mentions`` (process time, after a warm-up), several
rounds and their best; with ``--callgrind`` (valgrind installed) it also prints the machine
instructions per mention: the process runs twice under callgrind, with ``--mentions`` and
with twice as many, and the difference is divided by the extra mentions (start-up, imports
and warm-up cancel out). Instruction counts barely move with the machine's load, so they
compare branches better than times do.

    scripts/dev bench bench_run_cpu [--mentions 300] [--rounds 5] [--concurrency 10]
        [--callgrind]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from botkit import TurnContext, create_bot
from botkit.testing import FakeAdapter, Rule, Say, ScriptedAgent, running

ANSWER = " ".join(f"word{i}" for i in range(39)) + " END-OF-REPLY"


async def mentions(count: int, rounds: int, concurrency: int) -> list[float]:
    """CPU ms per mention, one figure per round of ``count`` mentions."""
    adapter = FakeAdapter()
    bot = create_bot(name="bench", agent=ScriptedAgent([Rule(r".", Say(ANSWER))]),
                     adapters=[adapter])

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    serial = 0

    async def burst(n: int) -> None:
        nonlocal serial
        for start in range(0, n, concurrency):
            batch = range(serial + start, serial + min(n, start + concurrency))
            await asyncio.gather(*(adapter.emit_mention(f"question {i}",
                                                        conversation=f"C{i % 10}:t{i}")
                                   for i in batch))
        serial += n
        adapter.sent.clear()
        adapter.history.clear()

    figures = []
    async with running(bot):
        await burst(20)  # warm up: imports, caches
        for _ in range(rounds):
            before = time.process_time()
            await burst(count)
            figures.append((time.process_time() - before) * 1000 / count)
    return figures


def instructions(count: int, concurrency: int) -> int:
    """Instructions of this process under callgrind for ``count`` mentions (one round)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--mentions", str(count), "--rounds", "1",
             "--concurrency", str(concurrency)],
            capture_output=True, text=True, check=True)
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if found is None:
        raise RuntimeError("callgrind printed no instruction count")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--callgrind", action="store_true",
                        help="also count instructions per mention under valgrind")
    args = parser.parse_args()
    figures = asyncio.run(mentions(args.mentions, args.rounds, args.concurrency))
    print(f"CPU ms/mention over {args.mentions} mentions, {len(figures)} rounds: best "
          f"{min(figures):.3f}, " + " ".join(f"{f:.3f}" for f in figures), flush=True)
    if args.callgrind:
        if shutil.which("valgrind") is None:
            print("valgrind is not installed: no instruction counts")
            return
        small, large = args.mentions // 2, args.mentions
        per = (instructions(large, args.concurrency) - instructions(small, args.concurrency))
        print(f"instructions/mention (callgrind, {large} vs {small} mentions): "
              f"{per / (large - small) / 1e6:.2f} M")


if __name__ == "__main__":
    main()
