"""A conversation's history from Slack, read incrementally and translated for the core.

Threads come from ``conversations.replies`` (every page, not only the last 200), flat DMs and
channels from ``conversations.history`` (newest ``flat_limit``). What was read is cached per
conversation; later turns ask only for messages newer than the newest one seen
(``oldest=<ts>``).

Once read, a conversation is *synced*: the events the adapter receives anyway (people's and
other apps' messages, edits and deletes, with the ``message.*`` subscriptions the manifest
asks for) and the bot's own posts and edits (the ``message`` in Slack's answer) keep it
current, so later turns read it without calling Slack at all. That matters for apps outside
the Marketplace, where ``conversations.replies`` allows one call a minute. A thread the bot
starts (a new top-level mention) is synced from its first message. When the cache cannot be
kept exact (an edit whose new text Slack did not return), the conversation is invalidated
from that ``ts`` on and the next read fetches that part again.

The bot stores its tool calls and results, and a "status" flag, in message metadata
(:mod:`botkit_slack.metadata`); ``translate`` turns them back into
``ThreadMessage.agent_messages`` and ``is_status``. Metadata is trusted only on the bot's own
messages.

The cache keeps of each message only what ``translate`` reads (``slim``): not Slack's whole
payload (its ``blocks`` when there is text, ``bot_profile`` icons, team and client ids…), so a
busy workspace's history costs a fraction of the memory. ``ThreadMessage.raw`` of a message
read from history is that slim record.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from botkit.types import Attachment, PlatformUser, ThreadMessage
from botkit_slack import metadata as meta
from botkit_slack.client import RateLimiter
from botkit_slack.directory import Directory
from botkit_slack.render.text import blocks_text, to_plain

__all__ = ["Attachments", "HistoryCache", "Identity", "slim", "translate", "translate_all"]

_KEPT_SUBTYPES = {None, "file_share", "thread_broadcast", "bot_message", "me_message"}
# not kept: joins, topic changes, and the assistant pane's thread root (``assistant_app_thread``,
# authored by the person but only the chat's title, not something they said to the bot)

_KEPT_FIELDS = ("ts", "thread_ts", "subtype", "user", "bot_id", "username", "text", "metadata",
                "files")

Key = tuple[str, str | None]
Attachments = Callable[[Sequence[Mapping[str, Any]]], Awaitable[Sequence[Attachment]]]
"""A message's Slack ``files`` as attachments (``Files.attachments``)."""


def slim(message: Mapping[str, Any]) -> dict[str, Any]:
    """What the cache keeps of a Slack message: the fields ``translate`` and the cache read
    (``_KEPT_FIELDS``), the bot profile's ``name``, and the ``blocks`` only when there is no
    text to read instead."""
    kept = {key: message[key] for key in _KEPT_FIELDS if message.get(key) is not None}
    profile = message.get("bot_profile")
    if isinstance(profile, Mapping) and profile.get("name"):
        kept["bot_profile"] = {"name": profile["name"]}
    if message.get("blocks") and not str(message.get("text") or "").strip():
        kept["blocks"] = message["blocks"]
    return kept


