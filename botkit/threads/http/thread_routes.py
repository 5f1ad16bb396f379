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
from botkit.threads.errors import Forbidden, ThreadConflict
from botkit.threads.http.base import (
    Route,
    RouteGroup,
    caller,
    if_match,
    json_body,
    json_response,
    ok,
    query_of,
    threads_of,
    visible_thread,
)
from botkit.threads.records import ThreadRecord, view_etag
from botkit.threads.selection import extract
from botkit.threads.service import WEB
from botkit.types import PlatformUser

__all__ = ["THREAD_ROUTES", "thread_json"]


async def thread_json(request: web.Request, record: ThreadRecord) -> dict[str, Any]:
    return (await threads_of(request).views([record]))[0]


async def _answer(request: web.Request, record: ThreadRecord, status: int = 200
                  ) -> web.Response:
    view = await thread_json(request, record)
    return ok(view, status=status, headers={"ETag": view_etag(view)})


def _owner(request: web.Request, wanted: str | None) -> str | None:
    bound = caller(request).user_id
    if bound is not None and wanted not in (None, bound):
        raise Forbidden("this token acts for one user: it cannot give threads to another")
    return bound or wanted


def _filter_user(request: web.Request, filters: dict[str, Any]) -> tuple[bool, str | None]:
    """``(any visible, user_id filter)`` for the caller: a bound token sees its user's
    threads only (none when it asks for someone else's)."""
    bound = caller(request).user_id
    wanted = filters.pop("user_id", None)
    if bound is not None and wanted not in (None, bound):
        return False, None
    return True, bound or wanted


async def create_thread(request: web.Request) -> web.Response:
    body = await json_body(request, CreateThread, required=False)
    threads, principal = threads_of(request), caller(request)
    if body.platform != WEB and not threads.keeps_messages(body.platform) \
            and not principal.allows("admin"):
        raise Forbidden(f"a {body.platform!r} thread reads and posts in that platform's "
                        "conversations: creating one needs an admin token")
    author = None
    if principal.user_id is not None:
        if any(m.role != "user" for m in body.messages):
            raise Forbidden("this token acts for one user: its messages are that user's "
                            "(role user)")
        author = PlatformUser(id=principal.user_id)
    record = await threads.create(
        body.thread_id, metadata=body.metadata, if_exists=body.if_exists,
        platform=body.platform, title=body.title, user_id=_owner(request, body.user_id),
        participants=body.participants,
        supersteps=[[(u.values, u.as_node) for u in step.updates]
                    for step in body.supersteps or ()],
        messages=[{"text": m.content, "role": m.role, "user": author}
                  for m in body.messages])
    if not record.visible_to(principal.user_id):
        raise ThreadConflict(f"a thread {record.id!r} already exists")
    return await _answer(request, record)


async def _page(request: web.Request, filters: dict[str, Any],
                paths: dict[str, str] | None = None) -> web.Response:
    visible, user = _filter_user(request, filters)
    if not visible:
        return ok([], headers={"X-Pagination-Total": "0"})
    select = filters.pop("select", None)
    page = await threads_of(request).list(**filters, user_id=user)
    views = await threads_of(request).views(page.threads)
    items = [{k: v for k, v in view.items() if k in select} if select else view
             for view in views]
    if paths:
        items = [{**item, "extracted": extract(view, paths)}
                 for item, view in zip(items, views, strict=True)]
    return ok(items, headers={"X-Pagination-Total": str(page.total)})


async def list_threads(request: web.Request) -> web.Response:
    query = query_of(request, ListQuery).model_dump()
    query["archived"] = {"true": True, "false": False, "all": None}[query["archived"]]
    return await _page(request, query)


async def search_threads(request: web.Request) -> web.Response:
    body = await json_body(request, SearchThreads, required=False)
    return await _page(request, body.model_dump(exclude={"extract"}), body.extract)


async def count_threads(request: web.Request) -> web.Response:
    filters = (await json_body(request, CountThreads, required=False)).model_dump()
    visible, user = _filter_user(request, filters)
    if not visible:
        return ok(0)
    return ok(await threads_of(request).count(**filters, user_id=user))


async def get_thread(request: web.Request) -> web.Response:
    return await _answer(request, await visible_thread(request))


async def patch_thread(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    body = await json_body(request, PatchThread)
    bound = caller(request).user_id
    if (body.user_id is not None or body.participants is not None) \
            and bound is not None and record.user_id != bound:
        raise Forbidden("only the thread's owner (or a token not bound to a user) may "
                        "change its owner or participants")
    if body.user_id is not None:
        _owner(request, body.user_id)
    updated = await threads_of(request).update(
        record.id, title=body.title, metadata=body.metadata, archived=body.archived,
        user_id=body.user_id, participants=body.participants, if_match=if_match(request))
    return await _answer(request, updated)


async def delete_thread(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    await threads_of(request).delete(record.id, if_match=if_match(request))
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
          summary="Delete a thread's stored data (the platform's messages stay; If-Match; "
                  "409 while a run is going)",
          responses={"204": {"description": "Deleted"}}),
    Route("POST", "/threads/{thread_id}/copy", copy_thread, scope="write", body=CopyThread,
          body_required=False, summary="Copy a thread into a conversation of its own "
                                       "(record, state, checkpoints, runs; kept messages)",
          responses={"200": THREAD}),
])
