"""Reactions, the assistant pane and modals: Slack deliveries → botkit events.

- ``reaction_added``/``reaction_removed`` on a message → ``ReactionEvent`` in the message's
  conversation (its thread found from what the bot posted, else one ``conversations.replies``
  read; the bot's own reactions are skipped).
- ``assistant_thread_started`` / ``assistant_thread_context_changed`` → ``ThreadStartedEvent``
  (after offering the configured suggested prompts on a start).
- ``view_submission`` → ``ModalSubmitEvent``, dispatched while Slack waits for the ack, so
  the handlers' per-field errors go back as ``response_action: errors``; handlers still
  running near Slack's 3-second deadline finish after an empty ack. ``view_closed`` →
  ``ModalCloseEvent``. Only views botkit opened (its ``private_metadata``) are routed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from botkit.events import ModalCloseEvent, ModalSubmitEvent, ReactionEvent, ThreadStartedEvent
from botkit.types import Conversation, MessageRef
from botkit_slack.client import slack_error
from botkit_slack.conversations import SlackRoute
from botkit_slack.render.modal import modal_origin, modal_values

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from botkit.adapter import BotHandle
    from botkit_slack.conversations import Conversations
    from botkit_slack.directory import Directory
    from botkit_slack.history import HistoryCache, Identity
    from botkit_slack.ingress.events import Routing

__all__ = ["FeatureEvents", "ThreadOf"]

log = logging.getLogger("botkit.slack")
ThreadOf = Callable[[str, str], Awaitable[str | None]]
"""The thread a message (channel, ts) sits in (None: top level or unknown)."""
ACK_BUDGET = 2.5  # seconds of Slack's 3 spent waiting for a modal's handlers


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


class FeatureEvents:
    """Mixed into ``EventBuilder`` (which provides what is declared here)."""

    thread_of: ThreadOf | None = None
    bot: BotHandle
    routing: Routing
    directory: Directory
    conversations: Conversations
    history: HistoryCache
    platform: str
    _not_agent_app = False  # logged once that prompts need the Agents & AI Apps feature

    @property
    def identity(self) -> Identity:
        raise NotImplementedError

    def first_sight(self, key: str, ttl: float = 3600.0) -> bool:
        raise NotImplementedError

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> Any:
        raise NotImplementedError

    def _team(self, *candidates: Any) -> str:
        raise NotImplementedError

    # -- reactions ---------------------------------------------------------------------
    def on_reaction(self, event: Mapping[str, Any], body: Mapping[str, Any]
                    ) -> None:
        item = event.get("item")
        user = _text(event.get("user"))
        if not isinstance(item, Mapping) or item.get("type") != "message" or not user or \
                user == self.identity.user_id:
            return
        channel, ts = _text(item.get("channel")), _text(item.get("ts"))
        key = _text(body.get("event_id")) or \
            f"{event.get('type')}:{channel}:{ts}:{user}:{event.get('reaction')}"
        if channel and ts and self.first_sight(key):
            self._spawn(self._reaction(key, event, channel, ts, user, body))

    async def _reaction(self, key: str, event: Mapping[str, Any], channel: str,
                        ts: str, user: str, body: Mapping[str, Any]) -> None:
        thread = await self.thread_of(channel, ts) if self.thread_of else None
        route = SlackRoute(recipient_user_id=user, recipient_team_id=self._team(
            body.get("team_id")))
        conversation = self.conversations.open(channel, thread or ts, route=route, raw=event)
        await self.bot.dispatch(ReactionEvent(
            platform=self.platform, event_id=key, conversation=conversation,
            user=await self.directory.get(user), emoji=_text(event.get("reaction")),
            message=MessageRef(id=ts, channel=channel),
            added=event.get("type") != "reaction_removed", raw=event))

    # -- the assistant pane ------------------------------------------------------------
    async def on_assistant_thread(self, event: Mapping[str, Any]) -> None:
        """A person opened the assistant pane (offer the configured prompts), or moved
        while it is open: an event for ``on_thread_started`` handlers either way."""
        thread = event.get("assistant_thread")
        if not isinstance(thread, Mapping):
            return
        channel, thread_ts = _text(thread.get("channel_id")), _text(thread.get("thread_ts"))
        user = _text(thread.get("user_id"))
        if not channel or not thread_ts:
            return
        changed = event.get("type") == "assistant_thread_context_changed"
        if not changed:  # a new thread: its root (the chat's title) is kept out of history,
            self.history.seed_thread(channel, {  # so there is nothing to read from Slack
                "type": "message", "subtype": "assistant_app_thread", "ts": thread_ts,
                "user": user})
        route = SlackRoute(recipient_user_id=user or None, message_ts=thread_ts)
        conversation = self.conversations.open(channel, thread_ts, route=route,
                                               is_direct=True, raw=event)
        prompts, offer = self.routing.suggested_prompts, self.routing.offer_prompts
        if prompts and offer is not None and not changed:
            try:
                await offer(conversation, prompts)
            except Exception as exc:
                error = slack_error(exc)
                if error != "not_agent_app":
                    log.info("could not offer suggested prompts: %s", error)
                elif not self._not_agent_app:  # no Agents & AI Apps feature
                    self._not_agent_app = True
                    log.debug("suggested prompts need the app's Agents & AI Apps feature "
                              "(not_agent_app); not offered")
        context = thread.get("context")
        key = f"assistant:{event.get('type')}:{channel}:{thread_ts}:{event.get('event_ts')}"
        if user and self.first_sight(key):
            self._spawn(self._thread_started(key, conversation, user, context, changed, event))

    def assistant_thread_soon(self, event: Mapping[str, Any]) -> None:
        """``on_assistant_thread`` in the background (acked first, as Bolt acks first)."""
        self._spawn(self.on_assistant_thread(event))

    async def _thread_started(self, key: str, conversation: Conversation,
                              user: str, context: Any, changed: bool,
                              event: Mapping[str, Any]) -> None:
        await self.bot.dispatch(ThreadStartedEvent(
            platform=self.platform, event_id=key, conversation=conversation,
            user=await self.directory.get(user),
            context=dict(context) if isinstance(context, Mapping) else {},
            context_changed=changed, raw=event))

    # -- modals ------------------------------------------------------------------------
    def _modal_conversation(self, body: Mapping[str, Any]
                            ) -> tuple[Conversation, str, str, str] | None:
        view, user = body.get("view"), body.get("user")
        origin = modal_origin(view) if isinstance(view, Mapping) else None
        user_id = _text(user.get("id")) if isinstance(user, Mapping) else ""
        if origin is None or not user_id or not isinstance(view, Mapping):
            return None
        team = body.get("team")
        route = SlackRoute(recipient_user_id=user_id, recipient_team_id=self._team(
            team.get("id") if isinstance(team, Mapping) else None))
        conversation = self.conversations.open(origin.channel, origin.thread, route=route,
                                               raw=body)
        return conversation, user_id, _text(view.get("callback_id")), origin.metadata

    async def on_view_submission(self, body: Mapping[str, Any]
                                 ) -> dict[str, str]:
        """Dispatch a submission; returns the per-field errors to answer Slack with."""
        found = self._modal_conversation(body)
        view = body.get("view")
        if found is None or not isinstance(view, Mapping):
            return {}
        conversation, user, callback_id, metadata = found
        key = f"view:{view.get('id')}:{body.get('trigger_id') or view.get('hash')}"
        if not self.first_sight(key):
            return {}
        event = ModalSubmitEvent(
            platform=self.platform, event_id=key, conversation=conversation,
            user=await self.directory.get(user), callback_id=callback_id,
            values=modal_values(view), metadata=metadata, raw=body)

        async def handled() -> None:
            try:
                await self.bot.dispatch(event)
            except Exception:
                log.exception("handling a modal submission failed")

        task = self.bot.spawn(handled())
        done, _ = await asyncio.wait({task}, timeout=ACK_BUDGET)
        if not done:
            log.warning("the on_modal_submit handler for %r took over %.1f s: Slack was "
                        "answered before it finished (its errors cannot show)", callback_id,
                        ACK_BUDGET)
            return {}
        return dict(event.reply.errors)

    def on_view_closed(self, body: Mapping[str, Any]) -> None:
        found = self._modal_conversation(body)
        view = body.get("view")
        if found is None or not isinstance(view, Mapping):
            return
        conversation, user, callback_id, metadata = found
        key = f"view_closed:{view.get('id')}"
        if self.first_sight(key):
            self._spawn(self._closed(key, conversation, user, callback_id, metadata, body))

    async def _closed(self, key: str, conversation: Conversation, user: str,
                      callback_id: str, metadata: str, body: Mapping[str, Any]) -> None:
        await self.bot.dispatch(ModalCloseEvent(
            platform=self.platform, event_id=key, conversation=conversation,
            user=await self.directory.get(user), callback_id=callback_id, metadata=metadata,
            raw=body))
