"""Events API deliveries over HTTP without Bolt (one workspace): ``EventsApi``.

Everything Slack posts to the Events URL as an ``event_callback`` (messages, mentions,
edits and deletes, reactions, the assistant pane) is routed here straight to the
``EventBuilder``, the way Bolt's listeners (``ingress.bolt.register``) route it, so an app
that only answers messages never imports Bolt (its import and its sync ``App`` are some
3 MB of a helpdesk's ~60). Bolt is built on the first delivery that needs it: a click, a
modal, a slash command, Slack's ``url_verification``. Installs in many workspaces (OAuth)
and Socket Mode keep Bolt for everything: there Bolt authorizes each request, or runs the
connection.

What Bolt did on this path and is done here too: the bot's own events are dropped (Bolt's
``IgnoringSelfEvents``: the acting user is the bot's user, or ``bot_id`` is the bot's, except
``member_joined_channel`` / ``member_left_channel``); without the durable inbox the ack goes
out before the work (the listeners only decide and spawn); with the inbox on, messages are
stored first (``DirectIntake``, unchanged) and the assistant pane's offer is awaited before
the ack, as Bolt did with ``process_before_response``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from botkit_slack.ingress.decide import CHANGE_SUBTYPES
from botkit_slack.ingress.direct import DIRECT_EVENTS

if TYPE_CHECKING:
    from botkit_slack.ingress.direct import DirectIntake
    from botkit_slack.ingress.events import EventBuilder

__all__ = ["EventsApi", "acting_user"]

log = logging.getLogger("botkit.slack")
REACTIONS = frozenset({"reaction_added", "reaction_removed"})
ASSISTANT = frozenset({"assistant_thread_started", "assistant_thread_context_changed"})
KEPT_SELF_EVENTS = frozenset({"member_joined_channel", "member_left_channel"})


def acting_user(payload: Mapping[str, Any]) -> str | None:
    """Who acts in ``payload`` (Bolt's ``extract_user_id``): its ``user`` (an id or
    ``{"id": …}``), ``user_id``, else the same of its ``event``, ``message`` (an edit) or
    ``previous_message`` (a delete)."""
    user = payload.get("user")
    if isinstance(user, str):
        return user
    if isinstance(user, Mapping) and "id" in user:
        found = user.get("id")
        return found if isinstance(found, str) else None
    if "user_id" in payload:
        found = payload.get("user_id")
        return found if isinstance(found, str) else None
    for inner in ("event", "message", "previous_message"):
        nested = payload.get(inner)
        if isinstance(nested, Mapping):
            return acting_user(nested)
    return None


class EventsApi:
    """Routes ``event_callback`` payloads to the ``EventBuilder`` (see the module doc)."""

    def __init__(self, events: EventBuilder, intake: DirectIntake | None = None) -> None:
        self.events = events
        self.intake = intake  # the durable inbox is on: messages are stored before the ack

    @staticmethod
    def takes(body: Any) -> bool:
        """Whether ``body`` (a parsed, well-shaped payload) is an Events API event."""
        return isinstance(body, Mapping) and body.get("type") == "event_callback" and \
            isinstance(body.get("event"), Mapping)

    def ignores(self, body: Any) -> bool:
        """An event ``handle`` would drop at once, told before the body's shape is checked
        (``shape.payload_problem`` walks every field): the bot's own (``from_self``), above
        all the message Slack echoes back for every reply the bot posts. With the inbox on,
        messages go to the intake even so (it keeps the history cache current with them)."""
        if not self.takes(body):
            return False
        kind = body["event"].get("type")
        if not isinstance(kind, str) or (self.intake is not None and kind in DIRECT_EVENTS):
            return False  # (a type that is not text: ``payload_problem`` answers it)
        return self.from_self(body)

    def from_self(self, body: Mapping[str, Any]) -> bool:
        """An event the bot caused itself (Bolt's ``IgnoringSelfEvents``)."""
        event: Mapping[str, Any] = body["event"]
        if event.get("type") in KEPT_SELF_EVENTS:
            return False
        identity = self.events.identity
        user, bot_id = acting_user(body), event.get("bot_id")
        return (user is not None and user == identity.user_id) or \
            (bot_id is not None and bot_id == identity.bot_id)

    async def handle(self, body: Mapping[str, Any], retry: int = 0) -> None:
        """Hand ``body`` on; returns once it may be acked. Raises only when a message could
        not be stored in the inbox (the caller answers 503: Slack sends it again)."""
        event: Mapping[str, Any] = body["event"]
        kind = event.get("type")
        if kind in DIRECT_EVENTS and self.intake is not None:
            await self.intake.admit(body, retry)  # as in Socket Mode's ack lane
            return
        if self.from_self(body):
            return
        if self.intake is not None and kind in ASSISTANT:
            await self.events.on_assistant_thread(event)  # Bolt awaited it before the ack
            return
        try:
            self._route(kind, event, body, retry)
        except Exception:  # acked all the same, as Bolt acked before its listeners ran
            log.exception("handling a Slack event failed")

    def _route(self, kind: Any, event: Mapping[str, Any], body: Mapping[str, Any],
               retry: int) -> None:
        events = self.events
        if kind in DIRECT_EVENTS:
            if event.get("subtype") in CHANGE_SUBTYPES:
                events.on_change(event)
            else:
                events.on_message(event, body, retry)
        elif kind in REACTIONS:
            events.on_reaction(event, body)
        elif kind in ASSISTANT:
            events.assistant_thread_soon(event)
