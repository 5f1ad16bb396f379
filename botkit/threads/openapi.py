"""The OpenAPI 3.1 document of the threads HTTP API (served at ``/openapi.json``)."""

from __future__ import annotations

from typing import Any

from botkit.threads.records import MAX_LIMIT, SORT_FIELDS, STATUSES

__all__ = ["openapi_document"]


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _q(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema,
            "description": description}


ERRORS = {
    "401": _json(_ref("Error"), "Missing or wrong bearer token"),
    "404": _json(_ref("Error"), "No such thread"),
    "422": _json(_ref("ValidationError"), "Invalid arguments (every problem is listed)"),
}
BAD_JSON = {"400": _json(_ref("Error"), "The body is not valid JSON")}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
      "description": "The thread (conversation) id, URL-encoded"}
LIMIT = _q("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50},
           "Page size")
OFFSET = _q("offset", {"type": "integer", "minimum": 0, "default": 0}, "Items to skip")
LIST_QUERY = [
    _q("search", {"type": "string"}, "Case-insensitive text in the title or id"),
    _q("status", {"type": "string", "enum": list(STATUSES)},
       "Repeat or comma-separate for several"),
    _q("platform", {"type": "string"}, "Only threads of this platform"),
    _q("archived", {"type": "string", "enum": ["false", "true", "all"], "default": "false"},
       "Archived threads: hidden (false), only (true) or both (all)"),
    _q("metadata", {"type": "string"}, "A JSON object: keep threads whose metadata has "
                                       "all these pairs"),
    LIMIT, OFFSET,
    _q("sort_by", {"type": "string", "enum": list(SORT_FIELDS), "default": "updated_at"},
       "Sort field"),
    _q("sort_order", {"type": "string", "enum": ["asc", "desc"], "default": "desc"}, "Order"),
]
STATE = {"type": "object", "required": ["thread_id", "state"],
         "properties": {"thread_id": {"type": "string"}, "state": {}}}
NUMBER_OR_NULL = {"type": ["number", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"],
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
    "ValidationError": {
        "type": "object", "required": ["error", "message", "errors"],
        "properties": {"error": {"const": "validation_error"}, "message": {"type": "string"},
                       "errors": {"type": "array", "items": {
                           "type": "object", "properties": {"field": {"type": "string"},
                                                            "message": {"type": "string"}}}}}},
    "Thread": {
        "type": "object",
        "required": ["id", "platform", "channel", "title", "status", "metadata", "archived",
                     "created_at", "updated_at"],
        "properties": {
            "id": {"type": "string"}, "platform": {"type": "string"},
            "channel": {"type": "string"}, "title": {"type": "string"},
            "status": {"type": "string", "enum": list(STATUSES)},
            "metadata": {"type": "object"}, "archived": {"type": "boolean"},
            "created_at": {"type": "number", "description": "Unix seconds"},
            "updated_at": {"type": "number", "description": "Unix seconds"},
            "last_run_at": NUMBER_OR_NULL, "run_count": {"type": "integer"},
            "current_run": {"type": ["string", "null"]},
            "last_error": {"type": ["string", "null"]},
            "conversation": {"type": "object"}, "copied_from": {"type": ["string", "null"]}}},
    "ThreadPage": {
        "type": "object", "required": ["threads", "total", "limit", "offset"],
        "properties": {"threads": {"type": "array", "items": _ref("Thread")},
                       "total": {"type": "integer"}, "limit": {"type": "integer"},
                       "offset": {"type": "integer"}}},
    "Run": {
        "type": "object",
        "properties": {
            "run_id": {"type": "string"}, "thread_id": {"type": "string"},
            "kind": {"type": "string", "enum": ["run", "resume"]},
            "status": {"type": "string", "enum": ["completed", "interrupted", "failed",
                                                  "max_iterations", "crashed"]},
            "started_at": {"type": "number"}, "ended_at": {"type": "number"},
            "iterations": {"type": "integer"}, "error": {"type": ["string", "null"]},
            "text": {"type": "string"}, "tool_calls": {"type": "array", "items": {
                "type": "object"}},
            "checkpoint": {"description": "The agent state the run left (null: unchanged)"}}},
    "Message": {
        "type": "object",
        "properties": {"id": {"type": "string"}, "text": {"type": "string"},
                       "user": {"type": ["object", "null"]}, "is_bot": {"type": "boolean"},
                       "ts": NUMBER_OR_NULL, "attachments": {"type": "array"}}},
    "ThreadEvent": {
        "type": "object", "description": "One SSE `data:` line; the SSE `event:` is `type`",
        "properties": {"seq": {"type": "integer"}, "type": {"type": "string", "enum": [
            "created", "renamed", "archived", "unarchived", "status_changed", "updated",
            "state_changed", "deleted"]}, "thread_id": {"type": "string"},
            "at": {"type": "number"}, "thread": {"oneOf": [_ref("Thread"), {"type": "null"}]},
            "event_id": {"type": "string"}}},
}


def _op(summary: str, ok: dict[str, Any], *, params: list[dict[str, Any]] | None = None,
        body: dict[str, Any] | None = None, path_id: bool = True) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary,
                          "parameters": ([ID] if path_id else []) + (params or []),
                          "responses": {**ok, **ERRORS}}
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
        op["responses"].update(BAD_JSON)
    return op


