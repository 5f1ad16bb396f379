"""The test-facing side of the emulator: people acting, waiting, faults, Socket Mode control."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .core import Core
from .errors import ApiError
from .models import JSON, FileObject, Message, User
from .posting import delete, edit, human_blocks, new_message, publish
from .records import Call, Delivery
from .store import Channel

MessageRef = JSON | str
Predicate = Callable[[JSON], bool]


class TestApi:
    """Mixed into :class:`SlackEmulator`; everything here works on ``self.core``."""

    __test__ = False  # not a pytest test class
    core: Core

    # -- lookups --------------------------------------------------------------------------------
    def _user(self, ref: str | User | None) -> User:
        if ref is None:
            humans = [u for u in self.core.ws.users.values() if not u.is_bot]
            if not humans:
                raise ValueError("no human user seeded")
            return humans[0]
        try:
            return self.core.ws.user(ref)
        except ApiError:
            raise ValueError(f"unknown user {ref!r}") from None

    def _channel(self, ref: str | Channel | None) -> Channel:
        if isinstance(ref, Channel):
            return ref
        try:
            return self.core.ws.channel(ref or self.core.ws.default_channel())
        except ApiError:
            raise ValueError(f"unknown channel {ref!r}") from None

    def _locate(self, ref: MessageRef, channel: str | None = None) -> tuple[Channel, Message]:
        ts = ref if isinstance(ref, str) else str(ref.get("ts") or ref.get("message_ts"))
        chan = channel or (None if isinstance(ref, str) else ref.get("channel"))
        try:
            return self.core.ws.find_message(ts, chan if isinstance(chan, str) else None)
        except ApiError:
            raise ValueError(f"no message with ts {ts!r}") from None

    def _view(self, channel: Channel, message: Message) -> JSON:
        body = self.core.ws.render(channel, message)
        body["channel"] = channel.id
        if message.ephemeral_for is not None:
            body["ephemeral_for"] = message.ephemeral_for
        return body

    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[JSON]:
        """Messages oldest first: a channel's top level, or a thread (parent first)."""
        chan = self._channel(channel)
        if thread_ts:
            parent = chan.messages[thread_ts]
            return [self._view(chan, m) for m in [parent, *self.core.ws.replies_of(chan, parent)]]
        return [self._view(chan, m) for m in self.core.ws.timeline(chan)]

    def message(self, ts: str, channel: str | None = None) -> JSON:
        return self._view(*self._locate(ts, channel))

    def ephemerals(self, user: str | None = None) -> list[JSON]:
        uid = self._user(user).id if user else None
        return [
            self._view(self.core.ws.channels[m.channel], m)
            for m in self.core.ws.ephemerals
            if uid is None or m.ephemeral_for == uid
        ]

    def assistant_state(self, channel: str, thread_ts: str = "") -> JSON:
        """``status`` (dropped after ``status_ttl``), ``prompts`` and ``title`` of a thread."""
        state = dict(self.core.ws.assistant.get((self._channel(channel).id, thread_ts), {}))
        status = state.get("status")
        if status and self.core.clock.now() - status["set_at"] > self.core.config.status_ttl:
            state.pop("status")
        return state

    @property
    def calls(self) -> list[Call]:
        return self.core.calls

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.core.calls if c.method == method]

    @property
    def deliveries(self) -> list[Delivery]:
        return self.core.deliveries

    @property
    def views(self) -> dict[str, JSON]:
        return self.core.views.views

    @property
    def responses(self) -> list[JSON]:
        """Bodies posted to ``response_url``s and immediate slash-command answers."""
        return self.core.interactivity.responses

    # -- people act -----------------------------------------------------------------------------
    async def user_says(
        self,
        user: str | User,
        text: str,
        channel: str | None = None,
        thread_ts: str | None = None,
        *,
        blocks: list[JSON] | None = None,
        broadcast: bool = False,
    ) -> JSON:
        """A person posts (top level, in a thread, or in a DM); raises the events Slack would."""
        person = self._user(user)
        chan = self._channel(channel)
        if person.id not in chan.members:
            raise ValueError(f"{person.name} is not in {chan.name}")
        if thread_ts:
            parent = chan.messages.get(thread_ts)
            if parent is None:
                raise ValueError(f"no thread {thread_ts!r} in {chan.name}")
            thread_ts = parent.thread_ts if parent.is_reply else parent.ts
        message = new_message(
            self.core,
            chan,
            user=person.id,
            text=text,
            blocks=blocks if blocks is not None else human_blocks(text),
            thread_ts=thread_ts,
            client_msg_id=self.core.ids.client_msg_id(),
        )
        publish(self.core, chan, message, broadcast=broadcast)
        return self._view(chan, message)

    async def user_shares_file(
        self,
        user: str | User,
        name: str,
        content: bytes,
        text: str = "",
        channel: str | None = None,
        thread_ts: str | None = None,
    ) -> JSON:
        """A person uploads a file with a comment (``file_share``; ``app_mention`` with
        ``files`` when the comment names the bot)."""
        core = self.core
        person, chan = self._user(user), self._channel(channel)
        if person.id not in chan.members:
            raise ValueError(f"{person.name} is not in {chan.name}")
        now = int(core.clock.now())
        file = FileObject(core.ids.new("F"), name, len(content), person.id, now, data=content)
        file.completed = True
        core.ws.files[file.id] = file
        message = new_message(
            core,
            chan,
            user=person.id,
            text=text,
            blocks=human_blocks(text) if text else None,
            thread_ts=thread_ts,
            subtype="file_share",
            client_msg_id=core.ids.client_msg_id(),
            files=[file.id],
        )
        file.shares[chan.id] = [message.ts]
        message.extra.update(upload=False, display_as_bot=False)
        message.extra["files"] = [file.to_api(core.ws.team_id, core.root_url)]
        publish(core, chan, message)
        return self._view(chan, message)

    def add_message(
        self,
        channel: str | None,
        text: str,
        *,
        user: str | None = None,
        thread_ts: str | None = None,
        bot: bool = False,
        **fields: Any,
    ) -> JSON:
        """Seed a message without raising events (history, threads, pagination fixtures)."""
        chan = self._channel(channel)
        if bot:
            message = new_message(
                self.core, chan, app=self.core.app, text=text, thread_ts=thread_ts, **fields
            )
        else:
            message = new_message(
                self.core,
                chan,
                user=self._user(user).id,
                text=text,
                thread_ts=thread_ts,
                client_msg_id=self.core.ids.client_msg_id(),
                **fields,
            )
        publish(self.core, chan, message, events=False)
        return self._view(chan, message)

    async def edit(self, message: MessageRef, text: str, *, channel: str | None = None) -> JSON:
        """The author edits a message (``message_changed``)."""
        chan, msg = self._locate(message, channel)
        edit(
            self.core,
            chan,
            msg,
            editor=msg.user,
            text=text,
            blocks=human_blocks(text) if msg.bot_id is None else msg.blocks,
        )
        return self._view(chan, msg)

    async def delete(self, message: MessageRef, *, channel: str | None = None) -> None:
        """The author deletes a message (``message_deleted``)."""
        chan, msg = self._locate(message, channel)
        delete(self.core, chan, msg)

    async def react(self, user: str | User, message: MessageRef, name: str) -> None:
        chan, msg = self._locate(message)
        person = self._user(user)
        msg.reactions.setdefault(name, []).append(person.id)
        self.core.changed("message", msg)
        self.core.events.reaction(True, chan, msg, person.id, name)

    async def click(
        self,
        message: MessageRef,
        action_id: str | None = None,
        value: str | None = None,
        *,
        user: str | User | None = None,
        channel: str | None = None,
    ) -> Delivery:
        """Press an element of a stored message; returns the delivery once acked (or not)."""
        chan, msg = self._locate(message, channel)
        payload = self.core.interactivity.block_actions(
            chan, msg, self._user(user), action_id, value
        )
        outcome = await self.core.dispatcher.send_interactive(
            payload, accepts_response_payload=False
        )
        assert outcome.delivery is not None
        return outcome.delivery

    async def slash(
        self,
        command: str,
        text: str = "",
        *,
        user: str | User | None = None,
        channel: str | None = None,
    ) -> Delivery:
        """Run a slash command; an immediate reply in the ack becomes a response message."""
        chan = self._channel(channel)
        fields = self.core.interactivity.slash_fields(command, text, self._user(user), chan)
        outcome = await self.core.dispatcher.send_command(fields)
        if outcome.ok and outcome.body:
            body = outcome.body if isinstance(outcome.body, dict) else {"text": str(outcome.body)}
            key = fields["response_url"].rsplit("/", 1)[-1]
            self.core.interactivity.respond(self.core.interactivity.response_urls[key], body)
        assert outcome.delivery is not None
        return outcome.delivery

    async def submit_view(
        self, view_id: str, values: JSON | None = None, *, user: str | User | None = None
    ) -> Delivery:
        payload = self.core.views.submission(view_id, self._user(user), values or {})
        outcome = await self.core.dispatcher.send_interactive(
            payload, accepts_response_payload=True
        )
        assert outcome.delivery is not None
        return outcome.delivery

    async def start_assistant_thread(
        self, user: str | User | None = None, context: JSON | None = None
    ) -> tuple[str, str]:
        """A person opens the assistant container: a DM thread whose root is an
        ``assistant_app_thread`` message ("Chats from <date>", the chat's title) and
        ``assistant_thread_started``."""
        person = self._user(user)
        dm = self.core.ws.open_dm(self.core.app.bot_user_id, person.id)
        started = datetime.fromtimestamp(self.core.clock.now(), UTC)
        title = "Chats from " + started.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        root = new_message(
            self.core, dm, user=person.id, text=title, subtype="assistant_app_thread"
        )
        root.extra["assistant_app_thread"] = {"title": title, "title_blocks": [], "artifacts": []}
        publish(self.core, dm, root, events=False)
        self.core.events.assistant_thread_started(dm, person.id, root.ts, context)
        return dm.id, root.ts
