"""Threads: create, get, update, delete, search, count, copy (LangGraph's shapes)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from botkit.threads._requests import (
    CopyThread,
    CountThreads,
    CreateThread,
    ListQuery,
    PatchThread,
    SearchThreads,
)
from botkit.threads.http.base import (
    Route,
    RouteGroup,
    caller,
    json_body,
    json_response,
    ok,
    query_of,
    threads_of,
    visible_thread,
)
from botkit.threads.records import (
    ThreadConflict,
    ThreadRecord,
    ThreadsError,
)
from botkit.threads.service import record_etag

__all__ = ["THREAD_ROUTES", "thread_json"]


class Forbidden(ThreadsError):
    status = 403
    code = "forbidden"


async def thread_json(request: web.Request, record: ThreadRecord) -> dict[str, Any]:
    return (await threads_of(request).views([record]))[0]


async def _answer(request: web.Request, record: ThreadRecord, status: int = 200
                  ) -> web.Response:
    return ok(await thread_json(request, record), status=status,
              headers={"ETag": record_etag(record)})


def _owner(request: web.Request, wanted: str | None) -> str | None:
    bound = caller(request).user_id
    if bound is not None and wanted not in (None, bound):
        raise Forbidden("this token acts for one user: it cannot give threads to another")
    return bound or wanted


async def create_thread(request: web.Request) -> web.Response:
    body = await json_body(request, CreateThread, required=False)
    values: dict[str, Any] | None = None
    for step in body.supersteps or ():
        for update in step.updates:
            if isinstance(update.values, dict):
                values = {**(values or {}), **update.values}
    threads = threads_of(request)
    record = await threads.create(
        body.thread_id, metadata=body.metadata, if_exists=body.if_exists,
        platform=body.platform, title=body.title, user_id=_owner(request, body.user_id),
        participants=body.participants, values=values,
        messages=[{"text": m.content, "role": m.role} for m in body.messages])
    if not record.visible_to(caller(request).user_id):
        raise ThreadConflict(f"a thread {record.id!r} already exists")
    return await _answer(request, record)


async def _page(request: web.Request, filters: dict[str, Any]) -> web.Response:
    user = caller(request).user_id
    wanted = filters.pop("user_id", None)
    if user is not None and wanted not in (None, user):
        return ok([], headers={"X-Pagination-Total": "0"})
    select = filters.pop("select", None)
    page = await threads_of(request).list(**filters, user_id=user or wanted)
    items = await threads_of(request).views(page.threads)
    if select:
        items = [{k: v for k, v in item.items() if k in select} for item in items]
    return ok(items, headers={"X-Pagination-Total": str(page.total)})


async def list_threads(request: web.Request) -> web.Response:
    query = query_of(request, ListQuery).model_dump()
    query["archived"] = {"true": True, "false": False, "all": None}[query["archived"]]
    return await _page(request, query)


async def search_threads(request: web.Request) -> web.Response:
    body = await json_body(request, SearchThreads, required=False)
    return await _page(request, body.model_dump())


async def count_threads(request: web.Request) -> web.Response:
    filters = (await json_body(request, CountThreads, required=False)).model_dump()
    user = caller(request).user_id
    wanted = filters.pop("user_id", None)
    if user is not None and wanted not in (None, user):
        return ok(0)
    return ok(await threads_of(request).count(**filters, user_id=user or wanted))


async def get_thread(request: web.Request) -> web.Response:
    return await _answer(request, await visible_thread(request))


async def patch_thread(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    body = await json_body(request, PatchThread)
    if body.user_id is not None:
        _owner(request, body.user_id)
    updated = await threads_of(request).update(
        record.id, title=body.title, metadata=body.metadata, archived=body.archived,
        user_id=body.user_id, participants=body.participants,
        if_match=request.headers.get("If-Match"))
    return await _answer(request, updated)


async def delete_thread(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    await threads_of(request).delete(record.id, if_match=request.headers.get("If-Match"))
    return web.Response(status=204)


async def copy_thread(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    body = await json_body(request, CopyThread, required=False)
    copied = await threads_of(request).copy(record.id, body.new_id, title=body.title)
    return await _answer(request, copied)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


THREAD = json_response(_ref("Thread"))
THREADS = json_response({"type": "array", "items": {"anyOf": [
    _ref("Thread"), {"type": "object", "description": "The fields named in select"}]}},
    "Threads (X-Pagination-Total: how many match)")
THREAD_ROUTES = RouteGroup("threads", [
    Route("POST", "/threads", create_thread, scope="write", body=CreateThread,
          body_required=False, summary="Create a thread", responses={"200": THREAD}),
    Route("GET", "/threads", list_threads, query=ListQuery, summary="List threads "
          "(filters in the query string; POST /threads/search has them all)",
          responses={"200": THREADS}),
    Route("POST", "/threads/search", search_threads, body=SearchThreads, body_required=False,
          summary="Search threads", responses={"200": THREADS}),
    Route("POST", "/threads/count", count_threads, body=CountThreads, body_required=False,
          summary="Count threads", responses={"200": json_response({"type": "integer"})}),
    Route("GET", "/threads/{thread_id}", get_thread, summary="Get a thread (ETag: its "
          "version)", responses={"200": THREAD}),
    Route("PATCH", "/threads/{thread_id}", patch_thread, scope="write", body=PatchThread,
          summary="Update a thread (If-Match: refuse with 412 if it changed)",
          responses={"200": THREAD}),
    Route("DELETE", "/threads/{thread_id}", delete_thread, scope="admin",
          summary="Delete a thread's stored data (the platform's messages stay; If-Match)",
          responses={"204": {"description": "Deleted"}}),
    Route("POST", "/threads/{thread_id}/copy", copy_thread, scope="write", body=CopyThread,
          body_required=False, summary="Copy a thread (record, state, checkpoints, runs)",
          responses={"200": THREAD}),
])
