"""The person's side of the console: reading what they type, when to read it, and what
it means (a message, a command, an answer to a card on screen), and their leaving.

Lines are read only once the bot waits for input: every turn finished, or it waits on a
question here. Leaving (end of input, ``/quit``, Ctrl-C or SIGTERM) while a question
waits says so: a question a bot tool asked on a durable store is asked again at the next
start (``OpenChoice.kept``: ``bot.stop()`` suspends its tool call); others are dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TextIO

from botkit.adapter import BotHandle, OpenChoice
from botkit.events import CommandEvent, InteractionEvent, MessageEvent
from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.binding import choice_id_of
from botkit.ui.nodes import Message
from botkit.ui.text import match_choice, numbered_choices
from botkit_console.lines import LineReader
from botkit_console.output import ConsoleOutput
from botkit_console.transcript import Transcript

__all__ = ["CONVERSATION", "ConsoleInput"]

CONVERSATION = Conversation(id="console", channel="console")
QUIT = {"/quit", "/exit"}
ReadLine = Callable[[], Awaitable[str | None]]


class ConsoleInput:
    def __init__(self, bot: BotHandle, *, stdin: TextIO, out: ConsoleOutput,
                 transcript: Transcript, cards: dict[str, Message], user: PlatformUser,
                 platform: str) -> None:
        self.bot = bot
        self.stdin = stdin
        self.interactive = stdin.isatty()
        self.out = out
        self.transcript = transcript
        self.cards = cards
        """Messages on screen whose controls are still open, by transcript entry."""
        self.user = user
        self.platform = platform
        self._reader: LineReader | None = None
        self._turns: set[asyncio.Task[Any]] = set()
        self._answering: dict[str, asyncio.Task[Any]] = {}
        self._left = False
        self._left_waiting = False
        self._signals: list[signal.Signals] = []
        self._task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):  # leave as end of input does
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.add_signal_handler(signum, self._on_signal)
                self._signals.append(signum)
        self._task = asyncio.create_task(self._loop())

    def stop(self) -> None:
        self._release_signals()
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _release_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for signum in self._signals:
            loop.remove_signal_handler(signum)
        self._signals = []

    def _on_signal(self) -> None:
        self._release_signals()  # a second Ctrl-C gets Python's default: stop at once
        self.out.break_line()
        self.leave()
        self.bot.request_stop()

    # -- state ---------------------------------------------------------------------------
    def open_choices(self) -> list[OpenChoice]:
        """Questions waiting here that no answer of ours is already being handled for."""
        return [p for p in self.bot.pending_choices(CONVERSATION.id)
                if not (p.id in self._answering and not self._answering[p.id].done())]

    def working(self) -> bool:
        """A turn is in flight and nothing waits for the person."""
        return any(not t.done() for t in self._turns) and not self.open_choices()

    def converse(self, dialogue: Callable[[ReadLine], Coroutine[Any, Any, None]]) -> None:
        """Run ``dialogue`` (a modal's prompts) as part of the current turn: it reads the
        lines it needs with the function it is given; the loop reads again after it."""
        self._turns.add(self.bot.spawn(dialogue(self._read_line)))

    # -- the loop ------------------------------------------------------------------------
    async def _read_line(self) -> str | None:
        if self.interactive:
            self.out.prompt(self.user.display_name)
        if self._reader is None:
            self._reader = LineReader(self.stdin)
        return await self._reader.readline()

    async def _until_ready(self) -> None:
        """Wait until every turn finished, or the bot waits on a choice here."""
        while self._turns and not self.open_choices():
            waiter = asyncio.ensure_future(self.bot.waiting_for_input(CONVERSATION.id))
            done, _ = await asyncio.wait({*self._turns, waiter},
                                         return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            self._turns -= done

    async def _loop(self) -> None:
        try:
            while True:
                await self._until_ready()
                self.out.idle()
                line = await self._read_line()
                if line is None or line.strip() in QUIT:
                    break
                if line.strip():
                    self._handle_line(line.strip())
            self.leave()
            if self._turns and not self._left_waiting:
                await asyncio.wait(self._turns)
        finally:
            self.bot.request_stop()

    def leave(self) -> None:
        """The person leaves: say what becomes of the questions still waiting, then show
        nothing more (nobody is reading; the transcript still records)."""
        if self._left:
            return
        self._left = True
        waiting = self.open_choices()
        self._left_waiting = bool(waiting)
        if not waiting:
            return
        kept = [c for c in waiting if c.kept]
        dropped = [c for c in waiting if not c.kept]
        for choice in dropped:
            if choice.ref is not None:
                self.transcript.close_card(choice.ref.id)
        if kept:
            self.out.note(f"Left without answering; {_questions(kept)} will be asked again "
                          "next time.")
        if dropped:
            were = "was" if len(dropped) == 1 else "were"
            self.out.note(f"Left without answering; {_questions(dropped)} {were} dropped.")
        self.out.mute()

    # -- a line ----------------------------------------------------------------------------
    def _handle_line(self, line: str) -> None:
        if not self.interactive:
            self.out.echo(self.user.display_name, line)
        click = self._choice_event(line)
        waiting = self.open_choices()
        if click is None and waiting:
            count = len(numbered_choices(waiting[-1].message))
            self.out.note(f"Please answer the question above: type 1-{count} or a label.")
            return
        event = click if click is not None else self._message_event(line)
        task = self.bot.spawn(self.bot.dispatch(event))
        self._turns.add(task)
        if click is not None and click.message is not None:
            self.transcript.close_card(click.message.id)  # not shown again after a restart
        choice_id = choice_id_of(click.action_id) if click is not None else None
        if choice_id is not None:
            self._answering[choice_id] = task
        self.out.busy("thinking", announce=True)

    def _choice_event(self, line: str) -> InteractionEvent | None:
        for ref_id in reversed(list(self.cards)):
            choice = match_choice(numbered_choices(self.cards[ref_id]), line)
            if choice is not None:
                return InteractionEvent(
                    platform=self.platform, event_id=uuid.uuid4().hex,
                    conversation=CONVERSATION, user=self.user, action_id=choice.action_id,
                    value=json.loads(json.dumps(choice.value)),
                    message=MessageRef(id=ref_id, channel=CONVERSATION.channel))
        return None

    def _message_event(self, line: str) -> MessageEvent | CommandEvent:
        name = line[1:].split(maxsplit=1)[0] if line.startswith("/") and len(line) > 1 else ""
        if name and self.bot.has_command(name):
            text = line[1 + len(name):].strip()
            return CommandEvent(platform=self.platform, event_id=uuid.uuid4().hex,
                                conversation=CONVERSATION, user=self.user, command=name,
                                text=text)
        entry = self.transcript.add(text=line, user=self.user, is_bot=False)
        # a fresh event id: transcript ids can repeat after a restart, and the dedup marks
        # live in the (durable) store
        return MessageEvent(platform=self.platform, event_id=uuid.uuid4().hex,
                            conversation=CONVERSATION, user=self.user, text=line,
                            mentioned=True, ref=MessageRef(id=entry, channel=CONVERSATION.channel))


def _questions(choices: list[OpenChoice]) -> str:
    return "the question" if len(choices) == 1 else f"the {len(choices)} questions"
