"""What ``bench_peers`` and ``bench_helpdesk`` share: the emulator and bot processes, the
readings from /proc, and driving the emulator's workspace (channels, mentions, replies)."""

from __future__ import annotations

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

HERE = Path(__file__).resolve().parent
BOTS = HERE / "peer_bots.py"
END = "END-OF-REPLY"
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of ``pid``'s threads, to the nanosecond: the scheduler's run time of each
    (``/proc/<pid>/task/*/schedstat``), where utime + stime in ``/proc/<pid>/stat`` come in
    10 ms ticks (±0.1 ms on a 100-mention figure). A thread that exits between two readings
    would be left out; the bots keep theirs (executor, store worker) until they stop, and
    ``cpu_ticks`` still reads the process's total, dead threads included, to check."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended while we looked
    return total / 1e9


def cpu_ticks(pid: int) -> float:
    """utime + stime of the whole process (10 ms ticks), threads that ended included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_reading(pid: int) -> tuple[float, float]:
    """(``cpu_seconds``, ``cpu_ticks``) now, for ``cpu_since``."""
    return cpu_seconds(pid), cpu_ticks(pid)


def cpu_since(pid: int, before: tuple[float, float]) -> float:
    """CPU seconds ``pid`` used since ``before``: the precise figure, or the ticks when they
    show more than two ticks besides (a thread ended in between, taking its time along)."""
    precise, ticks = cpu_seconds(pid) - before[0], cpu_ticks(pid) - before[1]
    return ticks if ticks - precise > 2 / TICKS else precise


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


async def replied(emu: Emulator, asked: dict[str, Any], timeout: float,
                  end: str = END) -> float | None:
    """When the reply to ``asked`` (its last words: ``end``) was complete (monotonic), or
    None."""
    answer = await emu.control("POST", "wait_for_message", {
        "channel": asked["channel"], "thread_ts": asked["ts"], "text": end, "from_bot": True,
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


async def burst(emu: Emulator, rooms: list[str], mentions: int,
                timeout: float, end: str = END) -> tuple[float, int]:
    """``mentions`` at once over ``rooms``: (seconds until all replied, replies)."""
    started = time.monotonic()
    asks = await asyncio.gather(*(mention(emu, rooms[i % len(rooms)], i)
                                  for i in range(mentions)))
    done = await asyncio.gather(*(replied(emu, a, timeout, end) for a in asks))
    finished = [d for d in done if d is not None]
    return (max(finished) - started if finished else float("nan")), len(finished)


