"""The emulated workspace: users, apps, tokens, channels, messages and threads."""

from __future__ import annotations

import base64
import bisect
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .errors import ApiError
from .ids import IdFactory, TsFactory, parse_ts
from .models import JSON, Actor, App, ChannelKind, FileObject, Message, User
from .scopes import ALL_BOT_SCOPES


@dataclass
class Channel:
    id: str
    name: str
    kind: ChannelKind
    created: int
    creator: str
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    is_general: bool = False
    topic: str = ""
    purpose: str = ""
    dm_user: str | None = None
    messages: dict[str, Message] = field(default_factory=dict)
    timeline: list[int] = field(default_factory=list)
    timeline_ts: list[str] = field(default_factory=list)

    @property
    def channel_type(self) -> str:
        return {"public": "channel", "private": "group", "im": "im", "mpim": "mpim"}[self.kind]

    def to_api(self, viewer: str | None = None) -> JSON:
        if self.kind == "im":
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.dm_user,
                "is_user_deleted": False,
                "priority": 0,
                "is_archived": self.is_archived,
            }
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": self.kind == "public",
            "is_group": self.kind == "private",
            "is_im": False,
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "public",
            "created": self.created,
            "creator": self.creator,
            "is_archived": self.is_archived,
            "is_general": self.is_general,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "is_member": viewer in self.members if viewer else False,
            "num_members": len(self.members),
            "topic": {"value": self.topic, "creator": self.creator, "last_set": 0},
            "purpose": {"value": self.purpose, "creator": self.creator, "last_set": 0},
        }


