"""Reading the threads API's requests: JSON bodies, query arguments, path ids (every
problem becomes a ``ThreadQueryError``, answered 422), and messages as JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from multidict import MultiMapping

from botkit.threads.records import ThreadQueryError, check_id, check_list_query
from botkit.types import ThreadMessage

__all__ = ["LIST_FIELDS", "body_of", "int_arg", "list_args", "message_json", "tid"]

ORDER = ["limit", "offset", "search", "platform", "status", "metadata", "sort_by",
         "sort_order", "archived"]
LIST_FIELDS = set(ORDER)


async def body_of(request: web.Request, allowed: set[str]) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = json.loads(await request.text())
    except ValueError as exc:
        raise web.HTTPBadRequest(reason=f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ThreadQueryError([("body", "must be a JSON object")])
    if unknown := sorted(set(data) - allowed):
        raise ThreadQueryError([(k, "unknown field") for k in unknown])
    return data


def tid(request: web.Request) -> str:
    return check_id(request.match_info["id"])


def int_arg(query: Mapping[str, str], name: str, default: int, errors: list[tuple[str, str]]
         ) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        errors.append((name, "must be an integer"))
        return default


def list_args(query: MultiMapping[str]) -> dict[str, Any]:
    errors: list[tuple[str, str]] = []
    args: dict[str, Any] = {"limit": int_arg(query, "limit", 50, errors),
                            "offset": int_arg(query, "offset", 0, errors)}
    for name in ("search", "platform", "sort_by", "sort_order"):
        if name in query:
            args[name] = query[name]
    statuses = [s for value in query.getall("status", []) for s in value.split(",") if s]
    if statuses:
        args["status"] = statuses
    archived = query.get("archived", "false").lower()
    if archived not in {"true", "false", "all"}:
        errors.append(("archived", "must be true, false or all"))
    args["archived"] = {"true": True, "false": False}.get(archived)
    if "metadata" in query:
        try:
            args["metadata"] = json.loads(query["metadata"])
        except ValueError:
            errors.append(("metadata", "must be a JSON object"))
    if errors:  # report the other problems too
        defaults = {"search": None, "status": None, "metadata": None, "platform": None,
                    "sort_by": "updated_at", "sort_order": "desc"}
        try:
            check_list_query(**{**defaults, **args})
        except ThreadQueryError as more:
            errors += [(e["field"], e["message"]) for e in more.errors]
        raise ThreadQueryError(sorted(errors, key=lambda e: ORDER.index(e[0])))
    return args


def message_json(m: ThreadMessage) -> dict[str, Any]:
    user = None if m.user is None else {"id": m.user.id, "name": m.user.name,
                                        "handle": m.user.handle, "is_bot": m.user.is_bot}
    return {"id": m.id, "text": m.text, "user": user, "is_bot": m.is_bot, "ts": m.ts,
            "attachments": [{"name": a.name, "mime_type": a.mime_type, "size": a.size,
                             "url": a.url} for a in m.attachments]}
