"""The console adapter: talk to a bot in your terminal, no credentials needed.

Every line you type is a message to the bot. Buttons show as numbered options; type the
number or the label. While the bot works, a spinner shows on a terminal (one ``… thinking``
line when the output is piped) and each tool it uses gets a row, marked done or failed.
When stdin is not a terminal, lines are read one at a time, each only once the bot waits
for input (its turn finished, or it waits on a choice), so a script behaves like a person
typing; at end of input the bot finishes its work and exits.

Leaving (end of input, ``/quit``, Ctrl-C or SIGTERM) while a question waits says so: a
question a bot tool asked on a durable store is asked again at the next start (its card is
shown again from the transcript; typing its number answers it and the run continues).
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from botkit._lazy import lazy_exports
from botkit.adapter import (
    BaseAdapter,
    BotHandle,
    Capabilities,
    StreamPart,
    ToolProgress,
    find_user,
)
from botkit.errors import UserError
from botkit.events import Event
from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.binding import iter_controls
from botkit.ui.inputs import Modal
from botkit.ui.nodes import Message
from botkit.ui.text import render_plain

if TYPE_CHECKING:
    from botkit_console.ingress import CONVERSATION, ConsoleInput
    from botkit_console.output import ConsoleOutput
    from botkit_console.transcript import Transcript

__all__ = ["CONVERSATION", "ConsoleAdapter"]

# the terminal's input, output, transcript and modal dialogues load when the console is
# first used: an app that declares a ConsoleAdapter and is served elsewhere (the helpdesk
# on Slack) does not carry them (startup memory)
__getattr__, __dir__ = lazy_exports(__name__, {"CONVERSATION": "botkit_console.ingress"})


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
                                         agent_records=True, modals=True)
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self._rich = rich
        self._out: ConsoleOutput | None = None
        self.interactive = self._stdin.isatty()
        self._user_name = user_name
        self._user: PlatformUser | None = None
        self._bot_user = PlatformUser(id="console-bot", name="bot", is_bot=True)
        self._transcript: Transcript | None = None
        self._shown: dict[str, Message] = {}  # messages with controls still open
        self._input: ConsoleInput | None = None
        self._tools_running: dict[str, str] = {}  # tool call id -> name

    @property
    def bot_user(self) -> PlatformUser:
        return self._bot_user

    @property
    def out(self) -> ConsoleOutput:
        """What the console prints to (made when first used)."""
        if self._out is None:
            from botkit_console.output import ConsoleOutput

            out = self._stdout
            self._out = ConsoleOutput(out, rich=self._rich if self._rich is not None
                                      else out.isatty())
        return self._out

    @out.setter
    def out(self, out: ConsoleOutput) -> None:
        self._out = out

    @property
    def user(self) -> PlatformUser:
        """The person at the terminal (``user_name``, else the login name)."""
        if self._user is None:
            self._user = PlatformUser(id="console-user", name=self._user_name or _login_name())
        return self._user

    @user.setter
    def user(self, user: PlatformUser) -> None:
        self._user = user

    @property
    def transcript(self) -> Transcript:
        """The conversation so far (on disk under ``data_dir`` once started)."""
        if self._transcript is None:
            from botkit_console.transcript import Transcript

            self._transcript = Transcript(None)
        return self._transcript

    @transcript.setter
    def transcript(self, transcript: Transcript) -> None:
        self._transcript = transcript

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self, bot: BotHandle) -> None:
        self._bot_user = PlatformUser(id="console-bot", name=bot.name, is_bot=True)
        from botkit_console.ingress import ConsoleInput
        from botkit_console.transcript import Transcript

        if self.data_dir is not None:
            self.transcript = Transcript(self.data_dir / "transcript.jsonl")
        self.out.banner(bot.name, self.transcript.path, self.interactive)
        self._show_open_cards()
        self._input = ConsoleInput(bot, stdin=self._stdin, out=self.out,
                                   transcript=self.transcript, cards=self._shown,
                                   user=self.user, platform=self.platform)
        self._input.start()

    async def stop(self) -> None:
        if self._input is not None:
            self._input.stop()
        self.out.idle()

    def _show_open_cards(self) -> None:
        """Cards left unanswered when the console last stopped: shown again, answerable."""
        cards = self.transcript.open_cards()
        if not cards:
            return
        self.out.note("Still waiting for your answer from last time:")
        for entry, card in cards:
            self._shown[entry] = card
            self.out.message(self._bot_user.display_name, card)

    # -- egress ------------------------------------------------------------------------
    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        entry = self.transcript.add(text=render_plain(message), user=self._bot_user,
                                    is_bot=True, status=message.status,
                                    card=message if _has_controls(message) else None)
        self._track(entry, message)
        self.out.message(self._bot_user.display_name, message)
        if entry not in self._shown:  # a card likely waits for the person: no spinner
            self._still_working()
        return MessageRef(id=entry, channel=conversation.channel)

    async def update(self, conversation: Conversation, ref: MessageRef, message: Message
                     ) -> MessageRef:
        self.transcript.update(ref.id, text=render_plain(message), status=message.status,
                               card=message if _has_controls(message) else None)
        self._track(ref.id, message)
        self.out.message(self._bot_user.display_name, message, edited=True)
        self._still_working()
        return ref

    async def delete(self, conversation: Conversation, ref: MessageRef) -> None:
        self.transcript.delete(ref.id)
        self._shown.pop(ref.id, None)
        self.out.note("(a message was deleted)")
        self._still_working()

    async def stream(self, conversation: Conversation, parts: AsyncIterable[StreamPart]
                     ) -> MessageRef | None:
        text: list[str] = []
        body: list[str] = []
        async for part in parts:
            if isinstance(part, ToolProgress):
                self._tool_row(part)
                text = []  # text after a tool row starts a new line
            else:
                if not text:
                    self.out.stream_start(self._bot_user.display_name)
                text.append(part)
                self.out.stream_chunk(part)
                body.append(part)
        self.out.stream_end()
        self._still_working()
        reply = "".join(body)
        if not reply.strip():
            return None
        entry = self.transcript.add(text=reply, user=self._bot_user, is_bot=True)
        return MessageRef(id=entry, channel=conversation.channel)

    async def show_progress(self, conversation: Conversation, progress: ToolProgress) -> None:
        self._tool_row(progress)
        self._still_working()

    def _tool_row(self, progress: ToolProgress) -> None:
        if progress.done:
            self._tools_running.pop(progress.tool_call_id, None)
        else:
            self._tools_running[progress.tool_call_id] = progress.name
        self.out.tool(progress)

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
        self._still_working()
        return FileResult(ok=True, file_id=str(path))

    async def open_modal(self, conversation: Conversation, event: Event, modal: Modal) -> None:
        """Ask the modal's inputs as prompts, in the current turn (``modals.py``)."""
        from botkit_console.modals import ModalDialogue

        console = self._input
        if console is None:
            raise UserError("the console is not started")
        dialogue = ModalDialogue(console.bot, self.out, platform=self.platform,
                                 user=self.user, echo=not console.interactive)
        console.converse(lambda read_line: dialogue.run(conversation, modal, read_line))

    def _track(self, entry: str, message: Message) -> None:
        if _has_controls(message):
            self._shown[entry] = message
        else:
            self._shown.pop(entry, None)

    def _still_working(self) -> None:
        """After some output: the spinner again while the turn goes on (terminals only)."""
        if self._input is not None and self._input.working():
            names = list(self._tools_running.values())
            self.out.busy(f"using {names[-1]}" if names else "thinking")


def _has_controls(message: Message) -> bool:
    return any(True for _ in iter_controls(message))


def _login_name() -> str:
    import getpass  # used once (startup memory)

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
