"""One thread: its conversation as people saw it, its state, its runs and checkpoints."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonpatch
from aiohttp import web

from botkit.dashboard.auth import session
from botkit.dashboard.render import json_text, page
from botkit.dashboard.wiring import THREADS, running_bot, web_chat
from botkit.errors import UserError
from botkit.threads.records import ThreadNotFound, ThreadRecord
from botkit.threads.service import Threads
from botkit.types import Conversation, ThreadMessage

__all__ = ["ChatLine", "Diff", "Point", "checkpoint_diff", "conversation_lines", "load_thread",
           "tool_rows"]

MESSAGES = 200


@dataclass(frozen=True)
class ToolRow:
    id: str
    name: str
    arguments: str
    result: str | None = None
    error: str | None = None


@dataclass
class ChatLine:
    """One message as the conversation showed it, with the tool calls recorded on it."""

    author: str
    is_bot: bool
    text: str
    ts: float | None
    files: list[dict[str, Any]] = field(default_factory=list)
    tools: list[ToolRow] = field(default_factory=list)


def tool_rows(records: Sequence[Mapping[str, Any]]) -> list[ToolRow]:
    calls: dict[str, dict[str, Any]] = {}
    for m in records:
        if m.get("role") == "assistant":
            for call in m.get("toolCalls") or ():
                function = call.get("function") or {}
                calls[str(call.get("id"))] = {"id": str(call.get("id")),
                                              "name": str(function.get("name", "")),
                                              "arguments": str(function.get("arguments", ""))}
        elif m.get("role") == "tool" and str(m.get("toolCallId")) in calls:
            entry = calls[str(m.get("toolCallId"))]
            entry["result"] = str(m.get("content", ""))
            entry["error"] = m.get("error")
    return [ToolRow(**c) for c in calls.values()]


def conversation_lines(messages: Sequence[ThreadMessage]) -> list[ChatLine]:
    lines = []
    for m in messages:
        if m.is_status and not m.agent_messages:  # "thinking…" and the like
            continue
        author = m.user.display_name if m.user else ("bot" if m.is_bot else "someone")
        files = [{"name": a.name, "type": a.mime_type, "size": a.size, "url": a.url}
                 for a in m.attachments]
        tools = tool_rows(m.agent_messages)
        lines.append(ChatLine(author=author, is_bot=m.is_bot, ts=m.ts, files=files,
                              tools=tools, text="" if m.is_status and tools else m.text))
    return lines


@dataclass(frozen=True)
class Change:
    op: str
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Point:
    """One version of the agent state: a checkpoint."""

    id: str
    at: float
    label: str
    values: Any


@dataclass(frozen=True)
class Diff:
    older: Point
    newer: Point
    changes: list[Change]


def _at(document: Any, pointer: str) -> Any:
    try:
        return jsonpatch.JsonPointer(pointer).resolve(document)
    except (jsonpatch.JsonPointerException, KeyError, IndexError, TypeError):
        return None


def checkpoint_diff(older: Point, newer: Point) -> Diff:
    """What changed in the agent state between two checkpoints (a JSON Patch, each
    operation with the value before and after)."""
    before, after = older.values or {}, newer.values or {}
    ops = jsonpatch.make_patch(before, after).patch
    changes = [Change(op=str(o["op"]), path=str(o["path"]), before=_at(before, o["path"]),
                      after=o.get("value")) for o in ops]
    return Diff(older=older, newer=newer, changes=changes)


async def _points(threads: Threads, thread_id: str) -> list[Point]:
    """The thread's checkpoints, newest first."""
    return [Point(id=c.checkpoint_id, at=c.created_at, label=f"{c.source}, step {c.step}",
                  values=c.values) for c in await threads.history(thread_id, limit=100)]


async def load_thread(request: web.Request, thread_id: str | None = None) -> ThreadRecord:
    """The thread (``{id}`` of the path by default) if the signed-in person may see it
    (``ThreadRecord.visible_to``, as in the threads API), else 404."""
    try:
        record = await request.app[THREADS].get(thread_id or request.match_info["id"])
    except ThreadNotFound:
        record = None
    if record is None or not record.visible_to(session(request).user_id):
        raise web.HTTPNotFound(text="No such thread (it may have been deleted).")
    return record


