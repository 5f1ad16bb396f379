"""The helpdesk example on Slack: its peak RSS (and CPU) answering mentions, as a user runs it.

``botkit run examples/helpdesk.py --adapter slack --http 0`` in its own process, with the
emulator's tokens in ``SLACK_*`` (the helpdesk's own settings: pacing, streaming, its tools
and cards; nothing trimmed for the bench). It answers ``--mentions`` @-mentions over
``--channels`` channels at once (the default reply: its greeting); the figures are the
process's peak RSS (``VmHWM``) once started and after the mentions, and its CPU per mention.
``bench_peers`` prints them in its table; alone:

    scripts/dev bench bench_helpdesk [--runs 2] [--mentions 100] [--channels 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass

from bench_procs import (
    HERE,
    Emulator,
    burst,
    cpu_seconds,
    emulator_process,
    fresh_workspace,
    peak_rss_mb,
)

ROOT = HERE.parent.parent.parent
HELPDESK = ROOT / "examples" / "helpdesk.py"
END = "reset your password"  # the helpdesk's greeting ends "… or reset your password (…)."


@dataclass(frozen=True)
class HelpdeskFigures:
    started_mb: float  # peak RSS once serving, before any event
    peak_mb: float  # peak RSS after the mentions
    cpu_ms: float  # CPU per mention
    replies: int


@contextlib.asynccontextmanager
async def helpdesk_process(emu: Emulator) -> AsyncIterator[int]:
    """The helpdesk served on the emulator (its pid), stopped with SIGTERM as in production."""
    env = {**os.environ, "SLACK_API_URL": emu.api, "SLACK_BOT_TOKEN": emu.token,
           "SLACK_SIGNING_SECRET": emu.secret}
    env.pop("SLACK_APP_TOKEN", None)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botkit", "run", str(HELPDESK), "--adapter", "slack",
        "--http", "0", env=env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE)
    assert child.stdout is not None
    try:
        line = (await asyncio.wait_for(child.stdout.readline(), 60)).decode()
        found = re.search(r"(http://\S+/slack/events)", line)
        if found is None:
            raise RuntimeError(f"the helpdesk did not start: {line!r}")
        await emu.control("POST", "events_to", {"url": found.group(1)})
        yield child.pid
    finally:
        if child.returncode is None:
            child.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(child.wait(), 10)
        except TimeoutError:
            child.kill()
            await child.wait()


async def helpdesk_figures(emu: Emulator, args: argparse.Namespace) -> HelpdeskFigures:
    """One run: start the helpdesk, warm it up with 10 mentions, then ``--mentions``."""
    rooms = await fresh_workspace(emu, args.channels, limits=False)
    async with helpdesk_process(emu) as pid:
        started = peak_rss_mb(pid)
        await burst(emu, rooms, 10, args.timeout, END)
        before = cpu_seconds(pid)
        _, done = await burst(emu, rooms, args.mentions, args.timeout, END)
        used = cpu_seconds(pid) - before
        return HelpdeskFigures(started, peak_rss_mb(pid), used * 1000 / args.mentions, done)


async def main_async(args: argparse.Namespace) -> None:
    async with emulator_process() as emu:
        for run in range(args.runs):
            got = await helpdesk_figures(emu, args)
            print(f"run {run + 1} helpdesk: peak RSS {got.started_mb:.1f} MB started, "
                  f"{got.peak_mb:.1f} MB after {args.mentions} mentions; "
                  f"{got.cpu_ms:.2f} CPU ms/mention, {got.replies} replies", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--mentions", type=int, default=100)
    parser.add_argument("--channels", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=120.0)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
