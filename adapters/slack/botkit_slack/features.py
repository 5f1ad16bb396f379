"""Slack's side of the capability-gated calls: reactions, the assistant thread's status,
prompts and title, modals, scheduled messages and DMs.

Each call raises on failure (``SlackApiError``, ``AdapterError``, ``UserError`` for
misuse); the core's ``Thread`` turns failures into ``False``/``None`` and logs them.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from botkit.errors import AdapterError, UserError
from botkit.events import Event
from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.inputs import Modal
from botkit.ui.nodes import Message
from botkit_slack.client import slack_error
from botkit_slack.conversations import Conversations, SlackRoute, channel_type
from botkit_slack.egress import Egress, _clean, message_content
from botkit_slack.render.modal import modal_view

__all__ = ["SlackFeatures"]

log = logging.getLogger("botkit.slack")
MAX_PROMPTS = 4
MAX_LOADING_MESSAGES = 10
MAX_TITLE = 80


class SlackFeatures:
    def __init__(self, api: AsyncWebClient, conversations: Conversations, egress: Egress
                 ) -> None:
        self.api = api
        self.conversations = conversations
        self.egress = egress

    async def thread_of(self, channel: str, ts: str) -> str | None:
        """The thread of message ``ts``: known when the bot posted it, else read (one
        ``conversations.replies``; None when it is top level or cannot be read)."""
        posted = self.egress.posted(ts)
        if posted is not None:
            return posted.thread
        try:
            response: Any = await self.api.conversations_replies(channel=channel, ts=ts,
                                                                 limit=1)
        except Exception as exc:
            log.debug("could not find the thread of %s: %s", ts, slack_error(exc))
            return None
        messages = response.get("messages") or []
        thread = messages[0].get("thread_ts") if messages else None
        return thread if isinstance(thread, str) else None

    def _thread_ts(self, conversation: Conversation, what: str) -> str:
        thread = conversation.thread or self.conversations.route(conversation).message_ts
        if not thread:
            raise AdapterError(f"Slack shows {what} only in a thread", platform="slack")
        return str(thread)

    # -- reactions ---------------------------------------------------------------------
    async def react(self, conversation: Conversation, ref: MessageRef, emoji: str, *,
                    add: bool) -> None:
        call = self.api.reactions_add if add else self.api.reactions_remove
        await call(channel=ref.channel or conversation.channel, timestamp=ref.id,
                   name=emoji.strip(":"))

    # -- the assistant thread ----------------------------------------------------------
    async def set_status(self, conversation: Conversation, text: str,
                         loading_messages: Sequence[str]) -> None:
        extra: dict[str, Any] = {}
        if loading_messages:
            extra["loading_messages"] = list(loading_messages)[:MAX_LOADING_MESSAGES]
        await self.api.assistant_threads_setStatus(
            channel_id=conversation.channel, thread_ts=self._thread_ts(conversation, "a status"),
            status=text, **extra)

    async def set_suggested_prompts(self, conversation: Conversation,
                                    prompts: Sequence[tuple[str, str]],
                                    title: str | None = None) -> None:
        await self.api.assistant_threads_setSuggestedPrompts(
            channel_id=conversation.channel,
            thread_ts=self._thread_ts(conversation, "suggested prompts"), title=title,
            prompts=[{"title": t, "message": m} for t, m in prompts][:MAX_PROMPTS])

    async def set_title(self, conversation: Conversation, title: str) -> None:
        """Titles exist only for assistant threads (a thread in the bot's DM); elsewhere
        the title lives in ``bot.threads`` alone."""
        if channel_type(conversation.channel) != "im" or not conversation.thread:
            return
        await self.api.assistant_threads_setTitle(
            channel_id=conversation.channel, thread_ts=conversation.thread,
            title=title[:MAX_TITLE])

    # -- modals, scheduling, DMs -------------------------------------------------------
    async def open_modal(self, conversation: Conversation, event: Event, modal: Modal) -> None:
        trigger = event.raw.get("trigger_id")
        if not isinstance(trigger, str) or not trigger:
            raise UserError("on Slack a modal opens only in answer to a click or a slash "
                            "command (they carry the trigger_id Slack requires), within 3 "
                            "seconds of it")
        await self.api.views_open(trigger_id=trigger, view=modal_view(
            modal, channel=conversation.channel, thread=conversation.thread))

    async def schedule(self, conversation: Conversation, message: Message,
                       post_at: datetime.datetime) -> str:
        content = message_content(message)  # no data tables: scheduled, not retried
        response: Any = await self.api.chat_scheduleMessage(
            channel=conversation.channel, post_at=int(post_at.timestamp()),
            thread_ts=conversation.thread, **_clean(content))
        return str(response["scheduled_message_id"])

    async def open_dm(self, user: PlatformUser) -> Conversation:
        response: Any = await self.api.conversations_open(users=user.id)
        channel = response.get("channel")
        channel_id = channel.get("id") if isinstance(channel, dict) else None
        if not isinstance(channel_id, str) or not channel_id:
            raise AdapterError("conversations.open answered without a channel", platform="slack")
        return self.conversations.open(channel_id, None,
                                       route=SlackRoute(recipient_user_id=user.id),
                                       is_direct=True)
