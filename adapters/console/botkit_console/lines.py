"""Reading stdin one line at a time without blocking the event loop.

A ``readline`` in a worker thread cannot be interrupted: Ctrl-C would wait for Enter. On
terminals and pipes this reads the file descriptor directly when the loop says it is
readable, keeping its own buffer (so no line waits in a hidden Python buffer). Streams
without a pollable descriptor (regular files, ``io.StringIO`` in tests) fall back to a
thread, where a read never blocks for long.
"""

from __future__ import annotations

import asyncio
import os
from typing import TextIO


class LineReader:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._buffer = b""
        self._eof = False
        self._fd: int | None = None
        try:
            fd = stream.fileno()
            loop = asyncio.get_running_loop()
            loop.add_reader(fd, lambda: None)  # probe: regular files cannot be polled
            loop.remove_reader(fd)
            self._fd = fd
        except (AttributeError, OSError, ValueError, NotImplementedError):
            self._fd = None

    async def readline(self) -> str | None:
        """The next line without its newline, or None at end of input."""
        if self._fd is None:
            line = await asyncio.to_thread(self.stream.readline)
            return None if line == "" else line.rstrip("\r\n")
        while b"\n" not in self._buffer and not self._eof:
            await self._readable(self._fd)
            chunk = os.read(self._fd, 65536)
            self._eof = not chunk
            self._buffer += chunk
        if not self._buffer:
            return None
        raw, _, self._buffer = self._buffer.partition(b"\n")
        return raw.decode("utf-8", errors="replace").rstrip("\r")

    @staticmethod
    async def _readable(fd: int) -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        loop.add_reader(fd, wake)
        try:
            await ready
        finally:
            loop.remove_reader(fd)
