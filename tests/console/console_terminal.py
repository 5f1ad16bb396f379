"""Driving ``botkit run`` as a person would: through a pipe, or on a pseudo-terminal.

``Terminal`` starts the command with a pty as its stdin and stdout (so it sees a terminal
and draws what it draws there), reads what it prints as it comes, and types lines or
Ctrl-D. Output is waited for, never slept on. stderr goes to a file, read at the end.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLEARED = re.compile(r"[^\n]*\r\x1b\[2K")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "BOTKIT_")) and k not in {"NO_COLOR", "FORCE_COLOR",
                                                                    "COLUMNS", "LINES"}}
    env["TERM"] = "xterm-256color"
    return env


def run_piped(*args: str, stdin: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``botkit ARGS`` with stdin and stdout piped, to the end of its input."""
    return subprocess.run([sys.executable, "-m", "botkit", *args], input=stdin, cwd=cwd,
                          env=clean_env(), capture_output=True, text=True, timeout=120,
                          check=False)


def plain(raw: str) -> str:
    """What the terminal shows: cleared lines (``\\r`` + erase line) gone, no colours, Unix
    line ends."""
    text = CLEARED.sub("", raw.replace("\r\n", "\n"))
    return ANSI.sub("", text).replace("\r", "")


class Terminal:
    def __init__(self, *args: str, cwd: Path = ROOT, stderr: Path, columns: int = 100
                 ) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        self._stderr = stderr.open("wb")
        self.stderr_path = stderr
        self.proc = subprocess.Popen([sys.executable, "-m", "botkit", *args], cwd=cwd,
                                     env=clean_env(), stdin=slave, stdout=slave,
                                     stderr=self._stderr, start_new_session=True)
        os.close(slave)
        self.master = master
        self.raw = ""
        """Everything printed so far, escape sequences included."""
        self._seen = 0
        self._eof = False

    def __enter__(self) -> Terminal:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        self._stderr.close()

    @property
    def text(self) -> str:
        return plain(self.raw)

    def _read(self, timeout: float) -> None:
        if self._eof:
            return
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # EIO: the other side closed
            chunk = b""
        if not chunk:
            self._eof = True
            return
        self.raw += chunk.decode("utf-8", errors="replace")

    def expect(self, wanted: str, timeout: float = 60) -> str:
        """Wait until ``wanted`` shows (in the plain text, after what earlier calls found);
        returns the plain text up to and including it."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.text.find(wanted, self._seen)
            if found >= 0:
                self._seen = found + len(wanted)
                return self.text[:self._seen]
            if self._eof or time.monotonic() > deadline:
                raise AssertionError(f"{wanted!r} did not show; the terminal shows:\n"
                                     f"{self.text}\n--- stderr:\n{self.stderr()}")
            self._read(min(0.5, max(0.0, deadline - time.monotonic())))

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def end_input(self) -> None:
        """Ctrl-D at the start of a line: end of input."""
        os.write(self.master, b"\x04")

    def send_signal(self, signum: signal.Signals) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float = 60) -> int:
        """Read until the program exits; its exit status."""
        deadline = time.monotonic() + timeout
        while not self._eof and time.monotonic() < deadline:
            self._read(0.5)
            if self.proc.poll() is not None:
                self._read(0.1)
                break
        return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")
