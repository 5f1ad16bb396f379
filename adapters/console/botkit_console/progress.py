"""Showing that the bot is working: a spinner on a terminal, plain lines when piped.

``Screen`` is the stream the console writes to. On a terminal it can draw a spinner on
the current line (``spin``); whatever is written next replaces it, so the spinner never
mixes with the conversation. Nothing is animated unless the output is a terminal.
"""

from __future__ import annotations

import asyncio
import io
from typing import TYPE_CHECKING, TextIO

from botkit.adapter import ToolProgress

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["FRAMES", "Screen", "tool_row"]

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
FRAME_SECONDS = 0.08
_CLEAR_LINE = "\r\x1b[2K"
MAX_ERROR = 200


class Screen(io.TextIOBase):
    def __init__(self, stream: TextIO, *, animate: bool) -> None:
        super().__init__()
        self.stream = stream
        self.animate = animate
        self.muted = False
        """Set once the person left: nothing more is shown."""
        self._label = ""
        self._frame = 0
        self._timer: asyncio.TimerHandle | None = None

    # -- the stream ----------------------------------------------------------------------
    def write(self, text: str) -> int:
        if self.muted:
            return len(text)
        self.still()
        return self.stream.write(text)

    def flush(self) -> None:
        if not self.muted and not self.stream.closed:
            self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    # -- the spinner ---------------------------------------------------------------------
    @property
    def spinning(self) -> bool:
        return self._timer is not None

    def spin(self, label: str) -> None:
        """Show ``label`` after a spinner until the next write (on a terminal only; the
        cursor must be at the start of a line)."""
        if not self.animate or self.muted:
            return
        self._label = label
        if self._timer is None:
            self._draw()

    def still(self) -> None:
        """Remove the spinner (if one is shown), leaving the cursor at the line start."""
        if self._timer is None:
            return
        self._timer.cancel()
        self._timer = None
        self.stream.write(_CLEAR_LINE)
        self.stream.flush()

    def mute(self) -> None:
        self.still()
        self.muted = True

    def _draw(self) -> None:
        frame = FRAMES[self._frame % len(FRAMES)]
        self._frame += 1
        self.stream.write(f"{_CLEAR_LINE}{frame} {self._label}")
        self.stream.flush()
        self._timer = asyncio.get_running_loop().call_later(FRAME_SECONDS, self._draw)


def tool_row(progress: ToolProgress) -> tuple[str, Text]:
    from rich.text import Text  # rich loads when the console first shows something

    """A tool's row, as plain text and styled: started, used, or failed with its error."""
    name = progress.name
    if not progress.done:
        return f"⚙ Using {name}…", Text.assemble(("⚙ ", "dim"), "Using ", (name, "bold"), "…")
    if progress.error is None:
        return f"✓ Used {name}", Text.assemble(("✓ ", "green"), "Used ", (name, "bold"))
    error = " ".join(progress.error.split())
    if len(error) > MAX_ERROR:
        error = error[:MAX_ERROR - 1] + "…"
    said = error if error.startswith(name) else f"{name} failed: {error}"
    return f"✗ {said}", Text.assemble(("✗ ", "red"), said)