def openapi_document() -> dict[str, Any]:
    search_body = {"type": "object", "additionalProperties": False, "properties": {
        "search": {"type": "string"}, "status": {"oneOf": [
            {"type": "string", "enum": list(STATUSES)},
            {"type": "array", "items": {"type": "string", "enum": list(STATUSES)}}]},
        "metadata": {"type": "object"}, "platform": {"type": "string"},
        "archived": {"type": ["boolean", "null"]}, "limit": LIMIT["schema"],
        "offset": OFFSET["schema"], "sort_by": {"type": "string", "enum": list(SORT_FIELDS)},
        "sort_order": {"type": "string", "enum": ["asc", "desc"]}}}
    patch_body = {"type": "object", "additionalProperties": False, "properties": {
        "title": {"type": "string", "minLength": 1},
        "metadata": {"type": "object", "description": "Merged; a null value removes a key"},
        "archived": {"type": "boolean"}}}
    state_body = {"type": "object", "minProperties": 1, "maxProperties": 1, "properties": {
        "values": {"type": "object", "description": "Merged into the state's top level"},
        "patch": {"type": "array", "description": "A JSON Patch (RFC 6902)"},
        "state": {"description": "Replaces the whole state"}}}
    copy_body = {"type": "object", "additionalProperties": False, "properties": {
        "new_id": {"type": "string"}, "title": {"type": "string"}}}
    thread = _json(_ref("Thread"))
    return {
        "openapi": "3.1.0",
        "info": {"title": "botkit threads API", "version": "1",
                 "description": "Conversations a botkit bot keeps: records, agent state, run "
                                "history, platform messages, and a stream of changes."},
        "security": [{"bearer": []}],
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "Required unless the API listens on loopback"}}},
        "paths": {
            "/openapi.json": {"get": {"summary": "This document",
                                      "responses": {"200": _json({"type": "object"})}}},
            "/threads": {"get": _op("List threads", {"200": _json(_ref("ThreadPage"))},
                                    params=LIST_QUERY, path_id=False)},
            "/threads/search": {"post": _op("Search threads (filters in the body)",
                                            {"200": _json(_ref("ThreadPage"))},
                                            body=search_body, path_id=False)},
            "/threads/events": {"get": _op(
                "Server-Sent Events of thread changes",
                {"200": {"description": "text/event-stream of ThreadEvent",
                         "content": {"text/event-stream": {"schema": _ref("ThreadEvent")}}}},
                params=[_q("thread_id", {"type": "string"}, "Only this thread's changes")],
                path_id=False)},
            "/threads/{id}": {
                "get": _op("Get a thread", {"200": thread}),
                "patch": _op("Rename, archive/unarchive, change metadata", {"200": thread},
                             body=patch_body),
                "delete": _op("Forget a thread (stored data only; platform messages stay)",
                              {"200": _json({"type": "object", "properties": {
                                  "deleted": {"type": "string"}}})})},
            "/threads/{id}/copy": {"post": _op("Copy record, state and history",
                                               {"201": thread}, body=copy_body)},
            "/threads/{id}/state": {
                "get": _op("The agent state", {"200": _json(STATE)}),
                "post": _op("Merge values, apply a JSON Patch, or replace the state",
                            {"200": _json(STATE)}, body=state_body),
                "delete": _op("Clear the agent state", {"200": _json(STATE)})},
            "/threads/{id}/history": {"get": _op(
                "Runs, newest first", {"200": _json({"type": "object", "properties": {
                    "thread_id": {"type": "string"},
                    "runs": {"type": "array", "items": _ref("Run")}}})},
                params=[_q("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                                     "default": 20}, "How many runs")])},
            "/threads/{id}/messages": {"get": _op(
                "Messages from the platform: the newest `limit` after skipping `offset`, "
                "oldest first", {"200": _json({"type": "object", "properties": {
                    "thread_id": {"type": "string"},
                    "messages": {"type": "array", "items": _ref("Message")}}})},
                params=[LIMIT, OFFSET, _q("search", {"type": "string"}, "Text to find")])},
        },
    }
