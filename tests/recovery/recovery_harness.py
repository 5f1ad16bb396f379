"""Bot processes (``recovery_app.py``) against one in-process Slack emulator: start, stop,
kill, send many mentions, and count what was answered. Shared by the recovery tests and
``bench/bench_inbox.py``."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botkit_slack.emulator import EmulatorConfig, RateLimits, SlackEmulator

ROOT = Path(__file__).resolve().parents[2]
APP = Path(__file__).resolve().parent / "recovery_app.py"
APOLOGY = "waited too long"
CLOSED = "Interrupted: the bot is restarting"
ANSWER = re.compile(r"^answer #(\d+)\b")


def emulator_config() -> EmulatorConfig:
    return EmulatorConfig.fast(rate_limits=RateLimits().scaled(200))


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    log: Path

    def logged(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def stop(self, *, kill: bool = False, timeout: float = 60) -> int:
        if self.process.returncode is None:
            self.process.kill() if kill else self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), timeout)


async def start_bot(slack: SlackEmulator, store: str, log: Path, *extra: str) -> BotProcess:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SLACK_BOT_TOKEN": slack.bot_token,
           "SLACK_APP_TOKEN": slack.app_token}
    with log.open("w") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(APP), "--api", slack.base_url, "--store", store, *extra,
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=err)
    bot = BotProcess(process, log)
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
    if not line.startswith("READY"):
        raise AssertionError(f"the bot did not start:\n{bot.logged()}")
    return bot


@dataclass
class Tally:
    """What became of each mention (by number): its bot messages in its thread."""

    asked: dict[int, str] = field(default_factory=dict)  # number -> thread ts

    def replies(self, slack: SlackEmulator, n: int) -> list[dict[str, Any]]:
        return [m for m in slack.messages(slack.general, self.asked[n])
                if m.get("bot_id") == slack.bot_id]

    def replies_begun(self, slack: SlackEmulator) -> int:
        return sum(1 for n in self.asked if self.replies(slack, n))

    def outcome(self, slack: SlackEmulator) -> dict[str, int]:
        answered = duplicated = apologised = lost = streaming = closed = 0
        for n in self.asked:
            replies = self.replies(slack, n)
            done = [m for m in replies if m.get("streaming_state", "completed") == "completed"]
            answers = [m for m in done if ANSWER.match(str(m.get("text") or ""))
                       and CLOSED not in str(m.get("text"))]
            closed += sum(1 for m in done if CLOSED in str(m.get("text")))
            sorry = [m for m in done if APOLOGY in str(m.get("text") or "")]
            streaming += len(replies) - len(done)
            if answers:
                answered += 1
                duplicated += len(answers) - 1
            elif sorry:
                apologised += 1
            else:
                lost += 1
        return {"asked": len(self.asked), "answered": answered, "duplicated": duplicated,
                "apologised": apologised, "lost": lost, "left_streaming": streaming,
                "closed_with_notice": closed}

    def settled(self, slack: SlackEmulator) -> bool:
        o = self.outcome(slack)
        return o["answered"] + o["apologised"] == o["asked"]


async def ask_many(slack: SlackEmulator, count: int, *, start: int = 0,
                   per_second: float | None = None) -> Tally:
    """``count`` mentions, each opening its own thread (paced when ``per_second``)."""
    tally = Tally()
    at_bot = f"<@{slack.bot_user_id}>"
    began = time.monotonic()
    for i in range(start, start + count):
        if per_second:
            await asyncio.sleep(max(0.0, began + (i - start) / per_second - time.monotonic()))
        posted = await slack.user_says("alice", f"{at_bot} ask #{i}", slack.general)
        tally.asked[i] = posted["ts"]
    return tally


def acked_mentions(slack: SlackEmulator) -> int:
    """Mentions Slack saw acknowledged (any attempt): it will never send those again."""
    seen = set()
    for d in slack.deliveries:
        event = (d.payload or {}).get("event") or {}
        if d.acked and event.get("type") == "app_mention":
            seen.add(d.event_id)
    return len(seen)


async def until(predicate: Any, timeout: float, what: str, *, progress: Any = None) -> None:
    """Poll ``predicate``; give up after ``timeout`` seconds (without ``progress``) or
    after ``timeout`` seconds in which ``progress()`` did not change."""
    deadline = time.monotonic() + timeout
    last = progress() if progress else None
    while not predicate():
        if progress is not None and (now := progress()) != last:
            last, deadline = now, time.monotonic() + timeout
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05 if progress is None else 0.5)
