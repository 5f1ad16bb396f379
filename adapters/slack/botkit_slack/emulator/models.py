"""The emulated workspace's records: users, apps, channels, messages, files, views, call logs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]


def clone(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars), much cheaper than deepcopy."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


ChannelKind = Literal["public", "private", "im", "mpim"]


@dataclass
class User:
    id: str
    team_id: str
    name: str
    real_name: str = ""
    email: str | None = None
    is_bot: bool = False
    bot_id: str | None = None
    app_id: str | None = None
    is_admin: bool = False
    deleted: bool = False
    tz: str = "Europe/London"
    tz_offset: int = 0
    display_name: str = ""
    updated: int = 0

    def to_api(self) -> JSON:
        real_name = self.real_name or self.name
        profile: JSON = {
            "avatar_hash": "g0000000000",
            "status_text": "",
            "status_emoji": "",
            "real_name": real_name,
            "display_name": self.display_name,
            "real_name_normalized": real_name,
            "display_name_normalized": self.display_name,
            "team": self.team_id,
        }
        if self.email is not None:
            profile["email"] = self.email
        for size in (24, 32, 48, 72, 192, 512):
            profile[f"image_{size}"] = f"https://avatars.emulator.invalid/{self.id}_{size}.png"
        if self.is_bot:
            profile.update(bot_id=self.bot_id, api_app_id=self.app_id, always_active=True)
        return {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "deleted": self.deleted,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": self.tz_offset,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": self.updated,
            "has_2fa": False,
        }


@dataclass
class App:
    """An installed app with its bot user."""

    app_id: str
    bot_id: str
    bot_user_id: str
    name: str
    token: str
    updated: int = 0
    scopes: frozenset[str] = frozenset()
    """Granted bot scopes (set by the emulator; methods answer ``missing_scope`` without them)."""
    agent: bool = True
    """The "Agents & AI Apps" feature; without it assistant.threads.* answer ``not_agent_app``."""
    messages_tab: bool = True
    """App Home's Messages tab; without it posts into a DM answer ``messages_tab_disabled``."""

    def bot_profile(self, team_id: str) -> JSON:
        return {
            "id": self.bot_id,
            "app_id": self.app_id,
            "name": self.name,
            "icons": {"image_36": "", "image_48": "", "image_72": ""},
            "deleted": False,
            "updated": self.updated,
            "team_id": team_id,
        }


@dataclass
class Actor:
    """Who called a Web API method (resolved from the token)."""

    kind: Literal["bot", "user", "app"]
    token: str
    user_id: str
    app: App | None = None


@dataclass
class Stream:
    app_id: str
    started_at: float
    last_at: float
    state: str = "in_progress"
    recipient_user_id: str | None = None
    recipient_team_id: str | None = None
    chunks: list[JSON] = field(default_factory=list)


@dataclass
class Message:
    ts: str
    channel: str
    team: str
    text: str = ""
    user: str | None = None
    bot_id: str | None = None
    app_id: str | None = None
    bot_profile: JSON | None = None
    blocks: list[JSON] | None = None
    attachments: list[JSON] | None = None
    metadata: JSON | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    subtype: str | None = None
    client_msg_id: str | None = None
    files: list[str] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edited: JSON | None = None
    reply_ts: list[str] = field(default_factory=list)
    stream: Stream | None = None
    ephemeral_for: str | None = None
    username: str | None = None
    icon_emoji: str | None = None
    icon_url: str | None = None
    extra: JSON = field(default_factory=dict)

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(
        self, *, include_metadata: bool = True, replies: list[Message] | None = None
    ) -> JSON:
        """Slack's message object. ``replies`` (the thread's replies) fill the parent's counters."""
        body: JSON = {"type": "message"}
        if self.subtype:
            body["subtype"] = self.subtype
        body["text"] = self.text
        if self.user is not None:
            body["user"] = self.user
        body["ts"] = self.ts
        if self.client_msg_id:
            body["client_msg_id"] = self.client_msg_id
        if self.bot_id:
            body["bot_id"] = self.bot_id
            body["app_id"] = self.app_id
            if self.bot_profile:
                body["bot_profile"] = clone(self.bot_profile)
        for name in ("username", "icon_emoji", "icon_url"):
            if getattr(self, name):
                body[name] = getattr(self, name)
        body["team"] = self.team
        if self.blocks is not None:
            body["blocks"] = clone(self.blocks)
        if self.attachments:
            body["attachments"] = clone(self.attachments)
        if self.edited:
            body["edited"] = dict(self.edited)
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if self.is_reply and self.parent_user_id:
            body["parent_user_id"] = self.parent_user_id
        if replies:
            users = list(dict.fromkeys(r.user or r.bot_id or "" for r in replies))
            body.update(
                reply_count=len(replies),
                reply_users_count=len(users),
                latest_reply=replies[-1].ts,
                reply_users=users,
                is_locked=False,
                subscribed=False,
            )
        if self.reactions:
            body["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self.reactions.items()
                if users
            ]
        if self.stream is not None:
            body["streaming_state"] = self.stream.state
        if include_metadata and self.metadata:
            body["metadata"] = clone(self.metadata)
        body.update(clone(self.extra))
        return body


@dataclass
class FileObject:
    id: str
    name: str
    length: int
    user: str
    created: int
    title: str = ""
    alt_txt: str | None = None
    snippet_type: str | None = None
    data: bytes | None = None
    completed: bool = False
    upload_key: str = ""
    shares: dict[str, list[str]] = field(default_factory=dict)

    @property
    def filetype(self) -> str:
        _, dot, ext = self.name.rpartition(".")
        return ext.lower() if dot and ext else "binary"

    def to_api(self, team_id: str, base: str) -> JSON:
        url = f"{base}files/{self.id}/{self.name}"
        channels = [c for c in self.shares if c.startswith("C")]
        groups = [c for c in self.shares if c.startswith("G")]
        ims = [c for c in self.shares if c.startswith("D")]
        body: JSON = {
            "id": self.id,
            "created": self.created,
            "timestamp": self.created,
            "name": self.name,
            "title": self.title or self.name,
            "mimetype": "text/plain"
            if self.filetype in ("txt", "text")
            else "application/octet-stream",
            "filetype": self.filetype,
            "pretty_type": self.filetype.upper(),
            "user": self.user,
            "user_team": team_id,
            "editable": False,
            "size": len(self.data) if self.data is not None else self.length,
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": bool(channels),
            "public_url_shared": False,
            "display_as_bot": False,
            "url_private": url,
            "url_private_download": url + "?download=1",
            "permalink": f"{base}files/{self.id}/permalink",
            "channels": channels,
            "groups": groups,
            "ims": ims,
            "shares": {
                "public" if c.startswith("C") else "private": {c: [{"ts": ts} for ts in tss]}
                for c, tss in self.shares.items()
            },
            "has_rich_preview": False,
            "file_access": "visible",
        }
        if self.alt_txt:
            body["alt_txt"] = self.alt_txt
        return body
