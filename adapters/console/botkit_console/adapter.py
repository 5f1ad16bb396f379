"""The console adapter: talk to a bot in your terminal, no credentials needed.

Every line you type is a message to the bot. Buttons show as numbered options; type the
number or the label. When stdin is not a terminal, lines are read one at a time, each only
once the bot waits for input (its turn finished, or it waits on a choice), so a script
behaves like a person typing; at end of input the bot finishes its work and exits.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
import uuid
from collections.abc import AsyncIterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from botkit.adapter import (
    BaseAdapter,
    BotHandle,
    Capabilities,
    OpenChoice,
    StreamPart,
    ToolProgress,
    find_user,
)
from botkit.errors import UserError
from botkit.events import CommandEvent, InteractionEvent, MessageEvent
from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.binding import choice_id_of, iter_controls
from botkit.ui.nodes import Message
from botkit.ui.text import match_choice, numbered_choices, render_plain
from botkit_console.lines import LineReader
from botkit_console.output import ConsoleOutput
from botkit_console.transcript import Transcript

__all__ = ["ConsoleAdapter"]

CONVERSATION = Conversation(id="console", channel="console")


class ConsoleAdapter(BaseAdapter):
    platform = "console"

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        users_file: str | Path | None = None,
        user_name: str | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        rich: bool | None = None,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self._users = _load_users(Path(users_file)) if users_file is not None else None
        self.capabilities = Capabilities(streaming=True, get_messages=True, post_file=True,
                                         lookup_user=self._users is not None,
                                         agent_records=True)
        self._stdin = stdin or sys.stdin
        out = stdout or sys.stdout
        self.out = ConsoleOutput(out, rich=rich if rich is not None else out.isatty())
        self.interactive = self._stdin.isatty()
        self.user = PlatformUser(id="console-user", name=user_name or _login_name())
        self._bot_user = PlatformUser(id="console-bot", name="bot", is_bot=True)
        self.transcript = Transcript(None)
        self._shown: dict[str, Message] = {}  # messages with controls still open
        self._bot: BotHandle | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._turns: set[asyncio.Task[Any]] = set()
        self._answering: dict[str, asyncio.Task[Any]] = {}
        self._reader: LineReader | None = None

    @property
    def bot_user(self) -> PlatformUser:
        return self._bot_user

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self, bot: BotHandle) -> None:
        self._bot = bot
        self._bot_user = PlatformUser(id="console-bot", name=bot.name, is_bot=True)
        if self.data_dir is not None:
            self.transcript = Transcript(self.data_dir / "transcript.jsonl")
        self.out.banner(bot.name, self.transcript.path, self.interactive)
        self._loop_task = asyncio.create_task(self._input_loop())

    async def stop(self) -> None:
        if self._loop_task is not None and not self._loop_task.done():
            self._loop_task.cancel()

    # -- egress ------------------------------------------------------------------------
    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        entry = self.transcript.add(text=render_plain(message), user=self._bot_user,
                                    is_bot=True, status=message.status)
        self._track(entry, message)
        self.out.message(self._bot_user.display_name, message)
        return MessageRef(id=entry, channel=conversation.channel)

    async def update(self, conversation: Conversation, ref: MessageRef, message: Message
                     ) -> MessageRef:
        self.transcript.update(ref.id, text=render_plain(message), status=message.status)
        self._track(ref.id, message)
        self.out.message(self._bot_user.display_name, message, edited=True)
        return ref

    async def delete(self, conversation: Conversation, ref: MessageRef) -> None:
        self.transcript.delete(ref.id)
        self._shown.pop(ref.id, None)
        self.out.note("(a message was deleted)")

    async def stream(self, conversation: Conversation, parts: AsyncIterable[StreamPart]
                     ) -> MessageRef | None:
        text: list[str] = []
        async for part in parts:
            if isinstance(part, ToolProgress):
                self.out.tool(part)
            else:
                if not text:
                    self.out.stream_start(self._bot_user.display_name)
                text.append(part)
                self.out.stream_chunk(part)
        if text:
            self.out.stream_end()
        body = "".join(text)
        if not body.strip():
            return None
        entry = self.transcript.add(text=body, user=self._bot_user, is_bot=True)
        return MessageRef(id=entry, channel=conversation.channel)

    async def get_messages(self, conversation: Conversation) -> list[ThreadMessage]:
        return self.transcript.messages()

    async def record_agent_messages(self, conversation: Conversation,
                                    messages: Sequence[Mapping[str, Any]]) -> None:
        self.transcript.add(text="", user=self._bot_user, is_bot=True, status=True,
                            agent_messages=[dict(m) for m in messages])

    async def lookup_user(self, query: str) -> PlatformUser | None:
        return find_user(self._users or (), query)

    async def post_file(self, conversation: Conversation, data: bytes, filename: str, *,
                        title: str | None = None, alt_text: str | None = None) -> FileResult:
        folder = (self.data_dir or Path(".botkit-data")) / "files"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / Path(filename).name
        stem, n = path.stem, 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}{path.suffix}"
        path.write_bytes(data)
        label = title or path.name
        self.transcript.add(text=f"[file: {label}]", user=self._bot_user, is_bot=True)
        self.out.file(label, path, len(data))
        return FileResult(ok=True, file_id=str(path))

    def _track(self, entry: str, message: Message) -> None:
        if any(True for _ in iter_controls(message)):
            self._shown[entry] = message
        else:
            self._shown.pop(entry, None)

    # -- ingress -----------------------------------------------------------------------
    async def _read_line(self) -> str | None:
        if self.interactive:
            self.out.prompt(self.user.display_name)
        if self._reader is None:
            self._reader = LineReader(self._stdin)
        return await self._reader.readline()

    def _open_choices(self, bot: BotHandle) -> list[OpenChoice]:
        """Choices waiting here that no click of ours is already answering."""
        return [p for p in bot.pending_choices(CONVERSATION.id)
                if not (p.id in self._answering and not self._answering[p.id].done())]

    async def _until_ready(self, bot: BotHandle) -> None:
        """Wait until every turn finished, or the bot waits on a choice here."""
        while self._turns and not self._open_choices(bot):
            waiter = asyncio.ensure_future(bot.waiting_for_input(CONVERSATION.id))
            done, _ = await asyncio.wait({*self._turns, waiter},
                                         return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            self._turns -= done

    async def _input_loop(self) -> None:
        bot = self._bot
        assert bot is not None
        try:
            while True:
                await self._until_ready(bot)
                line = await self._read_line()
                if line is None or line.strip() in {"/quit", "/exit"}:
                    break
                if line.strip():
                    self._handle_line(bot, line.strip())
            bot.cancel_choices("the console input ended")
            if self._turns:
                await asyncio.wait(self._turns)
        finally:
            bot.request_stop()

    def _handle_line(self, bot: BotHandle, line: str) -> None:
        if not self.interactive:
            self.out.echo(self.user.display_name, line)
        click = self._choice_event(bot, line)
        waiting = self._open_choices(bot)
        if click is None and waiting:
            count = len(numbered_choices(waiting[-1].message))
            self.out.note(f"Please answer the question above: type 1-{count} or a label.")
            return
        event = click if click is not None else self._message_event(bot, line)
        task = bot.spawn(bot.dispatch(event))
        self._turns.add(task)
        choice_id = choice_id_of(click.action_id) if click is not None else None
        if choice_id is not None:
            self._answering[choice_id] = task

    def _choice_event(self, bot: BotHandle, line: str) -> InteractionEvent | None:
        for ref_id in reversed(list(self._shown)):
            choice = match_choice(numbered_choices(self._shown[ref_id]), line)
            if choice is not None:
                return InteractionEvent(
                    platform=self.platform, event_id=uuid.uuid4().hex,
                    conversation=CONVERSATION, user=self.user, action_id=choice.action_id,
                    value=json.loads(json.dumps(choice.value)),
                    message=MessageRef(id=ref_id, channel=CONVERSATION.channel))
        return None

    def _message_event(self, bot: BotHandle, line: str) -> MessageEvent | CommandEvent:
        name = line[1:].split(maxsplit=1)[0] if line.startswith("/") and len(line) > 1 else ""
        if name and bot.has_command(name):
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


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "you"


def _load_users(path: Path) -> list[PlatformUser]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return [PlatformUser(id=str(u["id"]), name=u.get("name"), handle=u.get("handle"),
                             email=u.get("email")) for u in raw]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"cannot read the users file {path}: {exc}. It must be a JSON list "
                        'of {"id": ..., "name": ..., "email": ...} objects') from exc