def encode_cursor(kind: str, value: str | int) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str, kind: str) -> str:
    try:
        raw = base64.b64decode(cursor.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError("invalid_cursor") from exc
    prefix, _, value = raw.partition(":")
    if prefix != kind or not value:
        raise ApiError("invalid_cursor")
    return value


class Workspace:
    """All state of one emulated team. Methods raise :class:`ApiError` with Slack's codes."""

    def __init__(
        self, clock: Clock, ids: IdFactory, *, team_id: str, name: str, domain: str
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.ts = TsFactory(clock)
        self.team_id = ids.claim(team_id)
        self.name = name
        self.domain = domain
        self.users: dict[str, User] = {}
        self.apps: dict[str, App] = {}
        self.tokens: dict[str, Actor] = {}
        self.channels: dict[str, Channel] = {}
        self.files: dict[str, FileObject] = {}
        self.ephemerals: list[Message] = []
        self.assistant: dict[tuple[str, str], dict[str, Any]] = {}
        self.installed: App | None = None
        """The emulated app's installation here (its bot user and bot token)."""
        self.uninstalled = False
        self.scheduled: dict[str, Any] = {}
        """Scheduled messages by id (:class:`~.api_schedule.Scheduled`)."""

    # -- users and apps -------------------------------------------------------------------------
    def add_user(
        self, name: str, *, id: str | None = None, email: str | None = None, **fields: Any
    ) -> User:
        if any(u.name == name for u in self.users.values()):
            raise ValueError(f"user {name!r} exists")
        uid = self.ids.claim(id) if id else self.ids.new("U")
        user = User(id=uid, team_id=self.team_id, name=name, email=email, **fields)
        user.updated = int(self.clock.now())
        self.users[uid] = user
        return user

    def add_app(
        self,
        name: str,
        *,
        token: str,
        bot_user_id: str | None = None,
        app_id: str | None = None,
        bot_id: str | None = None,
    ) -> App:
        app = App(
            app_id=self.ids.claim(app_id) if app_id else self.ids.new("A"),
            bot_id=self.ids.claim(bot_id) if bot_id else self.ids.new("B"),
            bot_user_id="",
            name=name,
            token=token,
            updated=int(self.clock.now()),
            scopes=ALL_BOT_SCOPES,
        )
        user = self.add_user(
            name, id=bot_user_id, is_bot=True, bot_id=app.bot_id, app_id=app.app_id, real_name=name
        )
        app.bot_user_id = user.id
        self.apps[app.app_id] = app
        self.tokens[token] = Actor("bot", token, user.id, app)
        return app

    def user_token(self, user_id: str) -> str:
        token = f"xoxp-emulator-{user_id.lower()}"
        self.tokens[token] = Actor("user", token, user_id)
        return token

    def user(self, ref: str | User) -> User:
        if isinstance(ref, User):
            return ref
        if ref in self.users:
            return self.users[ref]
        name = ref.removeprefix("@")
        for user in self.users.values():
            if user.name == name or (user.email and user.email == ref):
                return user
        raise ApiError("user_not_found")

    # -- channels -------------------------------------------------------------------------------
    def add_channel(
        self,
        name: str,
        *,
        members: list[str] | None = None,
        private: bool = False,
        id: str | None = None,
        creator: str | None = None,
        **fields: Any,
    ) -> Channel:
        name = name.removeprefix("#")
        if any(c.name == name for c in self.channels.values() if c.kind != "im"):
            raise ValueError(f"channel {name!r} exists")
        cid = self.ids.claim(id) if id else self.ids.new("G" if private else "C")
        member_ids = {self.user(m).id for m in members or []}
        owner = creator or (sorted(member_ids)[0] if member_ids else "USLACKBOT")
        channel = Channel(
            cid,
            name,
            "private" if private else "public",
            int(self.clock.now()),
            owner,
            member_ids,
            **fields,
        )
        self.channels[cid] = channel
        return channel

    def default_channel(self) -> str:
        """The ``is_general`` channel (else the first public one)."""
        public = [c for c in self.channels.values() if c.kind == "public"]
        chosen = next((c for c in public if c.is_general), public[0] if public else None)
        if chosen is None:
            raise ApiError("channel_not_found")
        return chosen.id

    def open_dm(self, a: str, b: str) -> Channel:
        """The DM between two users (created on first use). ``dm_user`` is the non-bot side."""
        ua, ub = self.user(a), self.user(b)
        for channel in self.channels.values():
            if channel.kind == "im" and channel.members == {ua.id, ub.id}:
                return channel
        other = ub if ua.is_bot else ua
        cid = self.ids.new("D")
        channel = Channel(
            cid, cid, "im", int(self.clock.now()), ua.id, {ua.id, ub.id}, dm_user=other.id
        )
        self.channels[cid] = channel
        return channel

    def open_mpim(self, users: list[str]) -> Channel:
        ids = {self.user(u).id for u in users}
        for channel in self.channels.values():
            if channel.kind == "mpim" and channel.members == ids:
                return channel
        names = "-".join(sorted(self.users[i].name for i in ids))
        cid = self.ids.new("G")
        channel = Channel(
            cid, f"mpdm-{names}-1", "mpim", int(self.clock.now()), sorted(ids)[0], ids
        )
        self.channels[cid] = channel
        return channel

    def channel(self, ref: str, *, viewer: str | None = None) -> Channel:
        """Look a channel up by id or ``#name``; private ones are invisible to non-members."""
        channel = self.channels.get(ref)
        if channel is None:
            name = ref.removeprefix("#")
            channel = next(
                (c for c in self.channels.values() if c.kind != "im" and c.name == name), None
            )
        if channel is None:
            raise ApiError("channel_not_found")
        if viewer is not None and channel.kind != "public" and viewer not in channel.members:
            raise ApiError("channel_not_found")
        return channel

    # -- messages -------------------------------------------------------------------------------
    def store(self, channel: Channel, message: Message, *, broadcast: bool = False) -> Message:
        channel.messages[message.ts] = message
        if message.is_reply:
            parent = channel.messages[message.thread_ts or ""]
            parent.thread_ts = parent.ts
            parent.reply_ts.append(message.ts)
            message.parent_user_id = parent.user
        if not message.is_reply or broadcast:
            micros = parse_ts(message.ts)
            at = bisect.bisect(channel.timeline, micros)
            channel.timeline.insert(at, micros)
            channel.timeline_ts.insert(at, message.ts)
        return message

    def message(self, channel: Channel, ts: str) -> Message:
        found = channel.messages.get(ts)
        if found is None:
            raise ApiError("message_not_found")
        return found

    def find_message(self, ts: str, channel: str | None = None) -> tuple[Channel, Message]:
        candidates = [self.channel(channel)] if channel else list(self.channels.values())
        for chan in candidates:
            if ts in chan.messages:
                return chan, chan.messages[ts]
        for eph in self.ephemerals:
            if eph.ts == ts and (channel is None or eph.channel == candidates[0].id):
                return self.channels[eph.channel], eph
        raise ApiError("message_not_found")

    def replies_of(self, channel: Channel, parent: Message) -> list[Message]:
        return [channel.messages[t] for t in parent.reply_ts if t in channel.messages]

    def render(self, channel: Channel, message: Message, *, include_metadata: bool = True) -> JSON:
        replies = self.replies_of(channel, message) if message.reply_ts else None
        return message.to_api(include_metadata=include_metadata, replies=replies)

    def remove(self, channel: Channel, message: Message) -> None:
        """Delete a message; a parent with live replies turns into a tombstone, as in Slack."""
        if message.reply_ts and self.replies_of(channel, message):
            message.subtype, message.text, message.blocks = (
                "tombstone",
                "This message was deleted.",
                None,
            )
            message.user, message.bot_id, message.files = "USLACKBOT", None, []
            message.extra["hidden"] = True
            return
        del channel.messages[message.ts]
        if message.is_reply:
            parent = channel.messages.get(message.thread_ts or "")
            if parent is not None and message.ts in parent.reply_ts:
                parent.reply_ts.remove(message.ts)
        if message.ts in channel.timeline_ts:
            at = channel.timeline_ts.index(message.ts)
            del channel.timeline[at], channel.timeline_ts[at]

    def timeline(self, channel: Channel) -> list[Message]:
        return [channel.messages[t] for t in channel.timeline_ts]
