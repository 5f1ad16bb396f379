"""chat.scheduleMessage, chat.scheduledMessages.list, chat.deleteScheduledMessage.

A scheduled message is posted (with its events) once the emulator clock reaches ``post_at``:
checked on every Web API call, whenever a :class:`~.clock.FakeClock` advances, and by a timer
on the event loop for the system clock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from .args import ApiRequest
from .core import Core
from .errors import ApiError
from .models import JSON, Actor
from .posting import Content, ensure_can_post, new_message, publish, resolve_target, thread_parent
from .registry import Table

METHODS = Table()
MAX_AHEAD = 120 * 24 * 3600  # Slack schedules up to 120 days ahead


@dataclass
class Scheduled:
    id: str
    channel: str
    post_at: int
    date_created: int
    author: Actor
    text: str
    blocks: list[JSON] | None = None
    attachments: list[JSON] | None = None
    metadata: JSON | None = None
    thread_ts: str | None = None
    broadcast: bool = False
    extra: JSON = field(default_factory=dict)

    def to_api(self) -> JSON:
        return {
            "id": self.id,
            "channel_id": self.channel,
            "post_at": self.post_at,
            "date_created": self.date_created,
            "text": self.text,
        }


def _post_at(req: ApiRequest, now: float) -> int:
    raw = req.required("post_at")
    try:
        post_at = int(float(raw))
    except ValueError as exc:
        raise ApiError("invalid_time") from exc
    if post_at <= now:
        raise ApiError("time_in_past")
    if post_at > now + MAX_AHEAD:
        raise ApiError("time_too_far")
    return post_at


def deliver_due(core: Core) -> int:
    """Post every scheduled message (of every team) whose time has come; returns how many."""
    posted = 0
    for team_id in list(core.workspaces):
        with core.in_team(team_id):
            posted += _deliver_due_here(core)
    return posted


def _deliver_due_here(core: Core) -> int:
    now = core.clock.now()
    due = sorted(
        (s for s in core.ws.scheduled.values() if s.post_at <= now), key=lambda s: s.post_at
    )
    for item in due:
        del core.ws.scheduled[item.id]
        channel = core.ws.channels.get(item.channel)
        if channel is None or item.author.token not in core.ws.tokens:
            continue  # the channel or the installation went away: Slack drops it too
        if item.thread_ts and item.thread_ts not in channel.messages:
            continue
        message = new_message(
            core,
            channel,
            author=item.author,
            text=item.text,
            blocks=item.blocks,
            attachments=item.attachments,
            metadata=item.metadata,
            thread_ts=item.thread_ts,
        )
        publish(core, channel, message, broadcast=item.broadcast and bool(item.thread_ts))
    return len(due)


def _arm(core: Core, post_at: int) -> None:
    """A loop timer for wall clocks (a fake clock calls :func:`deliver_due` as it moves)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    loop.call_later(max(0.0, post_at - core.clock.now()) + 0.01, deliver_due, core)


@METHODS.method("chat.scheduleMessage")
async def schedule_message(core: Core, req: ApiRequest) -> JSON:
    actor = req.actor
    channel = resolve_target(core, req, actor)
    post_at = _post_at(req, core.clock.now())
    content = Content(req, truncate=True, strict=core.config.strict)
    ensure_can_post(channel, actor)
    thread_ts = req.get_str("thread_ts") or None
    thread_parent(core, channel, thread_ts)
    item = Scheduled(
        id=core.ids.new("Q"),
        channel=channel.id,
        post_at=post_at,
        date_created=int(core.clock.now()),
        author=actor,
        text=content.text,
        blocks=content.blocks,
        attachments=content.attachments,
        metadata=content.metadata or None,
        thread_ts=thread_ts,
        broadcast=req.get_bool("reply_broadcast"),
    )
    core.ws.scheduled[item.id] = item
    _arm(core, post_at)
    preview: JSON = {"type": "message", "text": item.text, "user": actor.user_id}
    if actor.app is not None:
        preview.update(
            bot_id=actor.app.bot_id,
            app_id=actor.app.app_id,
            bot_profile=actor.app.bot_profile(core.ws.team_id),
        )
    if item.blocks is not None:
        preview["blocks"] = item.blocks
    preview["team"] = core.ws.team_id
    return {
        "channel": channel.id,
        "scheduled_message_id": item.id,
        "post_at": post_at,
        "message": preview,
        **content.response_metadata(),
    }


@METHODS.method("chat.scheduledMessages.list")
async def list_scheduled(core: Core, req: ApiRequest) -> JSON:
    channel = req.get_str("channel") or None
    if channel is not None:
        channel = core.ws.channel(channel, viewer=req.actor.user_id).id
    mine = [
        s
        for s in sorted(core.ws.scheduled.values(), key=lambda s: s.post_at)
        if s.author.user_id == req.actor.user_id and channel in (None, s.channel)
    ]
    return {
        "scheduled_messages": [s.to_api() for s in mine],
        "response_metadata": {"next_cursor": ""},
    }


@METHODS.method("chat.deleteScheduledMessage")
async def delete_scheduled(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    item = core.ws.scheduled.get(req.required("scheduled_message_id"))
    if item is None or item.channel != channel.id or item.author.user_id != req.actor.user_id:
        raise ApiError("invalid_scheduled_message_id")
    del core.ws.scheduled[item.id]
    return {}
