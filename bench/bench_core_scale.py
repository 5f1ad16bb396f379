"""botkit's core at scale, on the FakeAdapter (no platform): memory and event-loop lag.

- N concurrent streaming conversations (default 2,000, all arriving at once): each
  @-mention in its own thread streams a ~40-word agent reply over ~2 s. Prints the
  process's peak RSS and the p99 (and max) lag of a 10 ms ticker on the event loop while
  they run: first with Python's default garbage-collector settings (as a bot embedded in
  another app, started with ``bot.start()``), then with those ``Bot.serve`` sets
  (``botkit.run.fair.serving_gc``).
- M pending ``await_choice`` (default 10,000): each mention posts a card and waits for a
  click. Prints the RSS growth for them (after a garbage collection): botkit's (the fake
  platform keeps nothing in this process, each mention is dispatched in its own task as
  an adapter does), and as the first version measured it (the FakeAdapter keeping every
  card it was sent, mentions through ``emit_mention``). Then M pending ``offer_choice``
  (the handler returns; the question is a store record).

Each of the five measurements runs in a fresh process (peak RSS and memory reuse are its
own).

    scripts/dev bench bench_core_scale [--conversations 2000] [--choices 10000] [--table]
    .venv/bin/python bench/bench_core_scale.py --phase choices [--form offer|on_click] [--traced]

``--table`` prints ``ROW<TAB>name<TAB>value`` lines for ``bench_peers``' table.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Awaitable
from pathlib import Path

from botkit import (
    Conversation,
    InteractionContext,
    MessageEvent,
    MessageRef,
    TurnContext,
    create_bot,
    ui,
)
from botkit.run.fair import serving_gc
from botkit.testing import ALICE, FakeAdapter, Rule, Say, ScriptedAgent, running

ANSWER = " ".join(f"word{i}" for i in range(39)) + " END-OF-REPLY"


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


async def ticker(lags: list[float], stop: asyncio.Event, period: float = 0.01) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(period)
        lags.append(time.perf_counter() - began - period)


async def streaming(conversations: int, delay: float
                    ) -> tuple[float, float, float, float, int, float]:
    """(peak RSS MB, loop lag p99 ms, max ms, seconds, replies, CPU seconds) for concurrent
    streamed replies."""
    agent = ScriptedAgent([Rule(r".", Say(ANSWER, delay=delay))])
    bot = create_bot(name="bench", agent=agent)
    fake = FakeAdapter()
    bot.adapters = [fake]

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    lags: list[float] = []
    stop = asyncio.Event()
    async with running(bot):
        tick = asyncio.ensure_future(ticker(lags, stop))
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(fake.emit_mention("question", conversation=f"C{i % 50}:t{i}")
                               for i in range(conversations)))
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        stop.set()
        await tick
        done = sum(1 for s in fake.sent if "END-OF-REPLY" in s.text)
    return (rss_mb("VmHWM"), percentile(lags, 0.99) * 1000, max(lags) * 1000, took, done,
            cpu)


class PlatformElsewhere(FakeAdapter):
    """The FakeAdapter keeps everything the bot posted (``sent``, ``history``, the posted
    cards) in the bot's own process, for tests to read; a real platform keeps them on its
    servers. This one keeps nothing, so the RSS growth is botkit's alone."""

    async def post(self, conversation: Conversation, message: ui.Message) -> MessageRef:
        return MessageRef(id=f"m{next(POSTED)}", channel=conversation.channel)


POSTED = itertools.count(1)


async def opened(ctx: InteractionContext) -> None:
    """The ``on_answer`` / ``on_click`` of the offered cards (module-level: found again
    when a click comes after a restart)."""
    await ctx.thread.post(f"answered: {ctx.value}")


