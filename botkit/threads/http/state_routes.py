"""State and checkpoints: read the state (now or at a checkpoint), update it (a new
checkpoint; 409 while a run is going, 412 on a stale ``If-Match``), and its history."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import StrictBool

from botkit.threads._requests import (
    Body,
    HistoryQuery,
    HistoryRequest,
    StateQuery,
    UpdateState,
)
from botkit.threads.checkpoints import state_etag
from botkit.threads.http.base import (
    Route,
    RouteGroup,
    json_body,
    json_response,
    ok,
    path_id,
    query_of,
    threads_of,
    visible_thread,
)
from botkit.threads.records import Checkpoint, ThreadConflict

__all__ = ["STATE_ROUTES"]


class StateAt(Body):
    checkpoint: dict[str, Any]
    subgraphs: StrictBool = False
    select: list[str] | None = None


def _state(point: Checkpoint) -> web.Response:
    return ok(point.to_state(), headers={"ETag": state_etag(point.checkpoint_id or None)})


async def get_state(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    query_of(request, StateQuery)
    return _state(await threads_of(request).state(record.id))


async def get_state_at(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    query_of(request, StateQuery)
    return _state(await threads_of(request).checkpoint(record.id, path_id(request,
                                                                          "checkpoint_id")))


async def post_state_at(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    body = await json_body(request, StateAt)
    wanted = body.checkpoint.get("checkpoint_id")
    threads = threads_of(request)
    if not isinstance(wanted, str) or not wanted:
        return _state(await threads.state(record.id))
    return _state(await threads.checkpoint(record.id, wanted))


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
        op.model_dump(by_alias=True, exclude_none=True) | (
            {"value": op.value} if op.op in ("add", "replace", "test") else {})
        for op in body.patch]
    point = await threads.update_state(record.id, body.values, patch=patch,
                                       if_match=request.headers.get("If-Match"),
                                       as_node=body.as_node)
    return ok({"checkpoint": point.ref(), "values": point.values},
              headers={"ETag": state_etag(point.checkpoint_id)})


async def clear_state(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    point = await threads_of(request).clear_state(record.id,
                                                  if_match=request.headers.get("If-Match"))
    return ok({"checkpoint": point.ref(), "values": point.values},
              headers={"ETag": state_etag(point.checkpoint_id)})


async def _history(request: web.Request, limit: int, before: str | None,
                   metadata: dict[str, Any] | None = None,
                   start: str | None = None) -> web.Response:
    record = await visible_thread(request)
    threads = threads_of(request)
    points: list[Checkpoint] = []
    if start:
        points.append(await threads.checkpoint(record.id, start))
        before = start
    if len(points) < limit:
        points += await threads.history(record.id, limit=limit - len(points), before=before,
                                        metadata=metadata)
    return ok([p.to_state() for p in points])


async def get_history(request: web.Request) -> web.Response:
    query = query_of(request, HistoryQuery)
    return await _history(request, query.limit, query.before)


async def post_history(request: web.Request) -> web.Response:
    body = await json_body(request, HistoryRequest, required=False)
    start = (body.checkpoint or {}).get("checkpoint_id")
    return await _history(request, body.limit, body.before_id(), body.metadata,
                          start if isinstance(start, str) and start else None)


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
