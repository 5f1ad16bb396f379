"""How the console shows the conversation: rich on a terminal, plain text when piped."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from botkit.adapter import ToolProgress
from botkit.ui.nodes import Markdown, Message, Section
from botkit.ui.text import render_plain, render_rich
from botkit_console.progress import Screen, tool_row

if TYPE_CHECKING:
    from rich.console import Console


class ConsoleOutput:
    def __init__(self, stream: TextIO, *, rich: bool, animate: bool | None = None) -> None:
        self.screen = Screen(stream, animate=rich and stream.isatty() if animate is None
                             else animate)
        self.stream: TextIO = self.screen  # type: ignore[assignment]
        self.rich: Console | None = None
        if rich:  # rich loads only for a terminal (a bot served elsewhere does not carry it)
            from rich.console import Console

            self.rich = Console(file=self.stream, highlight=False)
        self._mid_line = False

    def _line(self, text: str) -> None:
        if self._mid_line:
            self.stream.write("\n")
            self._mid_line = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def banner(self, bot_name: str, transcript: Path | None, interactive: bool) -> None:
        if not interactive:
            return
        where = f" Transcript: {transcript}." if transcript else ""
        self._line(f"Talking to {bot_name}. Type a message; /quit to leave.{where}")

    def busy(self, label: str, *, announce: bool = False) -> None:
        """The bot is working: a spinner showing ``label`` on a terminal (until the next
        output); when not animated, one plain line if ``announce``."""
        if self.screen.animate:
            if not self._mid_line:
                self.screen.spin(f"{label}…")
        elif announce:
            self._line(f"  … {label}")

    def idle(self) -> None:
        self.screen.still()

    def mute(self) -> None:
        """Show nothing more (the person left)."""
        self.screen.mute()

    def break_line(self) -> None:
        """End the current line (a prompt cut short by Ctrl-C)."""
        self._mid_line = False
        self.stream.write("\n")
        self.stream.flush()

    def prompt(self, user_name: str) -> None:
        self.stream.write(f"{user_name} › ")
        self.stream.flush()

    def echo(self, user_name: str, line: str) -> None:
        """Show a line read from a pipe, so the output reads as a conversation."""
        self._line(f"{user_name} › {line}")

    def message(self, bot_name: str, message: Message, *, edited: bool = False) -> None:
        mark = " (edited)" if edited else ""
        if self.rich is not None:
            if self._mid_line:
                self._line("")
            if _one_line(message):  # a notice reads like a streamed reply, not a boxed card
                from rich.text import Text

                self.rich.print(Text.assemble((f"{bot_name}{mark} › ", "bold cyan"),
                                              render_plain(message)))
                return
            self.rich.print(f"[bold cyan]{bot_name}{mark} ›[/]")
            self.rich.print(render_rich(message))
            return
        self._line(f"{bot_name}{mark} › " + render_plain(message).replace("\n", "\n  "))

    def stream_start(self, bot_name: str) -> None:
        if self._mid_line:
            self._line("")
        prefix = f"{bot_name} › "
        if self.rich is not None:
            self.rich.print(f"[bold cyan]{prefix}[/]", end="")
        else:
            self.stream.write(prefix)
        self._mid_line = True

    def stream_chunk(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()
        self._mid_line = not text.endswith("\n")

    def stream_end(self) -> None:
        if self._mid_line:
            self.stream.write("\n")
            self.stream.flush()
            self._mid_line = False

    def tool(self, progress: ToolProgress) -> None:
        plain, styled = tool_row(progress)
        if self.rich is None:
            self._line(f"  {plain}")
            return
        from rich.text import Text

        self.stream_end()
        self.rich.print(Text("  ").append_text(styled), soft_wrap=True)

    def file(self, label: str, path: Path, size: int) -> None:
        self._line(f"  📎 {label} saved to {path} ({size} bytes)")

    def note(self, text: str) -> None:
        self._line(f"  · {text}")


def _one_line(message: Message) -> bool:
    """A single line of text with no accent, controls or layout: no box needed."""
    if message.accent or len(message.blocks) != 1:
        return False
    block = message.blocks[0]
    return isinstance(block, Section | Markdown) and "\n" not in block.text.strip()
