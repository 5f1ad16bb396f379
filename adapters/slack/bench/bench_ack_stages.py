"""Where an inbox ack's time goes: stage timestamps per envelope (a diagnostic, not a figure
for the table).

Runs ``bench_inbox``'s ack-latency setup once (the ``tests/recovery`` bot in Socket Mode,
the emulator in this process) with the bot's stages stamped on the wall clock, which both
processes share: the lane reads the frame (``recv``), its handler starts (``handle``), the
store write is submitted / answered (``write`` / ``written``), the ack goes out / is
written (``ack`` / ``sent``); then the emulator's side (``emulator``: the rest). Prints the
p50/p99 of each stage, the worst envelopes with the collections (``gc.callbacks``) around
them, and each bot thread's CPU time.

    .venv/bin/python adapters/slack/bench/bench_ack_stages.py [--store sqlite|redis] [--rate 300]
        [--seconds 3] [--worst 8]

It wraps slack_sdk's and botkit's functions in the bot process (``--bot`` mode, which
``start_bot`` runs): a tool for finding outliers, not a measurement to compare runs by.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT / "tests" / "recovery"))
STAGES = ("recv", "handle", "write", "started", "ended", "written", "ack", "sent")


# -- the bot process -----------------------------------------------------------------
def serve_stamped(out: str) -> None:
    """The recovery bot with its stages stamped into ``out`` (JSON lines)."""
    from slack_sdk.socket_mode.aiohttp import SocketModeClient

    from botkit_slack.ingress import lane

    stamps: list[Any] = []
    collected: list[Any] = []
    began = [0.0]

    def stamp(stage: str, key: Any) -> None:
        stamps.append((stage, key, time.time()))

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            collected.append((info["generation"], time.time(),
                              (time.perf_counter() - began[0]) * 1000,
                              threading.current_thread().name))
    gc.callbacks.append(on_gc)

    def dump() -> None:  # the bot is killed: write as it goes
        with open(out, "w") as f:
            while True:
                time.sleep(0.2)
                for kind, rows in (("s", stamps), ("gc", collected)):
                    n = len(rows)
                    for row in rows[:n]:
                        f.write(json.dumps([kind, *row]) + "\n")
                    del rows[:n]
                f.flush()
    threading.Thread(target=dump, daemon=True).start()

    enqueue, respond = SocketModeClient.enqueue_message, SocketModeClient.send_socket_mode_response

    async def enqueue_message(self: Any, message: str) -> None:
        i = message.find('"envelope_id": "')
        if i >= 0:
            stamp("recv", message[i + 16:message.index('"', i + 16)])
        await enqueue(self, message)

    async def send_socket_mode_response(self: Any, response: Any) -> None:
        stamp("ack", response.envelope_id)
        await respond(self, response)
        stamp("sent", response.envelope_id)
    SocketModeClient.enqueue_message = enqueue_message  # type: ignore[method-assign]
    SocketModeClient.send_socket_mode_response = send_socket_mode_response  # type: ignore

    handle, admit = lane.AckLane._handle, lane.DirectIntake.admit

    async def stamped_handle(self: Any, client: Any, req: Any) -> None:
        stamp("handle", req.envelope_id)
        token = ENVELOPE.set(req.envelope_id)
        try:
            await handle(self, client, req)
        finally:
            ENVELOPE.reset(token)

    async def stamped_admit(self: Any, body: Any, retry: int = 0) -> None:
        stamp("write", ENVELOPE.get())
        await admit(self, body, retry)
        stamp("written", ENVELOPE.get())
    lane.AckLane._handle = stamped_handle  # type: ignore[method-assign]
    stamp_store_jobs(stamp)
    lane.DirectIntake.admit = stamped_admit  # type: ignore[method-assign]

    import recovery_app
    recovery_app.main()


ENVELOPE: Any = None


def stamp_store_jobs(stamp: Any) -> None:
    """SQLite: the ack path's job starts / ends on the store's thread (``started`` /
    ``ended``), stamped by the envelope that submitted it."""
    from botkit.store import sqlite_worker

    submit = sqlite_worker.Worker.submit

    def stamped_submit(self: Any, fn: Any, *, urgent: bool = False) -> Any:
        key = ENVELOPE.get()
        if not urgent or key is None:
            return submit(self, fn, urgent=urgent)

        def job() -> Any:
            stamp("started", key)
            try:
                return fn()
            finally:
                stamp("ended", key)
        return submit(self, job, urgent=True)
    sqlite_worker.Worker.submit = stamped_submit  # type: ignore[method-assign]


# -- the driver ------------------------------------------------------------------------
async def run(args: argparse.Namespace, folder: Path, out: Path) -> None:
    import recovery_harness as harness

    from botkit_slack.emulator import SlackEmulator

    acks: list[tuple[str, float, float]] = []
    async with SlackEmulator(config=harness.emulator_config()) as slack:
        def listen(kind: str, obj: Any) -> None:
            event = (getattr(obj, "payload", None) or {}).get("event") or {}
            if kind == "delivery" and obj.acked and event.get("type") == "app_mention":
                acks.append((obj.envelope_id, obj.at, slack.core.clock.now()))
        slack.core.subscribe(listen)
        store = (f"sqlite:///{folder / 'stages.db'}" if args.store == "sqlite" else
                 f"{os.environ.get('REDIS_URL', 'redis://127.0.0.1:6379')}/0?prefix="
                 f"bench-stages-{uuid.uuid4().hex[:8]}:")
        harness.APP = HERE
        os.environ["ACK_STAGES_OUT"] = str(out)
        bot = await harness.start_bot(slack, store, folder / "bot.log", "--turn-seconds", "0.1")
        try:
            await slack.wait_for_socket()
            await harness.ask_many(slack, round(args.rate * args.seconds), per_second=args.rate)
            with contextlib.suppress(TimeoutError, AssertionError):
                await slack.drain(timeout=60)
            await asyncio.sleep(0.5)  # the last stamps written
            threads(bot.process.pid)
        finally:
            await bot.stop(kill=True)
    report(acks, out, args.worst)


def threads(pid: int) -> None:
    for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        print(f"thread {task.name}: user {int(fields[11]) * 1000 // tick} ms, "
              f"system {int(fields[12]) * 1000 // tick} ms")


def report(acks: list[tuple[str, float, float]], out: Path, worst: int) -> None:
    at: dict[tuple[str, str], float] = {}
    collections: list[list[Any]] = []
    for line in out.read_text().splitlines():
        row = json.loads(line)
        if row[0] == "gc":
            collections.append(row[1:])
        else:
            at.setdefault((row[1], row[2]), row[3])
    spans: dict[str, list[float]] = {s: [] for s in (*STAGES, "emulator")}
    rows = []
    for envelope, sent, done in acks:
        previous, cells = sent, []
        for stage in STAGES:
            t = at.get((stage, envelope))
            cells.append(t)
            if t is not None:
                spans[stage].append((t - previous) * 1000)
                previous = t
        spans["emulator"].append((done - previous) * 1000)
        rows.append(((done - sent) * 1000, sent, cells, done))
    total = sorted(r[0] for r in rows)
    cuts = statistics.quantiles(total, n=100)
    print(f"{len(total)} acks: p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms, max {total[-1]:.1f}")
    print("stage (time since the one before): p50 / p99 / max ms")
    for stage, values in spans.items():
        if len(values) > 1:
            q = statistics.quantiles(values, n=100)
            print(f"  {stage:8} {q[49]:6.2f} / {q[98]:6.2f} / {max(values):6.1f}")
    print(f"worst {worst}, ms after the emulator sent: {' '.join(STAGES)} acked; "
          "collections ≥ 1 ms around them (generation:ms@when)")
    for ms, sent, cells, done in sorted(rows)[-worst:]:
        shown = " ".join("-" if t is None else f"{(t - sent) * 1000:.1f}" for t in cells)
        near = [f"{g}:{d:.0f}@{(t - sent) * 1000:.0f}({name[:12]})"
                for g, t, d, name in collections if sent - 0.1 < t < done and d >= 1]
        print(f"  {ms:7.1f}: {shown} {(done - sent) * 1000:.1f}  {' '.join(near)}")


def main() -> None:
    global ENVELOPE
    if "--api" in sys.argv:  # started by ``start_bot``: this is the bot
        import contextvars
        ENVELOPE = contextvars.ContextVar("envelope", default=None)
        serve_stamped(os.environ["ACK_STAGES_OUT"])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", choices=("sqlite", "redis"), default="sqlite")
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--worst", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp), Path(tmp) / "stages.jsonl"))


if __name__ == "__main__":
    main()
