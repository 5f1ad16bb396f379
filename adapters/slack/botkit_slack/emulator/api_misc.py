"""reactions.*, assistant.threads.*, apps.connections.open."""

from __future__ import annotations

import re
from typing import Any

from .. import limits as L
from .args import ApiRequest
from .core import Core
from .errors import ApiError
from .models import JSON
from .posting import edit
from .registry import Table

METHODS = Table()
_EMOJI = re.compile(r"[a-z0-9_+\-']+(::skin-tone-[2-6])?")


def _reaction_target(core: Core, req: ApiRequest) -> tuple[Any, Any, str]:
    if not req.has("timestamp") and not req.has("file"):
        raise ApiError("no_item_specified")
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    message = core.ws.message(channel, req.required("timestamp"))
    name = req.required("name")
    if not _EMOJI.fullmatch(name):
        raise ApiError("invalid_name")
    return channel, message, name


@METHODS.method("reactions.add")
async def reactions_add(core: Core, req: ApiRequest) -> JSON:
    channel, message, name = _reaction_target(core, req)
    users = message.reactions.setdefault(name, [])
    if req.actor.user_id in users:
        raise ApiError("already_reacted")
    if len(message.reactions) > 50:
        raise ApiError("too_many_emoji")
    users.append(req.actor.user_id)
    core.changed("message", message)
    core.events.reaction(True, channel, message, req.actor.user_id, name)
    return {}


@METHODS.method("reactions.remove")
async def reactions_remove(core: Core, req: ApiRequest) -> JSON:
    channel, message, name = _reaction_target(core, req)
    users = message.reactions.get(name, [])
    if req.actor.user_id not in users:
        raise ApiError("no_reaction")
    users.remove(req.actor.user_id)
    if not users:
        del message.reactions[name]
    core.changed("message", message)
    core.events.reaction(False, channel, message, req.actor.user_id, name)
    return {}


@METHODS.method("reactions.get")
async def reactions_get(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    message = core.ws.message(channel, req.required("timestamp"))
    return {
        "type": "message",
        "channel": channel.id,
        "message": core.ws.render(channel, message, include_metadata=False),
    }


def _thread(core: Core, req: ApiRequest, *, required: bool = True) -> tuple[str, str | None]:
    try:
        channel = core.ws.channel(req.required("channel_id"), viewer=req.actor.user_id)
    except ApiError as exc:
        if exc.code == "channel_not_found":
            raise ApiError("channel_not_found", detail="Invalid channel_id") from None
        raise
    thread_ts = req.required("thread_ts") if required else req.get_str("thread_ts")
    if thread_ts and thread_ts not in channel.messages:
        raise ApiError("invalid_thread_ts", detail="Invalid thread_ts")
    return channel.id, thread_ts


@METHODS.method("assistant.threads.setStatus")
async def set_status(core: Core, req: ApiRequest) -> JSON:
    if "status" not in req.args:
        raise ApiError("invalid_arguments", detail="status is required")
    channel, thread_ts = _thread(core, req)
    loading = req.get_json("loading_messages")
    if loading is not None and (
        not isinstance(loading, list)
        or len(loading) > L.MAX_LOADING_MESSAGES
        or any(not isinstance(m, str) or len(m) > L.MAX_LOADING_MESSAGE_TEXT for m in loading)
    ):
        raise ApiError("invalid_arguments", detail="loading_messages: up to 10 items of 50 chars")
    state = core.ws.assistant.setdefault((channel, thread_ts or ""), {})
    status = req.get_str("status") or ""
    if status:
        state["status"] = {
            "status": status,
            "loading_messages": loading or [],
            "set_at": core.clock.now(),
        }
    else:
        state.pop("status", None)
    core.changed("assistant", state)
    return {}


def _agent_app(req: ApiRequest) -> None:
    """Suggested prompts and titles need the app's "Agents & AI Apps" feature."""
    if req.actor.app is not None and not req.actor.app.agent:
        raise ApiError("not_agent_app")


@METHODS.method("assistant.threads.setSuggestedPrompts")
async def set_prompts(core: Core, req: ApiRequest) -> JSON:
    _agent_app(req)
    channel, thread_ts = _thread(core, req, required=False)
    prompts = req.get_json("prompts")
    if (
        not isinstance(prompts, list)
        or not prompts
        or len(prompts) > 4
        or any(
            not isinstance(p, dict) or not p.get("title") or not p.get("message") for p in prompts
        )
    ):
        raise ApiError("invalid_arguments", detail="prompts: 1 to 4 {title, message} objects")
    state = core.ws.assistant.setdefault((channel, thread_ts or ""), {})
    state["prompts"] = {"title": req.get_str("title"), "prompts": prompts}
    core.changed("assistant", state)
    return {}


@METHODS.method("assistant.threads.setTitle")
async def set_title(core: Core, req: ApiRequest) -> JSON:
    """Store the title; an ``assistant_app_thread`` root takes it as its text and title
    (``message_changed``, as Slack shows the renamed chat)."""
    _agent_app(req)
    channel, thread_ts = _thread(core, req)
    title = req.required("title")
    state = core.ws.assistant.setdefault((channel, thread_ts or ""), {})
    state["title"] = title
    chan = core.ws.channels[channel]
    root = chan.messages.get(thread_ts or "")
    if root is not None and root.subtype == "assistant_app_thread":
        thread_info = {**root.extra.get("assistant_app_thread", {}), "title": title}
        extra = {**root.extra, "assistant_app_thread": thread_info}
        edit(core, chan, root, editor=root.user, text=title, extra=extra)
    core.changed("assistant", state)
    return {}


@METHODS.method("apps.connections.open", tokens=frozenset({"app"}))
async def connections_open(core: Core, req: ApiRequest) -> JSON:
    return {"url": core.sockets.issue_url()}
