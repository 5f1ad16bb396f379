"""``botkit run examples/helpdesk.py --adapter slack --emulator`` driven as a person would:
through a pipe and through a pseudo-terminal, in a real subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import os
import pty
import re
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELPDESK = ROOT / "examples" / "helpdesk.py"
COMMAND = [sys.executable, "-m", "botkit", "run", str(HELPDESK), "--adapter", "slack",
           "--emulator"]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SLACK_") and k.lower() not in ("http_proxy", "https_proxy")}
    env["SKIP_SLACK_SDK_WARNING"] = "1"
    return env


async def test_piped_input_is_read_and_answered(tmp_path: Path) -> None:
    script = "\n".join([
        "my printer is broken",
        "/click 1",
        "/click 1",  # stale: the ticket card was answered
        "who is bob",
        "send the report",
    ]) + "\n"
    process = await asyncio.create_subprocess_exec(
        *COMMAND, cwd=tmp_path, env=environment(), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(script.encode()), 180)
    text = out.decode()
    assert process.returncode == 0, err.decode()[-2000:]
    assert "Type a message" not in text
    assert "Reading messages from standard input" in text
    assert "Ticket HD-101 is open" in text
    assert "! that button is no longer active" in text
    after_stale = text.split("that button is no longer active", 1)[1]
    assert "bob" in after_stale.lower()  # the session went on after the stale click
    assert "bot posted a file: helpdesk-report.csv" in text
    assert re.search(r"^bot: *$", text, re.MULTILINE) is None  # no empty bot line
    assert "botkit is thinking" in text or "is thinking" in text
    assert re.search(r"Used `[^`]+`", text)


@contextlib.asynccontextmanager
async def terminal_session(tmp_path: Path) -> AsyncIterator[tuple[int, list[str]]]:
    """The CLI on a pseudo-terminal: yields (master fd, [everything printed so far])."""
    master, slave = pty.openpty()
    process = await asyncio.create_subprocess_exec(
        *COMMAND, cwd=tmp_path, env=environment(), stdin=slave, stdout=slave, stderr=slave,
        start_new_session=True)
    os.close(slave)
    seen = [""]
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()

    def readable() -> None:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            loop.remove_reader(master)
        seen[0] += _ANSI.sub("", chunk.decode(errors="replace")).replace("\r\n", "\n")
        changed.set()

    loop.add_reader(master, readable)
    seen_box: list[str] = seen
    try:
        yield master, seen_box
    finally:
        with contextlib.suppress(OSError, ValueError):
            loop.remove_reader(master)
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        os.close(master)


async def until(seen: list[str], pattern: str, *, after: int = 0, timeout: float = 60) -> int:
    """Poll the transcript (with a deadline) until ``pattern`` appears past ``after``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = re.search(pattern, seen[0][after:])
        if found:
            return after + found.end()
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{pattern!r} not printed; transcript:\n{seen[0][-3000:]}")
        await asyncio.sleep(0.05)


async def test_terminal_session_keeps_going_and_numbers_buttons_per_card(tmp_path: Path) -> None:
    async with terminal_session(tmp_path) as (master, seen):
        at = await until(seen, "Type a message")
        os.write(master, b"my printer is broken\n")
        at = await until(seen, r"\[1\] Open it", after=at)
        os.write(master, b"/click 1\n")
        at = await until(seen, "Ticket HD-101 is open", after=at)
        os.write(master, b"/click 1\n")
        at = await until(seen, "that button is no longer active", after=at)
        os.write(master, b"reset my password\n")
        at = await until(seen, r"\[1\] Approve  \[2\] Deny", after=at)
        listing = seen[0][at - 40:]
        assert "[3]" not in listing
        assert "[4]" not in listing
        os.write(master, b"/click 2\n")
        at = await until(seen, r"(?i)password", after=at)
        os.write(master, b"who is bob\n")  # still serving after all of it
        at = await until(seen, r"is thinking", after=at)
        await until(seen, r"Used `find_colleague`", after=at)
    transcript = seen[0]
    assert transcript.count("[1] Approve  [2] Deny   (/click N)") == 1  # listed once
    assert transcript.count("[1] Open it") >= 1


