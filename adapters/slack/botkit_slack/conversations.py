"""Conversations on Slack: the conversation id, the DM rule, and how to answer each one.

A conversation is a channel, or a thread in one: id ``"<channel>:<thread_ts>"`` (or the
channel id for a flat DM). One the bot already posted into keeps its id, so a click lands in
the same conversation as its message.

``SlackRoute`` is what the adapter needs to answer and the core does not model: who asked
(native streams in channels need the recipient), the message that started the turn (the
"thinking" status sits on its thread) and whether that message is a new top-level one (its
thread has no history yet). Ingress records it; egress reads it with ``route(conversation)``.
``Conversation.raw`` carries the Slack payload only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botkit.types import Conversation, RawJson

__all__ = ["Conversations", "SlackRoute", "channel_type", "conversation_id",
           "is_direct_channel"]


def channel_type(channel: str) -> str:
    """Slack's channel type as far as the id tells: ``im`` (``D…``), ``group`` (``G…``: a
    private channel or a group DM) or ``channel``."""
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def is_direct_channel(channel: str, kind: str | None = None) -> bool:
    """A direct message with the bot (Slack's ``channel_type`` ``im``, or a ``D…`` id)."""
    return kind == "im" or channel_type(channel) == "im"


def conversation_id(channel: str, thread: str | None) -> str:
    return f"{channel}:{thread}" if thread else channel


@dataclass(frozen=True, kw_only=True)
class SlackRoute:
    """How to answer a conversation: the person who asked and the message that asked."""

    recipient_user_id: str | None = None
    recipient_team_id: str | None = None
    message_ts: str | None = None
    new_thread: bool = False


Key = tuple[str, str | None]


class Conversations:
    """The conversations this process has seen or posted into (bounded, newest kept): the
    id and the route of each, not the conversation with its Slack payload (thousands of
    those kept whole events, blocks and all)."""

    def __init__(self, *, max_kept: int = 5000) -> None:
        self.max_kept = max_kept
        self._known: OrderedDict[Key, tuple[str, SlackRoute]] = OrderedDict()
        self._bot_posted: OrderedDict[Key, None] = OrderedDict()

    def open(self, channel: str, thread: str | None, *, route: SlackRoute,
             is_direct: bool | None = None, raw: Mapping[str, Any] | None = None
             ) -> Conversation:
        """The conversation at (channel, thread), answered by ``route`` from now on."""
        known = self._known.get((channel, thread))
        conversation = Conversation(
            id=known[0] if known else conversation_id(channel, thread), channel=channel,
            thread=thread, is_direct=is_direct_channel(channel) if is_direct is None
            else is_direct, raw=raw if isinstance(raw, RawJson) else dict(raw or {}))
        self._keep(conversation, route)
        return conversation

    def remember(self, conversation: Conversation) -> Conversation:
        """Keep a conversation the core hands back (its route, if any, is kept too)."""
        self._keep(conversation, self.route(conversation))
        return conversation

    def route(self, conversation: Conversation) -> SlackRoute:
        """How to answer ``conversation``: as ingress recorded it, else who asked as far
        as the Slack message it carries tells (a turn this process did not receive, e.g.
        one the durable inbox hands over from a stopped process)."""
        known = self._known.get((conversation.channel, conversation.thread))
        if known:
            return known[1]
        user, team = conversation.raw.get("user"), conversation.raw.get("team")
        return SlackRoute(recipient_user_id=user if isinstance(user, str) else None,
                          recipient_team_id=team if isinstance(team, str) else None)

    def _keep(self, conversation: Conversation, route: SlackRoute) -> None:
        key = (conversation.channel, conversation.thread)
        self._known[key] = (conversation.id, route)
        self._known.move_to_end(key)
        while len(self._known) > self.max_kept:
            self._known.popitem(last=False)

    # -- where the bot has posted --------------------------------------------------------
    def bot_posted(self, channel: str, thread: str | None) -> None:
        self._bot_posted[(channel, thread)] = None
        self._bot_posted.move_to_end((channel, thread))
        while len(self._bot_posted) > 2 * self.max_kept:
            self._bot_posted.popitem(last=False)

    def has_bot_posted(self, channel: str, thread: str | None) -> bool:
        return (channel, thread) in self._bot_posted
