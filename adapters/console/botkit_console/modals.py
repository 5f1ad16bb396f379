"""A modal on the console: its title and text, then one prompt per input.

Type the answer (an option's number or label; several numbers or labels separated by
commas for checkboxes; a date as YYYY-MM-DD); Enter skips an optional input; ``/cancel``
closes the modal (``on_modal_close``). The submission goes to ``on_modal_submit``; inputs
its handler refuses (``ctx.invalid``) are asked again, with the reason, until it accepts.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from botkit.adapter import BotHandle
from botkit.events import ModalCloseEvent, ModalSubmitEvent
from botkit.types import Conversation, PlatformUser
from botkit.ui import inputs as ui_in
from botkit.ui.nodes import Message, Option
from botkit_console.output import ConsoleOutput

__all__ = ["CANCEL", "ModalDialogue", "parse_answer"]

CANCEL = "/cancel"
ReadLine = Callable[[], Awaitable[str | None]]


class Invalid(ValueError):
    """An answer the input cannot take (the message says what it expects)."""


def _option(options: tuple[Option, ...], text: str) -> str:
    if text.isdigit() and 1 <= int(text) <= len(options):
        return options[int(text) - 1].value
    for option in options:
        if text.lower() in (option.label.lower(), option.value.lower()):
            return option.value
    raise Invalid(f"pick 1-{len(options)} or an option's name")


def parse_answer(node: ui_in.Input, text: str) -> Any:
    """The typed value of ``text`` for ``node`` (None: skipped); ``Invalid`` when it
    cannot be one."""
    text = text.strip()
    if not text:
        if not node.optional:
            raise Invalid("this one is required")
        return [] if isinstance(node, ui_in.Checkboxes) else None
    if isinstance(node, ui_in.TextInput):
        if node.min_length is not None and len(text) < node.min_length:
            raise Invalid(f"at least {node.min_length} characters")
        if node.max_length is not None and len(text) > node.max_length:
            raise Invalid(f"at most {node.max_length} characters")
        return text
    if isinstance(node, ui_in.SelectInput):
        return _option(node.options, text)
    if isinstance(node, ui_in.Checkboxes):
        return [_option(node.options, part.strip()) for part in text.split(",") if part.strip()]
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise Invalid("a date as YYYY-MM-DD") from None


def _question(node: ui_in.Input) -> str:
    hint = ""
    if isinstance(node, ui_in.SelectInput | ui_in.Checkboxes):
        hint = "  " + "  ".join(f"[{i}] {o.label}" for i, o in enumerate(node.options, 1))
        if isinstance(node, ui_in.Checkboxes):
            hint += "  (numbers separated by commas)"
    elif isinstance(node, ui_in.DatePicker):
        hint = "  (YYYY-MM-DD)"
    optional = " (optional: Enter skips)" if node.optional else ""
    return f"{node.label}{optional}:{hint}"


class ModalDialogue:
    def __init__(self, bot: BotHandle, out: ConsoleOutput, *, platform: str,
                 user: PlatformUser, echo: bool) -> None:
        self.bot = bot
        self.out = out
        self.platform = platform
        self.user = user
        self.echo = echo

    async def run(self, conversation: Conversation, modal: ui_in.Modal,
                  read_line: ReadLine) -> None:
        self.out.idle()
        text = [b for b in modal.blocks if not isinstance(b, ui_in.Input)]
        self.out.message(modal.title, Message(*text, f"_({modal.submit} when done; "
                                                     f"{CANCEL} to {modal.close.lower()})_"))
        values: dict[str, Any] = {}
        todo = list(modal.inputs)
        while True:
            for node in todo:
                answer = await self._ask(node, read_line)
                if answer is CANCEL:
                    await self.bot.dispatch(ModalCloseEvent(
                        platform=self.platform, event_id=uuid.uuid4().hex,
                        conversation=conversation, user=self.user,
                        callback_id=modal.callback_id, metadata=modal.metadata))
                    return
                values[node.name] = answer
            event = ModalSubmitEvent(platform=self.platform, event_id=uuid.uuid4().hex,
                                     conversation=conversation, user=self.user,
                                     callback_id=modal.callback_id, values=dict(values),
                                     metadata=modal.metadata)
            await self.bot.dispatch(event)
            if not event.reply.errors:
                return
            todo = [n for n in modal.inputs if n.name in event.reply.errors]
            for node in todo:
                self.out.note(f"{node.label}: {event.reply.errors[node.name]}")
            if not todo:  # errors for no input shown: nothing to ask again
                return

    async def _ask(self, node: ui_in.Input, read_line: ReadLine) -> Any:
        while True:
            self.out.note(_question(node))
            line = await read_line()
            if line is None or line.strip() == CANCEL:
                return CANCEL
            if self.echo:
                self.out.echo(self.user.display_name, line)
            try:
                return parse_answer(node, line)
            except Invalid as exc:
                self.out.note(f"{node.label}: {exc}")