@dataclass(slots=True)
class _Entry:
    """One conversation's cached history (hundreds are kept: its lock and its set of
    partial messages are made when first needed)."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    synced: bool = False
    """Read from Slack and kept current by events since: a read needs no call."""
    partial: set[str] | None = None
    """Messages known only from ``app_mention`` (their ``message`` event replaces them)."""
    _lock: asyncio.Lock | None = None

    @property
    def lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def mark_partial(self, ts: str, partial: bool) -> None:
        if partial:
            if self.partial is None:
                self.partial = set()
            self.partial.add(ts)
        elif self.partial is not None:
            self.partial.discard(ts)

    @property
    def latest(self) -> str | None:
        return max(self.messages, key=float) if self.messages else None


class HistoryCache:
    def __init__(self, client: AsyncWebClient, *, page_size: int = 200, flat_limit: int = 100,
                 max_conversations: int = 500, limiter: RateLimiter | None = None) -> None:
        self.client = client
        self.limiter = limiter if limiter is not None else RateLimiter()  # empty is falsy
        self.page_size = page_size
        self.flat_limit = flat_limit
        self.max_conversations = max_conversations
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self.served_from_events = 0

    def _entry(self, key: Key) -> _Entry:
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry()
            while len(self._entries) > self.max_conversations:
                self._entries.popitem(last=False)
        self._entries.move_to_end(key)
        return entry

    async def read(self, channel: str, thread: str | None) -> list[dict[str, Any]]:
        """Raw Slack messages of the conversation, oldest first (fetching only what is new)."""
        entry = self._entry((channel, thread))
        async with entry.lock:
            if entry.synced:
                self.served_from_events += 1
            elif thread:
                await self._fetch_thread(entry, channel, thread)
            else:
                await self._fetch_flat(entry, channel)
            return [entry.messages[ts] for ts in sorted(entry.messages, key=float)]

    async def _fetch_thread(self, entry: _Entry, channel: str, thread: str) -> None:
        oldest = entry.latest
        cursor: str | None = None
        while True:
            await self.limiter.take("conversations.replies")
            page: Any = await self.client.conversations_replies(
                channel=channel, ts=thread, limit=self.page_size, cursor=cursor,
                oldest=oldest, include_all_metadata=True)
            for message in page.get("messages") or ():
                entry.messages[str(message["ts"])] = slim(message)
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or not page.get("has_more", True):
                entry.synced = True
                return

    async def _fetch_flat(self, entry: _Entry, channel: str) -> None:
        oldest = entry.latest
        cursor: str | None = None
        fetched = 0
        while fetched < self.flat_limit:
            await self.limiter.take("conversations.history")
            page: Any = await self.client.conversations_history(
                channel=channel, limit=min(self.page_size, self.flat_limit - fetched),
                cursor=cursor, oldest=oldest, include_all_metadata=True)
            for message in page.get("messages") or ():
                entry.messages[str(message["ts"])] = slim(message)
                fetched += 1
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor or not page.get("has_more"):
                break
        self._trim(entry)
        entry.synced = True

    def _trim(self, entry: _Entry) -> None:
        for ts in sorted(entry.messages, key=float)[: -self.flat_limit or None]:
            del entry.messages[ts]

    # -- kept current from events and the bot's own posts -------------------------------
    def _synced_entries(self, channel: str, message: Mapping[str, Any]) -> list[
            tuple[_Entry, bool]]:
        """The synced entries ``message`` belongs to: its thread's, and the flat channel's
        for a top-level message or a broadcast reply (with True: the flat one)."""
        ts = str(message.get("ts") or "")
        thread = str(message.get("thread_ts") or "") or ts
        keys: list[tuple[Key, bool]] = [((channel, thread), False)]
        if thread == ts or message.get("subtype") == "thread_broadcast":
            keys.append(((channel, None), True))
        return [(entry, flat) for key, flat in keys
                if (entry := self._entries.get(key)) is not None and entry.synced]

    def _put(self, channel: str, message: Mapping[str, Any], *, partial: bool = False,
             replace: bool = True) -> None:
        ts = str(message.get("ts") or "")
        if not ts:
            return
        for entry, flat in self._synced_entries(channel, message):
            if ts in entry.messages and not replace and ts not in (entry.partial or ()):
                continue
            entry.messages[ts] = slim(message)
            entry.mark_partial(ts, partial)
            if flat:
                self._trim(entry)

    def observe(self, channel: str, message: Mapping[str, Any], *, partial: bool = False
                ) -> None:
        """A message Slack announced (``message`` or, ``partial``, ``app_mention``). An
        announcement never replaces a copy the adapter has (its own, possibly newer)."""
        self._put(channel, message, partial=partial, replace=False)

    def changed(self, channel: str, message: Mapping[str, Any]) -> None:
        """A ``message_changed`` event: the message as it is now (a conversation not synced
        forgets it and what followed, to read it again)."""
        ts = str(message.get("ts") or "")
        thread = str(message.get("thread_ts") or "") or ts
        for (chan, thr), entry in self._entries.items():
            if chan == channel and thr in (thread, None) and not entry.synced:
                for stale in [t for t in entry.messages if float(t) >= float(ts)]:
                    del entry.messages[stale]
        self._put(channel, message)

    def deleted(self, channel: str, ts: str) -> None:
        for (chan, _), entry in self._entries.items():
            if chan == channel:
                entry.messages.pop(ts, None)

    def seed_thread(self, channel: str, root: Mapping[str, Any]) -> None:
        """A thread that starts with ``root`` now (a new top-level message): synced."""
        ts = str(root.get("ts") or "")
        if ts:
            entry = self._entry((channel, ts))
            if not entry.messages:
                entry.messages[ts] = slim(root)
                entry.mark_partial(ts, True)
                entry.synced = True

    def own(self, channel: str, thread: str | None, message: Mapping[str, Any] | None, *,
            ts: str, metadata: Mapping[str, Any] | None = None) -> None:
        """The bot posted or edited ``ts``; ``message`` is Slack's copy from the answer, with
        ``metadata`` as sent when the copy lacks it. No copy: read that part again."""
        if not isinstance(message, Mapping) or str(message.get("ts") or ts) != ts:
            self.invalidate(channel, thread, ts)
            return
        copy = dict(message)
        copy.setdefault("ts", ts)
        if thread and thread != ts:
            copy.setdefault("thread_ts", thread)
        if "metadata" not in copy:
            kept = next((e.messages[ts].get("metadata") for e, _ in
                         self._synced_entries(channel, copy) if ts in e.messages), None)
            if metadata or kept:
                copy["metadata"] = metadata or kept
        self._put(channel, copy)

    def resync(self, channel: str, thread: str | None) -> None:
        """Read what is new from Slack on the next read (events may have been missed)."""
        entry = self._entries.get((channel, thread))
        if entry is not None:
            entry.synced = False

    def resync_all(self) -> None:
        """Read what is new from Slack on every conversation's next read: a new Socket Mode
        connection may follow a gap in which events were not delivered."""
        for entry in self._entries.values():
            entry.synced = False

    def invalidate(self, channel: str, thread: str | None, from_ts: str) -> None:
        """Forget what was read of ``channel`` (one thread, or all of it when ``thread`` is
        None) from ``from_ts`` on, so the next read fetches it again."""
        start = float(from_ts)
        for (chan, thr), entry in list(self._entries.items()):
            if chan != channel or (thread is not None and thr not in (thread, None)):
                continue
            for ts in [t for t in entry.messages if float(t) >= start]:
                del entry.messages[ts]
            entry.synced = False

    def known(self, channel: str, thread: str | None) -> bool:
        entry = self._entries.get((channel, thread))
        return entry is not None and bool(entry.messages)

    def has_own_message(self, channel: str, thread: str | None, identity: Identity) -> bool:
        entry = self._entries.get((channel, thread))
        return entry is not None and any(identity.is_own(m) for m in entry.messages.values())


@dataclass(frozen=True)
class Identity:
    """The bot on Slack: its user id (``U…``), bot id (``B…``) and ``PlatformUser``."""

    user_id: str
    bot_id: str
    user: PlatformUser
    team_id: str = ""

    def is_own(self, message: Mapping[str, Any]) -> bool:
        return bool(message.get("bot_id") == self.bot_id
                    or (message.get("user") == self.user_id and self.user_id))


def translate(
    message: Mapping[str, Any],
    identity: Identity,
    *,
    author: PlatformUser | None = None,
    attachments: Sequence[Attachment] = (),
    name_of: Any = None,
) -> ThreadMessage | None:
    """One Slack message as a ``ThreadMessage`` (None for joins, edits and other noise)."""
    if message.get("subtype") not in _KEPT_SUBTYPES:
        return None
    ts = str(message.get("ts", ""))
    if identity.is_own(message):
        agent, status = meta.decode(message.get("metadata"))
        text = str(message.get("text") or "")
        if not text.strip() and message.get("blocks"):
            text = blocks_text(message["blocks"])
        return ThreadMessage(id=ts, text=text, user=identity.user, is_bot=True, ts=float(ts),
                             is_status=status, agent_messages=agent, raw=dict(message))
    text = to_plain(str(message.get("text") or ""), bot_user_id=identity.user_id,
                    name_of=name_of)
    if message.get("bot_id"):
        profile = message.get("bot_profile") or {}
        author = author or PlatformUser(
            id=str(message.get("user") or message["bot_id"]),
            name=profile.get("name") or message.get("username"), is_bot=True)
        return ThreadMessage(id=ts, text=text, user=author, is_bot=True, ts=float(ts),
                             raw=dict(message))
    user = author or PlatformUser(id=str(message.get("user", "")))
    return ThreadMessage(id=ts, text=text, user=user, ts=float(ts),
                         attachments=tuple(attachments), raw=dict(message))


async def translate_all(raws: Sequence[Mapping[str, Any]], identity: Identity,
                        users: Directory, attachments: Attachments) -> list[ThreadMessage]:
    """Slack messages (oldest first) as ``ThreadMessage``: authors and the people they
    mention looked up (cached), files fetched; joins, edits and other noise left out."""
    out: list[ThreadMessage] = []
    for raw in raws:
        own = identity.is_own(raw)
        author = None
        files: Sequence[Attachment] = ()
        if not own:
            if raw.get("user") and not raw.get("bot_id"):
                author = await users.get(raw["user"])
            if raw.get("files"):
                files = await attachments(raw["files"])
            await users.learn(str(raw.get("text") or ""))  # so mentions show as names
        message = translate(raw, identity, author=author, attachments=files,
                            name_of=users.cached_name)
        if message is not None:
            out.append(message)
    return out