@pytest.mark.parametrize("text", ["\x1b[31mred\x1b[0m"])
def test_shown_text_has_no_terminal_escapes(text: str) -> None:
    from botkit_slack.emulator.terminal_view import safe

    assert "\x1b" not in safe(text)
    assert "red" in safe(text)


def test_production_serving_does_not_load_the_emulator() -> None:
    import subprocess

    code = ("import sys, botkit_slack.serve, botkit_slack.run; "
            "print(sorted(m for m in sys.modules if 'emulator' in m))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env=environment())
    assert loaded.stdout.strip() == "[]"
    from botkit_slack import run

    assert callable(run.serve_on_emulator)
    assert callable(run.run_on_slack)
    assert callable(run.serve_on_slack)


async def test_empty_input_keeps_serving_for_curl(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        *COMMAND, cwd=tmp_path, env=environment(), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert process.stdout is not None
    printed = ""
    try:
        async with asyncio.timeout(60):
            while "serving until Ctrl-C" not in printed:
                line = await process.stdout.readline()
                assert line, printed  # the session must not end
                printed += line.decode()
        assert process.returncode is None
    finally:
        process.send_signal(signal.SIGINT)
        printed += (await asyncio.wait_for(process.stdout.read(), 20)).decode()  # to EOF
        await asyncio.wait_for(process.wait(), 20)
    assert "Type a message" not in printed


class Out:
    """A terminal stand-in that wakes waiters when something is printed."""

    def __init__(self) -> None:
        self.text = ""
        self.changed = asyncio.Event()

    def write(self, s: str) -> int:
        self.text += s
        self.changed.set()
        return len(s)

    def flush(self) -> None:
        pass

    async def until(self, pattern: str, *, after: int = 0, timeout: float = 30) -> int:
        try:
            async with asyncio.timeout(timeout):
                while not (found := re.search(pattern, self.text[after:])):
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            raise AssertionError(f"{pattern!r} not printed:\n{self.text[after:]}") from None
        return after + found.end()


async def test_click_numbers_are_those_of_the_newest_card() -> None:
    from botkit.cli import load_app
    from botkit_slack.emulator.terminal import serve_on_emulator

    out = Out()
    read_fd, write_fd = os.pipe()
    stdin, typing = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")
    ready, stop = asyncio.Event(), asyncio.Event()
    emulator: list = []

    def on_ready(slack) -> None:
        emulator.append(slack)
        ready.set()

    served = asyncio.create_task(serve_on_emulator(
        load_app(str(HELPDESK)), out=out, stdin=stdin,  # type: ignore[arg-type]
        on_ready=on_ready, stop=stop, interactive=True))
    try:
        await ready.wait()
        typing.write("my printer is broken\n")
        typing.flush()
        at = await out.until(r"\[1\] Open it  \[2\] Cancel   \(/click N\)")
        typing.write("/click 1\n")
        typing.flush()
        at = await out.until("Ticket HD-101 is open", after=at)
        typing.write("reset my password\n")
        typing.flush()
        at = await out.until(r"  \[1\] Approve  \[2\] Deny   \(/click N\)", after=at)
        assert "[3]" not in out.text
        assert "[4]" not in out.text
        typing.write("/click 1\n")  # Approve on the newest card, not the ticket's Open it
        typing.flush()
        await out.until(r"(?i)password", after=at)
        slack = emulator[0]
        clicks = [d.payload for d in slack.deliveries if d.kind == "interactive"]
        assert clicks[-1]["actions"][0]["text"]["text"] == "Approve"
        assert out.text.count("[1] Approve  [2] Deny   (/click N)") == 1
        assert out.text.count("[1] Open it  [2] Cancel   (/click N)") == 1
    finally:
        stop.set()
        await served
        typing.close()
        stdin.close()
