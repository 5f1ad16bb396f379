"""Slack deliveries → botkit events, handed to ``bot.dispatch`` in the background.

Bolt acks first; the listeners here only decide (``ingress.decide``), drop duplicates seen
in this process, and spawn the work (resolving the person, building the event, dispatching)
with ``bot.spawn``. The core dedups again by event id, for bots sharing a store.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from botkit.events import CommandEvent, InteractionEvent, MessageEvent
from botkit.types import Conversation, MessageRef
from botkit_slack.ingress import Click, Decision, decide, decode_click
from botkit_slack.text import to_plain

if TYPE_CHECKING:
    from botkit.adapter import BotHandle
    from botkit_slack.adapter import SlackAdapter
    from botkit_slack.history import Identity

__all__ = ["Inbound"]

log = logging.getLogger("botkit.slack")
_MENTION_ID = re.compile(r"<@([UW][A-Z0-9]+)")


class Inbound:
    def __init__(self, adapter: SlackAdapter, bot: BotHandle, identity: Identity) -> None:
        self.adapter = adapter
        self.bot = bot
        self.identity = identity
        self.platform = adapter.platform
        self._seen: OrderedDict[str, float] = OrderedDict()
        self.duplicates = 0

    def first_sight(self, key: str, ttl: float = 3600.0) -> bool:
        """False for an event id already handled here (a retry or redelivery)."""
        now = time.monotonic()
        while self._seen and (len(self._seen) > 20_000 or
                              now - next(iter(self._seen.values())) > ttl):
            self._seen.popitem(last=False)
        if key in self._seen:
            self.duplicates += 1
            return False
        self._seen[key] = now
        return True

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        async def safely() -> None:
            try:
                await coro
            except Exception:
                log.exception("handling a Slack event failed")

        self.bot.spawn(safely())

    async def plain(self, text: str) -> str:
        """Slack wire text for people and agents (mentions resolved to names)."""
        users = self.adapter.users
        for uid in set(_MENTION_ID.findall(text)) - {self.identity.user_id}:
            await users.get(uid)
        return to_plain(text, bot_user_id=self.identity.user_id, name_of=users.cached_name)

    # -- messages ----------------------------------------------------------------------
    def on_message(self, event: Mapping[str, Any], body: Mapping[str, Any], retry: int) -> None:
        decision = decide(event, bot_user_id=self.identity.user_id,
                          respond_to=self.adapter.settings.respond_to)
        if decision is None:
            return
        if not self.first_sight(decision.event_id):
            log.debug("duplicate delivery of %s (retry %d) ignored", decision.event_id, retry)
            return
        self._spawn(self._turn(decision, event, body))

    async def _turn(self, d: Decision, event: Mapping[str, Any], body: Mapping[str, Any]) -> None:
        adapter = self.adapter
        if d.needs_bot_reply and not await adapter.bot_replied(d.channel, d.thread):
            return
        team = str(event.get("team") or body.get("team_id") or self.identity.team_id)
        new_thread = d.thread == d.ts  # a top-level message the bot answers in its thread
        conversation = adapter.conversation(d.channel, d.thread, is_direct=d.is_direct, raw={
            "recipient_user_id": d.user, "recipient_team_id": team, "message_ts": d.ts,
            "new_thread": new_thread})
        files = event.get("files") or ()
        await self.bot.dispatch(MessageEvent(
            platform=self.platform, event_id=d.event_id, conversation=conversation,
            user=await adapter.users.get(d.user),
            text=await self.plain(str(event.get("text", ""))),
            ref=MessageRef(id=d.ts, channel=d.channel), mentioned=d.mentioned,
            attachments=await adapter.files.attachments(files) if new_thread and files
            else adapter.files.describe(files), raw=event))

    def on_change(self, event: Mapping[str, Any]) -> None:
        """Someone edited or deleted a message: read that part of history again."""
        message = event.get("message") or event.get("previous_message") or {}
        if self.identity.is_own(message):
            return  # the bot's own edits: the adapter already accounted for them
        ts = str(message.get("ts") or event.get("deleted_ts") or "")
        if ts:
            thread = message.get("thread_ts") or ts
            self.adapter.history.invalidate(str(event.get("channel", "")), str(thread), ts)

    # -- clicks and commands -----------------------------------------------------------
    def on_click(self, body: Mapping[str, Any]) -> None:
        click = decode_click(body)
        if click is None or not self.first_sight(click.event_id):
            return
        self._spawn(self._click(click, body))

    async def _click(self, click: Click, body: Mapping[str, Any]) -> None:
        team = str((body.get("team") or {}).get("id") or self.identity.team_id)
        conversation = self.adapter.conversation(
            click.channel, click.thread, is_direct=click.channel.startswith("D"),
            raw={"recipient_user_id": click.user, "recipient_team_id": team})
        ref = MessageRef(id=click.message_ts, channel=click.channel) if click.message_ts else None
        await self.bot.dispatch(InteractionEvent(
            platform=self.platform, event_id=click.event_id, conversation=conversation,
            user=await self.adapter.users.get(click.user), action_id=click.action_id,
            value=click.value, message=ref, raw=body))

    def on_command(self, body: Mapping[str, Any]) -> None:
        key = f"cmd:{body.get('trigger_id') or body.get('command')}:{body.get('user_id')}"
        if self.first_sight(key):
            self._spawn(self._command(key, body))

    async def _command(self, key: str, body: Mapping[str, Any]) -> None:
        channel = str(body.get("channel_id") or "")
        conversation = self.adapter.conversation(
            channel, None, is_direct=channel.startswith("D"),
            raw={"recipient_user_id": body.get("user_id"),
                 "recipient_team_id": body.get("team_id")})
        await self.bot.dispatch(CommandEvent(
            platform=self.platform, event_id=key, conversation=conversation,
            user=await self.adapter.users.get(str(body.get("user_id"))),
            command=str(body.get("command") or ""), text=str(body.get("text") or ""), raw=body))

    async def on_assistant_thread(self, event: Mapping[str, Any]) -> None:
        """A person opened the assistant pane: offer the configured prompts."""
        thread = event.get("assistant_thread") or {}
        prompts = self.adapter.settings.suggested_prompts
        if prompts and thread.get("channel_id"):
            conversation = Conversation(id="", channel=str(thread["channel_id"]),
                                        thread=thread.get("thread_ts"), is_direct=True)
            await self.adapter.set_suggested_prompts(conversation, prompts)
