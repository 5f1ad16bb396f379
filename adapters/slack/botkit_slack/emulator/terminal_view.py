"""What the emulator terminal prints: the bot's finished messages and files, each card's
buttons (numbered as on the card), its status ("is thinking…") and its tool steps."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .emulator import SlackEmulator
    from .models import JSON, Message

SETTLE = 0.6
"""Seconds a changed message must stay unchanged before it is printed (edits come in bursts)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x9b]")


def safe(text: str) -> str:
    """``text`` with terminal control characters (escape sequences) made visible."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


@dataclass(frozen=True)
class Button:
    action_id: str
    value: str | None
    label: str


@dataclass
class Card:
    """The newest message with buttons: ``/click N`` presses ``buttons[N - 1]``."""

    ts: str
    buttons: list[Button] = field(default_factory=list)
    answered: bool = False


def buttons_of(message: JSON) -> list[Button]:
    found: list[Button] = []
    for block in message.get("blocks") or ():
        elements = list(block.get("elements") or ()) if block.get("type") == "actions" else []
        accessory = block.get("accessory")
        if isinstance(accessory, dict):
            elements.append(accessory)
        for element in elements:
            if isinstance(element, dict) and element.get("type") == "button":
                label = str((element.get("text") or {}).get("text", ""))
                found.append(Button(str(element.get("action_id", "")), element.get("value"), label))
    return found


class TerminalView:
    def __init__(self, slack: SlackEmulator, out: TextIO, *, settle: float = SETTLE) -> None:
        self.slack = slack
        self.out = out
        self.settle = settle
        self.newest_card: Card | None = None
        self.bot_changes = 0
        """How many times a message of the bot changed (a click waits for the next one)."""
        self._text: dict[str, str] = {}
        self._buttons: dict[str, list[Button]] = {}
        self._files: dict[str, set[str]] = {}
        self._steps: set[tuple[str, str]] = set()
        self._status: str | None = None
        self._timers: dict[str, tuple[asyncio.TimerHandle, str]] = {}
        slack.core.subscribe(self._changed)

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    # -- changes --------------------------------------------------------------------------------
    def _changed(self, kind: str, obj: Any) -> None:
        if kind == "assistant" and isinstance(obj, dict):
            self._show_status(obj.get("status"))
            return
        if kind not in ("message", "ephemeral") or not getattr(obj, "bot_id", None):
            return
        if obj.bot_id != self.slack.bot_id:
            return
        self.bot_changes += 1
        message: Message = obj
        if message.stream is not None:
            self._show_steps(message.stream.chunks)
            if message.stream.state == "in_progress":
                return
        old = self._timers.pop(message.ts, None)
        if old is not None:
            old[0].cancel()
        handle = asyncio.get_running_loop().call_later(
            self.settle, self._timed_show, message.ts, message.channel
        )
        self._timers[message.ts] = (handle, message.channel)

    def _timed_show(self, ts: str, channel: str) -> None:
        self._timers.pop(ts, None)
        self.show(ts, channel)

    def flush(self) -> None:
        """Print every change still waiting to settle, now."""
        for ts, (handle, channel) in list(self._timers.items()):
            handle.cancel()
            self._timers.pop(ts, None)
            self.show(ts, channel)

    # -- printing -------------------------------------------------------------------------------
    def _show_status(self, status: JSON | None) -> None:
        text = str(status.get("status") or "") if status else ""
        if text and text != self._status:
            self._print(f"  {safe(self.slack.core.app.name)} {safe(text)}")
        self._status = text or None

    def _show_steps(self, chunks: list[JSON]) -> None:
        for chunk in chunks:
            if chunk.get("type") != "task_update":
                continue
            key = (str(chunk.get("id")), str(chunk.get("status")))
            if key in self._steps:
                continue
            self._steps.add(key)
            title = safe(str(chunk.get("title") or chunk.get("id")))
            line = {
                "in_progress": f"  ⚙ {title}…",
                "complete": f"  ✓ Used `{title}`",
                "error": f"  ✗ {title} failed",
            }.get(key[1])
            if line:
                self._print(line)

    def show(self, ts: str, channel: str) -> None:
        try:
            message = self.slack.message(ts, channel)
        except ValueError:
            return
        if message.get("streaming_state") == "in_progress":
            return
        self._status = None  # the bot answered: a new status is news again
        who = "bot (only you see this)" if message.get("ephemeral_for") else "bot"
        edited = " (edited)" if ts in self._text else ""
        text = str(message.get("text") or "")
        if text and self._text.get(ts) != text:
            self._print(f"{who}{edited}: {safe(text)}")
        self._text[ts] = text
        shown = self._files.setdefault(ts, set())
        for file in message.get("files") or ():
            name = str(file.get("name") or file.get("title") or file.get("id"))
            if name not in shown:
                shown.add(name)
                self._print(f"{who} posted a file: {safe(name)}")
        self._show_buttons(ts, buttons_of(message))

    def _show_buttons(self, ts: str, buttons: list[Button]) -> None:
        before = self._buttons.get(ts)
        if buttons == (before or []):
            return
        self._buttons[ts] = buttons
        if buttons:
            self.newest_card = Card(ts, buttons)
            listed = "  ".join(f"[{n}] {safe(b.label)}" for n, b in enumerate(buttons, 1))
            self._print(f"  {listed}   (/click N)")
        elif self.newest_card is not None and self.newest_card.ts == ts:
            self.newest_card = Card(ts, [], answered=True)
