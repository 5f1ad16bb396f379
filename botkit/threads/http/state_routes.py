"""State and checkpoints: read the state (now or at a checkpoint), update it (a new
checkpoint; 409 while a run is going, 412 on a stale ``If-Match``), and its history."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field, StrictBool

from botkit.threads._requests import (
    Body,
    HistoryQuery,
    HistoryRequest,
    StateQuery,
    UpdateState,
)
from botkit.threads.checkpoints import state_etag
from botkit.threads.errors import ThreadConflict
from botkit.threads.http.base import (
    Route,
    RouteGroup,
    if_match,
    json_body,
    json_response,
    ok,
    path_id,
    query_of,
    threads_of,
    visible_thread,
)
from botkit.threads.messages import Transcript
from botkit.threads.records import Checkpoint
from botkit.threads.selection import select_state
from botkit.threads.waiting import Waiting

__all__ = ["STATE_ROUTES"]


class StateAt(Body):
    checkpoint: dict[str, Any]
    subgraphs: StrictBool = Field(False, description="Accepted: a botkit thread has no "
                                                     "subgraphs")
    select: list[str] | None = Field(None, description="Only these fields "
                                                       "(values.<key>: one key)")


async def _state(request: web.Request, point: Checkpoint,
                 select: list[str] | None = None) -> web.Response:
    """The state at ``point``; at the head of an interrupted thread with what it waits
    on (``next``, ``tasks``, ``interrupts``)."""
    threads = threads_of(request)
    head = await threads.head(point.thread_id)
    waiting = Waiting()
    if point.checkpoint_id == ("" if head is None else head.checkpoint_id):
        waiting = await threads.waiting(point.thread_id)
    at_head = point.checkpoint_id == ("" if head is None else head.checkpoint_id)
    state = point.to_state(next_nodes=waiting.next_nodes(),
                           tasks=waiting.tasks(point.thread_id),
                           interrupts=waiting.interrupts)
    state = with_messages(state, await threads.transcript(point.thread_id),
                          None if at_head else point.created_at)
    return ok(select_state(state, select),
              headers={"ETag": state_etag(point.checkpoint_id or None)})


async def get_state(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    query = query_of(request, StateQuery)
    return await _state(request, await threads_of(request).state(record.id), query.select)


async def get_state_at(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    query = query_of(request, StateQuery)
    point = await threads_of(request).checkpoint(record.id, path_id(request, "checkpoint_id"))
    return await _state(request, point, query.select)


async def post_state_at(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    body = await json_body(request, StateAt)
    wanted = body.checkpoint.get("checkpoint_id")
    threads = threads_of(request)
    if not isinstance(wanted, str) or not wanted:
        return await _state(request, await threads.state(record.id), body.select)
    return await _state(request, await threads.checkpoint(record.id, wanted), body.select)


async def update_state(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    body = await json_body(request, UpdateState)
    threads = threads_of(request)
    based_on = body.checkpoint_id or (body.checkpoint or {}).get("checkpoint_id")
    if based_on:
        head = await threads.head(record.id)
        if head is None or head.checkpoint_id != based_on:
            raise ThreadConflict(f"checkpoint {based_on!r} is not the current one: botkit "
                                 "updates the newest state only (read it again)")
    patch = None if body.patch is None else [
        op.model_dump(by_alias=True, exclude_none=True, exclude={"value"})
        | ({"value": op.value} if "value" in op.model_fields_set else {})
        for op in body.patch]
    point = await threads.update_state(record.id, body.values, patch=patch,
                                       if_match=if_match(request), as_node=body.as_node)
    return ok({"checkpoint": point.ref(), "values": point.values},
              headers={"ETag": state_etag(point.checkpoint_id)})


async def clear_state(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    point = await threads_of(request).clear_state(record.id, if_match=if_match(request))
    return ok({"checkpoint": point.ref(), "values": point.values},
              headers={"ETag": state_etag(point.checkpoint_id)})


async def _history(request: web.Request, limit: int, before: str | None,
                   metadata: dict[str, Any] | None = None, start: str | None = None,
                   select: list[str] | None = None) -> web.Response:
    record = await visible_thread(request)
    threads = threads_of(request)
    points: list[Checkpoint] = []
    if start:
        points.append(await threads.checkpoint(record.id, start))
        before = start
    if len(points) < limit:
        points += await threads.history(record.id, limit=limit - len(points), before=before,
                                        metadata=metadata)
    transcript = await threads.transcript(record.id) if points else None
    head = await threads.head(record.id)
    newest = None if head is None else head.checkpoint_id
    return ok([select_state(with_messages(
        p.to_state(), transcript, None if p.checkpoint_id == newest else p.created_at), select)
        for p in points])


def with_messages(state: dict[str, Any], transcript: Transcript | None, until: float | None
                  ) -> dict[str, Any]:
    """``state`` with the conversation in ``values.messages``, as LangGraph clients read it
    (``useStream`` shows ``history[0].values.messages``): the messages sent by ``until``
    (the checkpoint's time; None: now). An agent state with its own ``messages`` keeps
    them; a thread whose messages this process cannot read has none."""
    values = state["values"]
    if transcript is None or not isinstance(values, dict) or "messages" in values:
        return state
    return {**state, "values": {**values, "messages": transcript.langchain(until)}}


async def get_history(request: web.Request) -> web.Response:
    query = query_of(request, HistoryQuery)
    return await _history(request, query.limit, query.before)


async def post_history(request: web.Request) -> web.Response:
    body = await json_body(request, HistoryRequest, required=False)
    start = (body.checkpoint or {}).get("checkpoint_id")
    return await _history(request, body.limit, body.before_id(), body.metadata,
                          start if isinstance(start, str) and start else None, body.select)


STATE = json_response({"$ref": "#/components/schemas/ThreadState"})
HISTORY = json_response({"type": "array", "items": {"$ref": "#/components/schemas/ThreadState"}},
                        "Checkpoints, newest first")
UPDATED = json_response({"type": "object", "required": ["checkpoint"], "properties": {
    "checkpoint": {"$ref": "#/components/schemas/CheckpointRef"}, "values": {}}})
STATE_ROUTES = RouteGroup("state", [
    Route("GET", "/threads/{thread_id}/state", get_state, query=StateQuery,
          summary="The current state (ETag: its checkpoint)", responses={"200": STATE}),
    Route("POST", "/threads/{thread_id}/state", update_state, scope="write", body=UpdateState,
          summary="Update the state: a new checkpoint (409 while a run is going; If-Match: "
                  "412 if the state moved on)", responses={"200": UPDATED}),
    Route("DELETE", "/threads/{thread_id}/state", clear_state, scope="write",
          summary="Clear the state: a new, empty checkpoint", responses={"200": UPDATED}),
    Route("POST", "/threads/{thread_id}/state/checkpoint", post_state_at, body=StateAt,
          summary="The state at a checkpoint", responses={"200": STATE}),
    Route("GET", "/threads/{thread_id}/state/{checkpoint_id}", get_state_at, query=StateQuery,
          summary="The state at a checkpoint", responses={"200": STATE}),
    Route("GET", "/threads/{thread_id}/history", get_history, query=HistoryQuery,
          summary="Checkpoints, newest first", responses={"200": HISTORY}),
    Route("POST", "/threads/{thread_id}/history", post_history, body=HistoryRequest,
          body_required=False, summary="Checkpoints, newest first",
          responses={"200": HISTORY}),
])
