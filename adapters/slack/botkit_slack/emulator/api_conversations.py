"""conversations.history / replies / info / list / members / open / join."""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any, TypeVar

from .args import ApiRequest
from .core import Core
from .errors import ApiError
from .ids import format_ts, parse_ts
from .models import JSON, Message
from .registry import Table
from .store import Channel, decode_cursor, encode_cursor

METHODS = Table()
T = TypeVar("T")
NON_MARKETPLACE_LIMIT = 15


def _ts_arg(req: ApiRequest, name: str, error: str) -> int | None:
    value = req.get_str(name)
    if value is None or value == "":
        return None
    try:
        return parse_ts(value)
    except ValueError as exc:
        raise ApiError(error) from exc


def _limit(core: Core, req: ApiRequest, default: int, maximum: int) -> int:
    if core.config.rate_limits.non_marketplace:
        default = maximum = NON_MARKETPLACE_LIMIT
    limit = req.get_int("limit", default)
    return default if limit <= 0 else min(limit, maximum)


def _in_window(micros: int, oldest: int | None, latest: int | None, inclusive: bool) -> bool:
    if oldest is not None and (micros < oldest or (micros == oldest and not inclusive)):
        return False
    return not (latest is not None and (micros > latest or (micros == latest and not inclusive)))


@METHODS.method("conversations.history")
async def history(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    if req.actor.user_id not in channel.members:
        raise ApiError("not_in_channel")
    oldest = _ts_arg(req, "oldest", "invalid_ts_oldest")
    latest = _ts_arg(req, "latest", "invalid_ts_latest")
    inclusive = req.get_bool("inclusive")
    limit = _limit(core, req, 100, 999)
    include_metadata = req.get_bool("include_all_metadata")
    start = len(channel.timeline)
    if req.has("cursor"):
        value = decode_cursor(req.required("cursor"), "next_ts")
        if not value.isdigit():
            raise ApiError("invalid_cursor")
        start = bisect.bisect_right(channel.timeline, int(value))
    picked: list[Message] = []
    has_more = False
    next_micros = 0
    for index in range(start - 1, -1, -1):
        micros = channel.timeline[index]
        if not _in_window(micros, oldest, latest, inclusive):
            if oldest is not None and micros <= oldest:
                break
            continue
        if len(picked) == limit:
            has_more, next_micros = True, micros
            break
        picked.append(channel.messages[channel.timeline_ts[index]])
    body: JSON = {
        "messages": [core.ws.render(channel, m, include_metadata=include_metadata) for m in picked],
        "has_more": has_more,
        "pin_count": 0,
        "channel_actions_ts": None,
        "channel_actions_count": 0,
        "response_metadata": {
            "next_cursor": encode_cursor("next_ts", next_micros) if has_more else ""
        },
    }
    if req.has("latest"):
        body["latest"] = req.get_str("latest")
    if req.has("oldest"):
        body["oldest"] = req.get_str("oldest")
    return body


@METHODS.method("conversations.replies")
async def replies(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    ts = req.required("ts")
    found = channel.messages.get(ts)
    if found is None:
        raise ApiError("thread_not_found")
    parent = channel.messages.get(found.thread_ts or "", found) if found.is_reply else found
    oldest = _ts_arg(req, "oldest", "invalid_ts_oldest")
    latest = _ts_arg(req, "latest", "invalid_ts_latest")
    inclusive = req.get_bool("inclusive")
    limit = _limit(core, req, 1000, 1000)
    include_metadata = req.get_bool("include_all_metadata")
    thread = [
        r
        for r in core.ws.replies_of(channel, parent)
        if _in_window(parse_ts(r.ts), oldest, latest, inclusive)
    ]
    first_page = not req.has("cursor")
    if first_page:
        start = 0
        room = limit - 1
    else:
        value = decode_cursor(req.required("cursor"), "next_ts")
        if not value.isdigit():
            raise ApiError("invalid_cursor")
        marks = [parse_ts(r.ts) for r in thread]
        start = bisect.bisect_left(marks, int(value))
        room = limit
    page = thread[start : start + room]
    has_more = start + room < len(thread)
    head = [parent] if first_page or core.config.replies_repeat_parent else []
    messages = [core.ws.render(channel, m, include_metadata=include_metadata) for m in head + page]
    next_cursor = encode_cursor("next_ts", parse_ts(thread[start + room].ts)) if has_more else ""
    return {
        "messages": messages,
        "has_more": has_more,
        "response_metadata": {"next_cursor": next_cursor},
    }


def _visible(core: Core, req: ApiRequest, channel: Channel) -> bool:
    return channel.kind == "public" or req.actor.user_id in channel.members


@METHODS.method("conversations.info")
async def info(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    body = channel.to_api(req.actor.user_id)
    if channel.kind != "im" and not req.get_bool("include_num_members"):
        body.pop("num_members", None)
    body["last_read"] = format_ts(channel.timeline[-1]) if channel.timeline else "0000000000.000000"
    return {"channel": body}


_TYPE_KINDS = {"public_channel": "public", "private_channel": "private", "im": "im", "mpim": "mpim"}


@METHODS.method("conversations.list")
async def list_channels(core: Core, req: ApiRequest) -> JSON:
    kinds = {_TYPE_KINDS.get(t, "?") for t in (req.get_list("types") or ["public_channel"])}
    skip_archived = req.get_bool("exclude_archived")
    found = [
        c
        for c in core.ws.channels.values()
        if c.kind in kinds and _visible(core, req, c) and not (skip_archived and c.is_archived)
    ]
    return _paged(req, found, "channels", lambda c: c.to_api(req.actor.user_id), lambda c: c.id)


@METHODS.method("users.conversations")
async def user_conversations(core: Core, req: ApiRequest) -> JSON:
    user = core.ws.user(req.get_str("user") or req.actor.user_id).id
    kinds = {_TYPE_KINDS.get(t, "?") for t in (req.get_list("types") or ["public_channel"])}
    found = [c for c in core.ws.channels.values() if c.kind in kinds and user in c.members]
    return _paged(req, found, "channels", lambda c: c.to_api(user), lambda c: c.id)


@METHODS.method("conversations.members")
async def members(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    return _paged(req, sorted(channel.members), "members", lambda m: m, lambda m: m)


@METHODS.method("conversations.open")
async def open_conversation(core: Core, req: ApiRequest) -> JSON:
    if req.has("channel"):
        channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
        return {"no_op": True, "already_open": True, "channel": {"id": channel.id}}
    users = req.get_list("users")
    if not users:
        raise ApiError("users_list_not_supplied")
    ids = [core.ws.user(u).id for u in users]
    existing = set(core.ws.channels)
    if len(ids) == 1:
        channel = core.ws.open_dm(req.actor.user_id, ids[0])
    else:
        channel = core.ws.open_mpim([req.actor.user_id, *ids])
    already = channel.id in existing
    body: JSON = {"no_op": already, "already_open": already, "channel": {"id": channel.id}}
    if req.get_bool("return_im"):
        body["channel"] = channel.to_api(req.actor.user_id)
    return body


@METHODS.method("conversations.join")
async def join(core: Core, req: ApiRequest) -> JSON:
    channel = core.ws.channel(req.required("channel"), viewer=req.actor.user_id)
    if channel.kind != "public":
        raise ApiError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise ApiError("is_archived")
    already = req.actor.user_id in channel.members
    channel.members.add(req.actor.user_id)
    if not already:
        core.events.member_joined(channel, req.actor.user_id)
    body: JSON = {"channel": channel.to_api(req.actor.user_id)}
    if already:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    return body


def _paged(
    req: ApiRequest, items: list[T], key: str, render: Callable[[T], Any], ident: Callable[[T], str]
) -> JSON:
    """Cursor pagination (``"<key>:<id>"`` cursors) over ``items``; no ``limit`` means all."""
    limit = req.get_int("limit", 0)
    start = 0
    if req.has("cursor"):
        marker = decode_cursor(req.required("cursor"), key)
        positions = [i for i, item in enumerate(items) if str(ident(item)) == marker]
        if not positions:
            raise ApiError("invalid_cursor")
        start = positions[0]
    end = len(items) if limit <= 0 else start + limit
    page = items[start:end]
    next_cursor = encode_cursor(key, str(ident(items[end]))) if end < len(items) else ""
    return {key: [render(item) for item in page], "response_metadata": {"next_cursor": next_cursor}}