async def _messages(request: web.Request, record: ThreadRecord) -> list[ThreadMessage]:
    """The conversation from its platform, tool-call records included (the service's
    ``messages`` leaves status lines out, and with them the tool calls they carry)."""
    threads = request.app[THREADS]
    bot = running_bot(request.app)
    if bot is None or record.platform not in {a.platform for a in bot.adapters}:
        return list(await threads.messages(record.id, limit=MESSAGES))
    conv = record.conversation
    thread = bot.thread(record.platform, Conversation(
        id=str(conv.get("id", record.id)), channel=str(conv.get("channel", record.channel)),
        thread=conv.get("thread"), is_direct=bool(conv.get("is_direct"))))
    return (await thread.get_messages())[-MESSAGES:]


async def conversation(request: web.Request) -> dict[str, Any]:
    record = await load_thread(request)
    try:
        messages = await _messages(request, record)
    except UserError as exc:
        return {"thread": record, "lines": [], "unavailable": str(exc)}
    return {"thread": record, "lines": conversation_lines(messages), "unavailable": None}


async def runs_context(request: web.Request) -> dict[str, Any]:
    record = await load_thread(request)
    threads = request.app[THREADS]
    runs = await threads.runs(record.id, limit=100)
    checkpoints = await _points(threads, record.id)
    diff = None
    wanted = request.query.get("a"), request.query.get("b")
    by_id = {p.id: p for p in checkpoints}
    if all(wanted) and wanted[0] in by_id and wanted[1] in by_id:
        a, b = by_id[str(wanted[0])], by_id[str(wanted[1])]
        older, newer = sorted((a, b), key=lambda p: p.at)
        diff = checkpoint_diff(older, newer)
    elif len(checkpoints) >= 2:
        diff = checkpoint_diff(checkpoints[1], checkpoints[0])
    return {"thread": record, "runs": runs, "checkpoints": checkpoints, "diff": diff}


async def state_context(request: web.Request, *, draft: str | None = None,
                        error: str | None = None, saved: bool = False) -> dict[str, Any]:
    record = await load_thread(request)
    state = await request.app[THREADS].get_state(record.id)
    text = json_text(state)
    return {"thread": record, "state": state, "draft": text if draft is None else draft,
            "state_error": error, "saved": saved}


async def thread_page(request: web.Request) -> web.Response:
    context = {**await conversation(request), **await runs_context(request),
               **await state_context(request)}
    return page(request, "thread.html", cancellable=cancellable(request, context["thread"]),
                **context)


async def conversation_part(request: web.Request) -> web.Response:
    return page(request, "_conversation.html", **await conversation(request))


async def runs_part(request: web.Request) -> web.Response:
    return page(request, "_runs.html", **await runs_context(request))


def cancellable(request: web.Request, record: ThreadRecord) -> bool:
    """Whether a run of this thread can be stopped from here: today, web threads' runs."""
    return record.platform == "web" and web_chat(request.app) is not None


async def header_part(request: web.Request) -> web.Response:
    try:
        record = await load_thread(request)
    except web.HTTPNotFound:  # deleted while the page was open
        return page(request, "_thread_header.html", deleted=True)
    return page(request, "_thread_header.html", thread=record,
                cancellable=cancellable(request, record))


async def cancel_runs(request: web.Request) -> web.Response:
    """Stop the thread's running runs (web threads; other platforms' runs cannot be
    stopped from outside yet)."""
    record = await load_thread(request)
    chat = web_chat(request.app)
    if chat is None or record.platform != "web":
        return page(request, "_thread_header.html", status=409, thread=record,
                    error=f"Runs on {record.platform} cannot be stopped from here.")
    stopped = [run_id for run_id in chat.engine.active(record.id) if chat.engine.cancel(run_id)]
    if stopped:  # the header follows the thread's status change, as every page does
        return web.Response(status=204)
    return page(request, "_thread_header.html", thread=record, cancellable=True,
                error="No run was going any more.")


async def state_part(request: web.Request) -> web.Response:
    return page(request, "_state.html", **await state_context(request))
