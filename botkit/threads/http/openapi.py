"""The OpenAPI 3.1 document of the threads HTTP API (served at ``/openapi.json``), built
from the route groups themselves: request bodies and query strings come from the same
pydantic models that validate them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from botkit.threads.queries import STATUSES

if TYPE_CHECKING:
    from botkit.threads.http.base import Route, RouteGroup

__all__ = ["openapi_document"]

REF = "#/components/schemas/{model}"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": REF.format(model=name)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "The body is not valid JSON"),
    "401": _json(_ref("Error"), "Missing or unknown token"),
    "403": _json(_ref("Error"), "The token lacks the scope, or acts for another user"),
    "404": _json(_ref("Error"), "No such thread, checkpoint or message (or not yours)"),
    "409": _json(_ref("Error"), "Conflict: it exists, a run is going, or the state moved on"),
    "412": _json(_ref("Error"), "If-Match names an older version"),
    "413": _json(_ref("Error"), "The body is too large"),
    "422": _json(_ref("ValidationError"), "Invalid arguments (every problem is listed)"),
}
STRING_OR_NULL = {"type": ["string", "null"]}
CHECKPOINT_REF = {"type": "object", "required": ["thread_id", "checkpoint_ns", "checkpoint_id"],
                  "properties": {"thread_id": {"type": "string"},
                                 "checkpoint_ns": {"type": "string"},
                                 "checkpoint_id": STRING_OR_NULL}}
SCHEMAS: dict[str, Any] = {
    "Error": {"type": "object", "required": ["error", "message"],
              "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
    "ValidationError": {
        "type": "object", "required": ["error", "message", "errors"],
        "properties": {"error": {"const": "validation_error"}, "message": {"type": "string"},
                       "errors": {"type": "array", "items": {
                           "type": "object", "required": ["field", "message"],
                           "properties": {"field": {"type": "string"},
                                          "message": {"type": "string"}}}}}},
    "Thread": {
        "type": "object",
        "required": ["thread_id", "created_at", "updated_at", "metadata", "status", "values",
                     "interrupts"],
        "properties": {
            "thread_id": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "metadata": {"type": "object"}, "status": {"enum": list(STATUSES)},
            "values": {}, "interrupts": {"type": "object"}, "config": {"type": "object"},
            "title": {"type": "string"}, "archived": {"type": "boolean"},
            "platform": {"type": "string"}, "channel": {"type": "string"},
            "user_id": STRING_OR_NULL,
            "participants": {"type": "array", "items": {"type": "string"}},
            "last_run_at": STRING_OR_NULL, "run_count": {"type": "integer"},
            "current_run": STRING_OR_NULL, "last_error": STRING_OR_NULL,
            "conversation": {"type": "object"}, "copied_from": STRING_OR_NULL}},
    "CheckpointRef": CHECKPOINT_REF,
    "ThreadState": {
        "type": "object",
        "required": ["values", "next", "tasks", "checkpoint", "metadata", "created_at",
                     "parent_checkpoint"],
        "properties": {
            "values": {"description": "The agent's state; `messages` is the conversation "
                                      "(LangChain message dicts) up to this checkpoint, "
                                      "unless the agent state has its own"},
            "next": {"type": "array", "items": {"type": "string"}},
            "tasks": {"type": "array"}, "checkpoint": _ref("CheckpointRef"),
            "metadata": {"type": "object"}, "created_at": STRING_OR_NULL,
            "parent_checkpoint": {"oneOf": [_ref("CheckpointRef"), {"type": "null"}]},
            "checkpoint_id": STRING_OR_NULL, "parent_checkpoint_id": STRING_OR_NULL,
            "interrupts": {"type": "array"}}},
    "Message": {
        "type": "object", "required": ["id", "role", "content"],
        "properties": {"id": {"type": "string"}, "message_id": {"type": "string"},
                       "role": {"enum": ["user", "assistant", "system"]},
                       "content": {"type": "string"}, "text": {"type": "string"},
                       "user": {"type": ["object", "null"]}, "is_bot": {"type": "boolean"},
                       "ts": {"type": ["number", "null"]}, "attachments": {"type": "array"}}},
    "ThreadEvent": {
        "type": "object", "description": "One SSE `data:` line; the SSE `event:` is `type`",
        "properties": {"type": {"type": "string"}, "thread_id": {"type": "string"},
                       "at": {"type": "string", "format": "date-time"},
                       "event_id": {"type": "string",
                                    "description": "Global, ordered: the SSE id"},
                       "thread": {"type": ["object", "null"],
                                  "description": "A Thread without values"}}},
}


def _model_schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF, by_alias=True)
    components.update(schema.pop("$defs", {}))
    return schema


def _not_null(schema: Mapping[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if options:
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            return {**{k: v for k, v in schema.items() if k != "anyOf"}, **kept[0]}
    return dict(schema)


def _operation(route: Route, components: dict[str, Any]) -> dict[str, Any]:
    params: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True,
         "schema": {"type": "string", "minLength": 1}}
        for name in re.findall(r"{(\w+)}", route.path)]
    if route.query is not None:
        schema = _model_schema(route.query, components)
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query",
                           "required": name in schema.get("required", ()),
                           "schema": _not_null(prop)})
    op: dict[str, Any] = {"summary": route.summary, "parameters": params,
                          "responses": {**route.responses, **ERRORS},
                          "x-botkit-scope": route.scope}
    if route.body is not None:
        op["requestBody"] = {"required": route.body_required, "content": {
            "application/json": {"schema": _model_schema(route.body, components)}}}
    return op


def openapi_document(groups: Sequence[RouteGroup]) -> dict[str, Any]:
    components: dict[str, Any] = dict(SCHEMAS)
    paths: dict[str, dict[str, Any]] = {
        "/openapi.json": {"get": {"summary": "This document", "security": [],
                                  "responses": {"200": _json({"type": "object"}, "OK")}}}}
    for group in groups:
        components.update(group.schemas)
        for route in group.routes:
            paths.setdefault(route.path, {})[route.method.lower()] = _operation(route,
                                                                                components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "botkit threads API", "version": "2",
                 "description": "Threads (shaped after the LangGraph Agent Server's), their "
                                "state and checkpoints, messages, and a stream of changes. "
                                "Tokens have scopes (read < write < admin; "
                                "x-botkit-scope says which an operation needs) and may act "
                                "for one user. Thread and state writes take If-Match."},
        "security": [{"bearer": []}, {"apiKey": []}],
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"}}},
        "paths": paths,
    }
