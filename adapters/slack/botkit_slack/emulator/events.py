"""Events API fan-out: which events a change raises and their ``event_callback`` envelopes."""

from __future__ import annotations

import random
from collections import deque
from typing import Any

from .core import DEFAULT_SUBSCRIPTIONS, Core
from .models import JSON, Message
from .posting import mentions
from .store import Channel

#: Keys of a message that Slack repeats in ``app_mention`` (when present).
_MENTION_KEYS = (
    "subtype",
    "user",
    "bot_id",
    "bot_profile",
    "text",
    "files",
    "upload",
    "display_as_bot",
    "ts",
    "client_msg_id",
    "team",
    "blocks",
    "attachments",
    "edited",
    "thread_ts",
    "parent_user_id",
)
_MESSAGE_SUBSCRIPTION = {
    "public": "message.channels",
    "private": "message.groups",
    "im": "message.im",
    "mpim": "message.mpim",
}


class Events:
    """Builds inner events for the app and hands their envelopes to the dispatcher."""

    def __init__(self, core: Core, subscriptions: frozenset[str] = DEFAULT_SUBSCRIPTIONS) -> None:
        self.core = core
        self.subscriptions = set(subscriptions)
        self._recent: deque[float] = deque()
        self._limited_minute = -1
        self.order = random.Random(core.config.event_seed)

    def envelope(self, event: JSON) -> JSON:
        core = self.core
        return {
            **core.event_base(),
            "event": event,
            "type": "event_callback",
            "event_id": core.ids.new("Ev"),
            "event_time": int(core.clock.now()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": core.ws.team_id,
                    "user_id": core.app.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": "4-" + core.ids.secret(8),
        }

    def emit(self, event: JSON, subscription: str | None = None) -> JSON | None:
        """Send ``event`` if the app subscribes to it; returns the envelope (or ``None``)."""
        if (subscription or event["type"]) not in self.subscriptions:
            return None
        if self.core.ws.uninstalled:  # an app removed from a team hears nothing from it
            return None
        if self._over_volume_limit():
            return None
        envelope = self.envelope(event)
        self.core.dispatcher.send_event(envelope)
        return envelope

    def _over_volume_limit(self) -> bool:
        """Slack's 30,000 events/hour/workspace cap: past it events are dropped and the app gets
        an ``app_rate_limited`` callback (at most one per minute)."""
        now = self.core.clock.now()
        recent = self._recent
        while recent and recent[0] <= now - 3600:
            recent.popleft()
        if len(recent) < self.core.config.events_per_hour:
            recent.append(now)
            return False
        minute = int(now // 60 * 60)
        if minute != self._limited_minute:
            self._limited_minute = minute
            self.core.dispatcher.send_event(
                {
                    "token": self.core.verification_token,
                    "type": "app_rate_limited",
                    "team_id": self.core.ws.team_id,
                    "minute_rate_limited": minute,
                    "api_app_id": self.core.app.app_id,
                }
            )
        return True

    def _visible(self, channel: Channel) -> bool:
        return self.core.app.bot_user_id in channel.members

    def _message_event(self, channel: Channel, body: JSON) -> JSON:
        body.update(
            channel=channel.id,
            event_ts=body.get("event_ts", body.get("ts")),
            channel_type=channel.channel_type,
        )
        return body

    def _mentions_app(self, channel: Channel, message: Message) -> bool:
        """Slack sends ``app_mention`` for any message naming the bot outside DMs, people's
        and other apps' alike, but not for the app's own messages."""
        app = self.core.app
        return (
            channel.kind != "im"
            and message.bot_id != app.bot_id
            and app.bot_user_id in mentions(message.text)
        )

    def _app_mention(self, channel: Channel, body: JSON) -> JSON:
        mention: JSON = {"type": "app_mention"}
        mention.update({key: body[key] for key in _MENTION_KEYS if key in body})
        mention.setdefault("blocks", [])
        mention.update(channel=channel.id, event_ts=body["ts"])
        return mention

    def _send_in_order(self, message_event: JSON, subscription: str, mention: JSON) -> None:
        """Slack gives no order between ``message`` and ``app_mention``; neither does this."""
        order = self.core.config.event_order
        mention_first = order == "mention_first" or (
            order == "random" and self.order.random() < 0.5
        )
        if mention_first:
            self.emit(mention)
        self.emit(message_event, subscription)
        if not mention_first:
            self.emit(mention)

    def message_posted(self, channel: Channel, message: Message) -> None:
        """``message`` (and ``app_mention`` when the message names the bot outside DMs)."""
        if not self._visible(channel):
            return
        body = message.to_api()
        event = self._message_event(channel, body)
        subscription = _MESSAGE_SUBSCRIPTION[channel.kind]
        if self._mentions_app(channel, message):
            self._send_in_order(event, subscription, self._app_mention(channel, message.to_api()))
        else:
            self.emit(event, subscription)

    def message_changed(self, channel: Channel, previous: JSON, message: Message, ts: str) -> None:
        """``message_changed``; an edited message that names the bot also re-sends
        ``app_mention`` with ``edited`` and a new ``event_id`` (same ``ts``), as Slack does."""
        if not self._visible(channel):
            return
        event = {
            "type": "message",
            "subtype": "message_changed",
            "hidden": True,
            "message": message.to_api(),
            "previous_message": previous,
            "ts": ts,
            "event_ts": ts,
        }
        event = self._message_event(channel, event)
        subscription = _MESSAGE_SUBSCRIPTION[channel.kind]
        if message.edited and self._mentions_app(channel, message):
            self._send_in_order(event, subscription, self._app_mention(channel, message.to_api()))
        else:
            self.emit(event, subscription)

    def message_deleted(self, channel: Channel, previous: JSON, ts: str) -> None:
        if not self._visible(channel):
            return
        event = {
            "type": "message",
            "subtype": "message_deleted",
            "hidden": True,
            "deleted_ts": previous["ts"],
            "previous_message": previous,
            "ts": ts,
            "event_ts": ts,
        }
        if previous.get("thread_ts") and previous.get("thread_ts") != previous["ts"]:
            event["thread_ts"] = previous["thread_ts"]
        self.emit(self._message_event(channel, event), _MESSAGE_SUBSCRIPTION[channel.kind])

    def reaction(
        self, added: bool, channel: Channel, message: Message, user: str, name: str
    ) -> None:
        if not self._visible(channel):
            return
        event: dict[str, Any] = {
            "type": "reaction_added" if added else "reaction_removed",
            "user": user,
            "reaction": name,
            "item_user": message.user,
            "item": {"type": "message", "channel": channel.id, "ts": message.ts},
            "event_ts": self.core.ws.ts.next(channel.id),
        }
        self.emit(event)

    def member_joined(self, channel: Channel, user: str, inviter: str | None = None) -> None:
        event = {
            "type": "member_joined_channel",
            "user": user,
            "channel": channel.id,
            "channel_type": "C" if channel.kind == "public" else "G",
            "team": self.core.ws.team_id,
            "event_ts": self.core.ws.ts.next(channel.id),
        }
        if inviter:
            event["inviter"] = inviter
        if self._visible(channel):
            self.emit(event)

    def assistant_thread_started(
        self, channel: Channel, user: str, thread_ts: str, context: JSON | None = None
    ) -> JSON | None:
        event = {
            "type": "assistant_thread_started",
            "assistant_thread": {
                "user_id": user,
                "context": context or {},
                "channel_id": channel.id,
                "thread_ts": thread_ts,
            },
            "event_ts": self.core.ws.ts.next(channel.id),
        }
        return self.emit(event)

    def app_home_opened(self, user: str, channel: Channel, tab: str = "home") -> JSON | None:
        event = {
            "type": "app_home_opened",
            "user": user,
            "channel": channel.id,
            "tab": tab,
            "event_ts": self.core.ws.ts.next(channel.id),
        }
        return self.emit(event)
