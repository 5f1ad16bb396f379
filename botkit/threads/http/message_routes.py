"""Messages (the AgentFlow threads client's shape): list with ``search``, ``offset``,
``limit`` and ``total``; add; get one; delete one. The thread's platform decides where they
live (see ``botkit.threads.messages``)."""

from __future__ import annotations

from aiohttp import web

from botkit.threads._requests import AddMessages, MessagesQuery, message_json
from botkit.threads.errors import Forbidden
from botkit.threads.http.base import (
    Route,
    RouteGroup,
    caller,
    json_body,
    json_response,
    ok,
    path_id,
    query_of,
    threads_of,
    visible_thread,
)
from botkit.types import PlatformUser

__all__ = ["MESSAGE_ROUTES"]


async def list_messages(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    query = query_of(request, MessagesQuery)
    page = await threads_of(request).messages(record.id, limit=query.limit,
                                              offset=query.offset, search=query.search)
    return ok({"thread_id": record.id, "messages": [message_json(m) for m in page],
               "total": page.total, "limit": page.limit, "offset": page.offset})


async def add_messages(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    body = await json_body(request, AddMessages)
    threads, bound = threads_of(request), caller(request).user_id
    author = None
    if bound is not None:  # a user's token speaks for that user, never for the bot
        if any(m.role != "user" for m in body.messages):
            raise Forbidden("this token acts for one user: its messages are that user's "
                            "(role user)")
        author = PlatformUser(id=bound)
    added = [await threads.add_message(record.id, m.content, role=m.role, user=author)
             for m in body.messages]
    return ok({"thread_id": record.id, "messages": [message_json(m) for m in added]},
              status=201)


async def get_message(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    found = await threads_of(request).message(record.id, path_id(request, "message_id"))
    return ok({"thread_id": record.id, "message": message_json(found)})


async def delete_message(request: web.Request) -> web.Response:
    record = await visible_thread(request)
    await threads_of(request).delete_message(record.id, path_id(request, "message_id"))
    return web.Response(status=204)


MESSAGE = {"$ref": "#/components/schemas/Message"}
MESSAGE_ROUTES = RouteGroup("messages", [
    Route("GET", "/threads/{thread_id}/messages", list_messages, query=MessagesQuery,
          summary="Messages: the newest `limit` after skipping `offset`, oldest first; "
                  "`total` counts every match",
          responses={"200": json_response({"type": "object", "required": [
              "thread_id", "messages", "total"], "properties": {
              "thread_id": {"type": "string"}, "total": {"type": "integer"},
              "limit": {"type": "integer"}, "offset": {"type": "integer"},
              "messages": {"type": "array", "items": MESSAGE}}})}),
    Route("POST", "/threads/{thread_id}/messages", add_messages, scope="write",
          body=AddMessages, summary="Add messages (a platform thread: posted as the bot, "
                                    "409 when its platform is not served here)",
          responses={"201": json_response({"type": "object", "properties": {
              "thread_id": {"type": "string"},
              "messages": {"type": "array", "items": MESSAGE}}})}),
    Route("GET", "/threads/{thread_id}/messages/{message_id}", get_message,
          summary="One message", responses={"200": json_response({"type": "object",
              "properties": {"thread_id": {"type": "string"}, "message": MESSAGE}})}),
    Route("DELETE", "/threads/{thread_id}/messages/{message_id}", delete_message,
          scope="write", summary="Delete one message",
          responses={"204": {"description": "Deleted"}}),
])