async def pending_choices(count: int, platform_keeps: bool, *, form: str = "await",
                          traced: bool = False) -> tuple[float, int]:
    """(RSS growth MB for ``count`` waiting choices, how many were waiting). With
    ``traced``: the Python memory ``tracemalloc`` traces for them instead, in bytes per
    choice (it does not depend on the machine's load or the allocator's reuse).

    Each mention is dispatched in a task of its own, as a platform adapter does
    (``bot.dispatch`` returns when the handler finished, here: after the click). With
    ``platform_keeps`` (the bench's first version) the FakeAdapter keeps what it was sent
    and each mention goes through ``emit_mention``'s frames: the figure then charges the
    fake platform's storage to botkit."""
    bot = create_bot(name="bench")
    fake = FakeAdapter() if platform_keeps else PlatformElsewhere()
    bot.adapters = [fake]
    waiting = 0
    target = 1
    reached = asyncio.Event()

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        nonlocal waiting
        if form == "offer":  # the question is a store record: the handler ends here
            await ctx.thread.offer_choice(
                ui.Message(ui.Section("Open a ticket?"),
                           ui.Actions(ui.Button("Open it", value=True, style="primary"),
                                      ui.Button("Cancel", value=False))),
                opened, timeout=3600)
            waiting += 1
            if waiting == target:
                reached.set()
            return
        if form == "on_click":  # the handler ends here too
            await ctx.thread.post(ui.Message(
                ui.Section("Open a ticket?"),
                ui.Actions(ui.Button("Open it", value=True, style="primary", on_click=opened),
                           ui.Button("Cancel", value=False, on_click=opened))))
            waiting += 1
            if waiting == target:
                reached.set()
            return
        card = ui.Message(ui.Section("Open a ticket?"),
                          ui.Actions(ui.Button("Open it", value=True, style="primary"),
                                     ui.Button("Cancel", value=False)))
        waiting += 1
        if waiting == target:
            reached.set()
        await ctx.thread.await_choice(card, timeout=3600)

    def mention(text: str, conversation: str) -> Awaitable[object]:
        if platform_keeps:
            return fake.emit_mention(text, conversation=conversation)
        channel, _, thread = conversation.partition(":")
        ref = MessageRef(id=f"u{next(POSTED)}", channel=channel)
        return bot.dispatch(MessageEvent(
            platform=fake.platform, event_id=f"ev-{ref.id}", user=ALICE, text=text, ref=ref,
            conversation=Conversation(id=conversation, channel=channel, thread=thread),
            mentioned=True))

    async with running(bot):
        # one first (imports, first-use caches), then the many
        tasks = [asyncio.ensure_future(mention("warm up", "CW:tw"))]
        await asyncio.wait_for(reached.wait(), 60)
        for _ in range(20):
            await asyncio.sleep(0)
        gc.collect()
        if traced:
            tracemalloc.start()
        before = rss_mb()
        reached.clear()
        target = count + 1
        tasks += [asyncio.ensure_future(mention("q", f"C{i % 50}:t{i}")) for i in range(count)]
        await asyncio.wait_for(reached.wait(), 600)
        for _ in range(20):  # each one posts its card before it waits
            await asyncio.sleep(0)
        gc.collect()
        grown = rss_mb() - before
        if traced:
            grown = tracemalloc.get_traced_memory()[0] / count
            tracemalloc.stop()
        held = waiting - 1
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return grown, held


async def phase(args: argparse.Namespace) -> dict[str, float]:
    """One measurement, in this process (``main`` runs each in a fresh one)."""
    if args.phase in ("choices", "choices-kept"):
        grown, held = await pending_choices(args.choices, args.phase == "choices-kept",
                                            form=args.form, traced=args.traced)
        return {"grown": grown, "held": held}
    if args.phase == "serving":
        serving_gc()
    rss, lag, worst, took, done, cpu = await streaming(args.conversations, args.word_delay)
    return {"rss": rss, "lag": lag, "worst": worst, "took": took, "done": done, "cpu": cpu}


def run_phase(args: argparse.Namespace, name: str, form: str = "await") -> dict[str, float]:
    """``name`` measured in a fresh process, so peak RSS and memory reuse are its own."""
    command = [sys.executable, __file__, "--phase", name, "--conversations",
               str(args.conversations), "--choices", str(args.choices), "--word-delay",
               str(args.word_delay), "--form", form]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=2000)
    parser.add_argument("--choices", type=int, default=10_000)
    parser.add_argument("--word-delay", type=float, default=0.05)
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--form", choices=["await", "offer", "on_click"], default="await",
                        help="choices phase: await_choice; offer_choice; or a card whose "
                        "buttons have an on_click (the last two: the handler returns)")
    parser.add_argument("--phase", choices=["choices", "choices-kept", "default", "serving"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true",
                        help="choices phase: bytes tracemalloc traces per waiting choice "
                        "(in place of the RSS growth)")
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(asyncio.run(phase(args))))
        return
    plain, served, choices, kept = (run_phase(args, name) for name in
                                    ("default", "serving", "choices", "choices-kept"))
    offered = run_phase(args, "choices", "offer")
    n = args.conversations
    rows = [
        (f"{n} streaming conversations: peak RSS MB", f"{plain['rss']:.0f}"),
        (f"{n} streaming conversations: loop lag p99 / max ms",
         f"{plain['lag']:.1f} / {plain['worst']:.0f}"),
        ("… with Bot.serve's collector settings: p99 / max ms",
         f"{served['lag']:.1f} / {served['worst']:.0f}"),
        ("… CPU ms per conversation (default / Bot.serve's collector)",
         f"{plain['cpu'] * 1000 / n:.2f} / {served['cpu'] * 1000 / n:.2f}"),
        (f"{args.choices} pending await_choice: RSS growth MB", f"{choices['grown']:.1f}"),
        ("… the fake platform's storage charged too (first version)",
         f"{kept['grown']:.1f}"),
        (f"{args.choices} pending offer_choice: RSS growth MB", f"{offered['grown']:.1f}"),
    ]
    if args.table:
        for name, value in rows:
            print(f"ROW\t{name}\t{value}")
        return
    print(f"{plain['done']:.0f}/{n} streamed replies in {plain['took']:.1f} s "
          f"({served['took']:.1f} s with Bot.serve's collector settings); "
          f"{choices['held']:.0f} choices waiting")
    for name, value in rows:
        print(f"{name:55} {value:>12}")


if __name__ == "__main__":
    main()
