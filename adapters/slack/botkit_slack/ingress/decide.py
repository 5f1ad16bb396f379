"""What Slack delivers → what the bot answers: pure decisions, no I/O.

Routing (``RespondTo``): @-mentions are answered in a thread (or at top level with
``app_mentions="channel"``, or not at all with ``False``); DMs are answered; plain replies in
a channel thread are answered only with ``thread_replies="after_bot_reply"`` and only once the
bot has replied in that thread. Other bots' and the bot's own messages, edits, deletes and
other subtypes (but ``file_share`` and ``thread_broadcast``) are ignored; top-level chatter
in channels too.

One human message raises ``message`` and, with a mention, ``app_mention``, in no fixed order;
both map to the event id ``msg:<channel>:<ts>``, as do Slack's retries and Socket Mode
redeliveries, so the core's dedup runs the turn once.

Edits: Slack sends ``app_mention`` again (``edited``, a new ``event_id``, the same ``ts``) when
a message naming the bot is edited. The event id stays ``msg:<channel>:<ts>``, so a message is
answered once however often it is edited: an edit of an answered mention is a duplicate, an
edit that adds the mention to a message never answered is answered (once). Edits of messages
older than the dedup window (``edit_window``, one hour) are ignored, since whether they were
answered can no longer be told.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from botkit.errors import UserError
from botkit_slack.conversations import is_direct_channel
from botkit_slack.render.text import mentions_user

__all__ = ["CHANGE_SUBTYPES", "Click", "Decision", "RespondTo", "decide", "decode_click"]

_KEPT_SUBTYPES = {None, "file_share", "thread_broadcast"}
CHANGE_SUBTYPES = {"message_changed", "message_deleted"}


@dataclass(frozen=True, kw_only=True)
class RespondTo:
    """Which messages the bot answers."""

    direct_messages: bool = True
    app_mentions: Literal["thread", "channel", False] = "thread"
    thread_replies: Literal["mentions_only", "after_bot_reply"] = "mentions_only"

    def __post_init__(self) -> None:
        if not isinstance(self.direct_messages, bool):
            raise UserError("respond_to direct_messages must be True or False")
        if self.app_mentions is not False and self.app_mentions not in ("thread", "channel"):
            raise UserError('respond_to app_mentions must be "thread", "channel" or False')
        if self.thread_replies not in ("mentions_only", "after_bot_reply"):
            raise UserError('respond_to thread_replies must be "mentions_only" or '
                            '"after_bot_reply"')

    @classmethod
    def of(cls, value: RespondTo | Mapping[str, Any] | None) -> RespondTo:
        if value is None:
            return cls()
        if isinstance(value, RespondTo):
            return value
        if not isinstance(value, Mapping):
            raise UserError(f"respond_to must be a dict of options (direct_messages, "
                            f"app_mentions, thread_replies) or a RespondTo, not {value!r}; "
                            f'e.g. respond_to={{"thread_replies": "after_bot_reply"}}')
        try:
            return cls(**dict(value))
        except TypeError as exc:
            raise UserError(f"respond_to: {exc} (options: direct_messages, app_mentions, "
                            "thread_replies)") from exc


@dataclass(frozen=True, kw_only=True)
class Decision:
    """Answer this message: where the conversation is and whether it must be checked that
    the bot already replied in the thread (``after_bot_reply``)."""

    channel: str
    thread: str | None
    ts: str
    user: str
    is_direct: bool
    mentioned: bool = True
    needs_bot_reply: bool = False

    @property
    def event_id(self) -> str:
        return f"msg:{self.channel}:{self.ts}"

    @property
    def new_thread(self) -> bool:
        """A top-level message the bot answers in its thread."""
        return self.thread == self.ts


def _stale_edit(event: Mapping[str, Any], now: float | None, edit_window: float) -> bool:
    if not event.get("edited") or now is None:
        return False
    try:
        return now - float(str(event.get("ts"))) > edit_window
    except ValueError:
        return True


def decide(event: Mapping[str, Any], *, bot_user_id: str, respond_to: RespondTo,
           now: float | None = None, edit_window: float = 3600.0) -> Decision | None:
    """Whether (and where) to answer a ``message`` / ``app_mention`` event (``now``: the
    current unix time, for edits)."""
    if event.get("type") not in ("message", "app_mention"):
        return None
    if _stale_edit(event, now, edit_window):
        return None
    if event.get("subtype") not in _KEPT_SUBTYPES or event.get("hidden"):
        return None
    user = event.get("user")
    if not isinstance(user, str) or not user or event.get("bot_id") or \
            event.get("bot_profile") or user == bot_user_id:
        return None
    channel = str(event.get("channel") or "")
    ts = str(event.get("ts") or "")
    if not channel or not ts:
        return None
    thread_ts = event.get("thread_ts")
    thread = str(thread_ts) if thread_ts and thread_ts != ts else None
    if is_direct_channel(channel, event.get("channel_type")):
        if not respond_to.direct_messages:
            return None
        return Decision(channel=channel, thread=thread, ts=ts, user=user, is_direct=True)
    mentioned = event.get("type") == "app_mention" or mentions_user(
        str(event.get("text") or ""), bot_user_id)
    if mentioned:
        if respond_to.app_mentions is False:
            return None
        if thread is None and respond_to.app_mentions == "thread":
            thread = ts
        return Decision(channel=channel, thread=thread, ts=ts, user=user, is_direct=False)
    if thread is None or respond_to.thread_replies != "after_bot_reply":
        return None
    return Decision(channel=channel, thread=thread, ts=ts, user=user, is_direct=False,
                    needs_bot_reply=True)


@dataclass(frozen=True, kw_only=True)
class Click:
    """A ``block_actions`` payload, decoded."""

    channel: str
    thread: str | None
    message_ts: str | None
    user: str
    action_id: str
    value: Any
    event_id: str


def _action_value(action: Mapping[str, Any]) -> Any:
    kind = action.get("type")
    if kind == "button":
        raw = action.get("value")
        if not isinstance(raw, str):
            return raw
        try:
            return json.loads(raw)  # botkit buttons carry JSON values
        except ValueError:
            return raw
    if isinstance(action.get("selected_option"), Mapping):
        return action["selected_option"].get("value")
    if "selected_options" in action:
        return [o.get("value") for o in action["selected_options"] or ()
                if isinstance(o, Mapping)]
    for key in ("selected_user", "selected_conversation", "selected_channel", "selected_date",
                "selected_time", "value"):
        if key in action:
            return action[key]
    return None


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def decode_click(body: Mapping[str, Any]) -> Click | None:
    """A button press or menu choice, or None when ``body`` is not a usable one."""
    actions = body.get("actions")
    if body.get("type") != "block_actions" or not isinstance(actions, list) or not actions \
            or not isinstance(actions[0], Mapping):
        return None
    action = actions[0]
    container, message = _object(body.get("container")), _object(body.get("message"))
    channel = str(_object(body.get("channel")).get("id") or container.get("channel_id") or "")
    message_ts = message.get("ts") or container.get("message_ts")
    message_ts = str(message_ts) if message_ts else None
    thread_ts = message.get("thread_ts") or container.get("thread_ts")
    thread = str(thread_ts) if thread_ts and thread_ts != message_ts else None
    user = str(_object(body.get("user")).get("id") or "")
    if not channel or not user:
        return None
    action_ts = action.get("action_ts") or body.get("trigger_id") or ""
    return Click(channel=channel, thread=thread, message_ts=message_ts, user=user,
                 action_id=str(action.get("action_id") or ""), value=_action_value(action),
                 event_id=f"act:{channel}:{message_ts}:{action_ts}:{user}")
