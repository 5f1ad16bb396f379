"""The console reads stdin without a blocking thread, so Ctrl-C works at the prompt."""

from __future__ import annotations

import asyncio
import io
import os
import pty
import signal
import subprocess
import sys
import threading
from pathlib import Path

from botkit_console.lines import LineReader

ROOT = Path(__file__).resolve().parents[2]


async def test_lines_from_a_pipe_arrive_one_at_a_time_then_eof() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, "first\nsecond\r\nthird ünïcode\n".encode())
    os.close(write_end)
    with os.fdopen(read_end) as stream:
        reader = LineReader(stream)
        got = [await reader.readline() for _ in range(4)]
    assert got == ["first", "second", "third ünïcode", None]


async def test_waiting_for_a_line_holds_no_thread() -> None:
    # A readline in a worker thread cannot be cancelled: that thread is what kept Ctrl-C
    # from stopping the console until Enter was pressed.
    read_end, write_end = os.pipe()
    stream = os.fdopen(read_end)
    threads_before = threading.active_count()
    waiting = asyncio.create_task(LineReader(stream).readline())
    try:
        await asyncio.sleep(0)  # the reader is now waiting for input
        threads_now = threading.active_count()
    finally:
        os.close(write_end)  # end of input: a thread stuck in readline would return too
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
        stream.close()
    assert threads_now == threads_before


async def test_streams_without_a_descriptor_still_work() -> None:
    reader = LineReader(io.StringIO("a\nb"))
    assert [await reader.readline() for _ in range(3)] == ["a", "b", None]


def test_ctrl_c_at_the_prompt_stops_the_console_bot(tmp_path: Path) -> None:
    # A person at a terminal: once the prompt shows, the bot waits for input. A readline
    # blocked in a worker thread would keep the process alive after Ctrl-C (until Enter).
    main, terminal = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "botkit", "run", "examples/hello.py", "--data-dir",
         str(tmp_path)], cwd=ROOT, stdin=terminal, stdout=terminal, stderr=terminal,
    ) as proc:
        try:
            os.write(main, b"hi\r")
            seen = b""
            while b"You said: hi" not in seen or not seen.rstrip().endswith("›".encode()):
                seen += os.read(main, 4096)  # the reply, then the next prompt
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=20) in (0, -signal.SIGINT, 130)
        finally:
            proc.kill()
            os.close(main)
            os.close(terminal)
