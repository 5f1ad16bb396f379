"""Slack deliveries → botkit events, dispatched through the bot handle in the background.

Bolt acks first; the listeners decide (``decide``), drop duplicates seen in this process,
and spawn the work (resolving the person, building the event, dispatching). The core dedups
again by event id, for bots sharing a store. With the durable inbox on, a message's work is
awaited by its listener instead (no task in between: the ack path is a few loop iterations
shorter) and Bolt acks after it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botkit.events import CommandEvent, InteractionEvent, MessageEvent
from botkit.types import Conversation, MessageRef, RawJson
from botkit_slack.conversations import Conversations, SlackRoute
from botkit_slack.directory import Directory
from botkit_slack.files import FileStore
from botkit_slack.history import HistoryCache, Identity
from botkit_slack.ingress.decide import Click, Decision, RespondTo, decide, decode_click
from botkit_slack.ingress.features import FeatureEvents
from botkit_slack.ingress.seen import SeenIds

__all__ = ["EventBuilder", "Routing"]

if TYPE_CHECKING:
    from botkit.adapter import BotHandle

log = logging.getLogger("botkit.slack")


@dataclass(frozen=True)
class Routing:
    """The options that decide what is answered, and what greets a new assistant thread."""

    respond_to: RespondTo
    suggested_prompts: Sequence[tuple[str, str]] = ()
    offer_prompts: Callable[[Conversation, Sequence[tuple[str, str]]], Awaitable[None]] | None \
        = None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class EventBuilder(FeatureEvents):
    def __init__(self, bot: BotHandle, identity: Identity | Callable[[], Identity],
                 routing: Routing, *,
                 directory: Directory, files: FileStore, conversations: Conversations,
                 history: HistoryCache, platform: str = "slack") -> None:
        self.bot = bot
        self._identity = identity
        self.routing = routing
        self.directory = directory
        self.files = files
        self.conversations = conversations
        self.history = history
        self.platform = platform
        self.seen = SeenIds()
        self.before_rebuild: Callable[[], None] | None = None
        """Run on the bot's loop before a stored delivery is rebuilt (``DirectIntake``
        sets it: the cache updates its ack lane queued)."""

    @property
    def identity(self) -> Identity:
        """The bot in the workspace being served (per workspace with OAuth installs)."""
        return self._identity if isinstance(self._identity, Identity) else self._identity()

    dedup_ttl = 3600.0
    """How long an answered message is remembered here (edits older than this are ignored)."""

    def first_sight(self, key: str, ttl: float | None = None) -> bool:
        """False for an event id already handled here (a retry or redelivery)."""
        return self.seen.first_sight(key, self.dedup_ttl if ttl is None else ttl)

    def forget(self, key: str) -> None:
        """Take back ``first_sight`` (the delivery was not stored: its redelivery is new)."""
        self.seen.forget(key)

    @property
    def duplicates(self) -> int:
        """Deliveries taken for duplicates here."""
        return self.seen.duplicates

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[Any]:
        async def safely() -> None:
            try:
                await coro
            except Exception:
                log.exception("handling a Slack event failed")

        return self.bot.spawn(safely())

    def _team(self, *candidates: Any) -> str:
        """The first team id given, else the bot's own workspace."""
        return next((c for c in candidates if isinstance(c, str) and c), self.identity.team_id)

    # -- messages ----------------------------------------------------------------------
    def on_message(self, event: Mapping[str, Any], body: Mapping[str, Any], retry: int
                   ) -> Awaitable[None] | None:
        """Decide, and dispatch in the background. With the durable inbox on, the work is
        returned instead, for the listener to await before Bolt acks: it ends once the
        message is stored, and a failure to store it reaches Bolt (no ack: Slack sends it
        again) rather than a log line after an ack."""
        channel = _text(event.get("channel"))
        if channel and not event.get("edited"):
            self.history.observe(channel, event, partial=event.get("type") == "app_mention")
        decision = decide(event, bot_user_id=self.identity.user_id,
                          respond_to=self.routing.respond_to, now=time.time(),
                          edit_window=self.dedup_ttl)
        if decision is None:
            return None
        if not self.first_sight(decision.event_id):
            log.debug("duplicate delivery of %s (retry %d) ignored", decision.event_id, retry)
            return None
        if self.bot.durable_intake:
            return self._stored(decision, event, body)
        return self.bot.spawn(self._turn(decision, event, body))

    async def _stored(self, d: Decision, event: Mapping[str, Any], body: Mapping[str, Any]
                      ) -> None:
        try:
            message = await self.message_event(d, event, body)
            del event, body  # the turn in flight keeps the message event only
            if message is not None:
                await self.bot.dispatch(message)
        except BaseException:
            self.forget(d.event_id)  # its redelivery must not look like a duplicate
            raise

    async def bot_replied(self, channel: str, thread: str | None) -> bool:
        """Whether the bot has posted in this thread (remembered, else read from Slack)."""
        if self.conversations.has_bot_posted(channel, thread):
            return True
        await self.history.read(channel, thread)
        if self.history.has_own_message(channel, thread, self.identity):
            self.conversations.bot_posted(channel, thread)
            return True
        return False

    async def _turn(self, d: Decision, event: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        """A message's work in the background: the task's only frame of the ingress while
        the turn runs and waits (seconds, for a paced reply), holding the message event
        only (no wrapper coroutine and closure around it, not the delivery)."""
        try:
            message = await self.message_event(d, event, body)
            del event, body
            if message is not None:
                await self.bot.dispatch(message)
        except Exception:
            log.exception("handling a Slack event failed")

    async def message_event(self, d: Decision, event: Mapping[str, Any],
                            body: Mapping[str, Any]) -> MessageEvent | None:
        """The event of a message ``decide`` answers (None: a thread reply the bot has not
        replied in yet, with ``after_bot_reply``): who sent it, its text with mentions
        spelled out, its files (Slack calls, as needed)."""
        if d.needs_bot_reply and not await self.bot_replied(d.channel, d.thread):
            return None
        route = SlackRoute(recipient_user_id=d.user,
                           recipient_team_id=self._team(event.get("team"), body.get("team_id")),
                           message_ts=d.ts, new_thread=d.new_thread)
        raw = RawJson.of(event)  # decoded when read: most turns never read it
        conversation = self.conversations.open(d.channel, d.thread, route=route,
                                               is_direct=d.is_direct, raw=raw)
        if d.new_thread and not event.get("edited"):
            self.history.seed_thread(d.channel, event)
        files = [f for f in event.get("files") or () if isinstance(f, Mapping)]
        return MessageEvent(
            platform=self.platform, event_id=d.event_id, conversation=conversation,
            user=await self.directory.get(d.user),
            text=await self.directory.plain(_text(event.get("text")),
                                            bot_user_id=self.identity.user_id),
            ref=MessageRef(id=d.ts, channel=d.channel), mentioned=d.mentioned,
            attachments=await self.files.attachments(files) if d.new_thread and files
            else self.files.describe(files), raw=raw)

    async def rebuild(self, payload: Mapping[str, Any]) -> MessageEvent | None:
        """The event of a message stored as it came (``DirectIntake``), in the inbox's
        consumer: decided again (as when it arrived), then built as ``message_event``."""
        if self.before_rebuild is not None:
            self.before_rebuild()  # the cache updates the ack lane queued: this one first
        event, received = payload.get("event"), payload.get("received")
        if not isinstance(event, Mapping):
            return None
        decision = decide(event, bot_user_id=self.identity.user_id,
                          respond_to=self.routing.respond_to,
                          now=float(received) if isinstance(received, int | float) else None,
                          edit_window=self.dedup_ttl)
        return None if decision is None else await self.message_event(decision, event, payload)

    def on_change(self, event: Mapping[str, Any]) -> None:
        """Someone edited or deleted a message: keep the cached history current."""
        message = event.get("message") or event.get("previous_message") or {}
        if not isinstance(message, Mapping) or self.identity.is_own(message):
            return  # the bot's own edits: the adapter already accounted for them
        ts = _text(message.get("ts")) or _text(event.get("deleted_ts"))
        channel = _text(event.get("channel"))
        if not ts or not channel:
            return
        try:
            float(ts)
        except ValueError:  # not a Slack ts
            log.debug("ignored a change of a message with ts %r", ts)
            return
        if event.get("subtype") == "message_deleted":
            self.history.deleted(channel, _text(event.get("deleted_ts")) or ts)
        else:
            self.history.changed(channel, message)

    # -- clicks and commands -----------------------------------------------------------
    def on_click(self, body: Mapping[str, Any]) -> None:
        click = decode_click(body)
        if click is None or not self.first_sight(click.event_id):
            return
        self._spawn(self._click(click, body))

    async def _click(self, click: Click, body: Mapping[str, Any]) -> None:
        team = body.get("team")
        route = SlackRoute(recipient_user_id=click.user, recipient_team_id=self._team(
            team.get("id") if isinstance(team, Mapping) else None))
        conversation = self.conversations.open(click.channel, click.thread, route=route,
                                               raw=body)
        ref = MessageRef(id=click.message_ts, channel=click.channel) if click.message_ts else None
        await self.bot.dispatch(InteractionEvent(
            platform=self.platform, event_id=click.event_id, conversation=conversation,
            user=await self.directory.get(click.user), action_id=click.action_id,
            value=click.value, message=ref, raw=body))

    def on_command(self, body: Mapping[str, Any]) -> None:
        user, channel = _text(body.get("user_id")), _text(body.get("channel_id"))
        if not user or not channel:
            return
        key = f"cmd:{body.get('trigger_id') or body.get('command')}:{user}"
        if self.first_sight(key):
            self._spawn(self._command(key, user, channel, body))

    async def _command(self, key: str, user: str, channel: str, body: Mapping[str, Any]) -> None:
        route = SlackRoute(recipient_user_id=user,
                           recipient_team_id=self._team(body.get("team_id")))
        conversation = self.conversations.open(channel, None, route=route, raw=body)
        await self.bot.dispatch(CommandEvent(
            platform=self.platform, event_id=key, conversation=conversation,
            user=await self.directory.get(user), command=_text(body.get("command")),
            text=_text(body.get("text")), raw=body))
