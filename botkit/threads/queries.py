"""The validation of ``bot.threads`` arguments shared by the service and the HTTP API:
ids, pages and list queries (every problem at once, as a ``ThreadQueryError``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import get_args

from botkit.threads.errors import ThreadQueryError
from botkit.threads.records import ThreadStatus

__all__ = ["MAX_LIMIT", "SORT_FIELDS", "STATUSES", "check_id", "check_list_query",
           "check_page", "check_users"]

STATUSES: tuple[str, ...] = get_args(ThreadStatus)
SORT_FIELDS = ("updated_at", "created_at", "thread_id", "status", "last_run_at", "title")
MAX_LIMIT = 200


def check_id(thread_id: object, name: str = "thread_id") -> str:
    if not isinstance(thread_id, str) or not thread_id:
        raise ThreadQueryError([(name, "must be a non-empty string")])
    return thread_id


def check_page(limit: object, offset: object, *, max_limit: int = MAX_LIMIT,
               problems: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    errors = [] if problems is None else problems
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= max_limit:
        errors.append(("limit", f"must be an integer from 1 to {max_limit}"))
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        errors.append(("offset", "must be an integer >= 0"))
    return errors


def check_users(user_id: object, participants: object) -> list[tuple[str, str]]:
    errors = []
    if user_id is not None and (not isinstance(user_id, str) or not user_id):
        errors.append(("user_id", "must be a non-empty string"))
    if not isinstance(participants, list | tuple) or not all(
            isinstance(p, str) and p for p in participants):
        errors.append(("participants", "must be a list of user ids"))
    return errors


def check_list_query(*, search: object, status: object, metadata: object, platform: object,
                     limit: object, offset: object, sort_by: object, sort_order: object,
                     archived: object) -> tuple[str, ...]:
    """Validate ``list`` arguments (all problems at once); returns the statuses wanted."""
    errors = check_page(limit, offset)
    for name, value in (("search", search), ("platform", platform)):
        if value is not None and not isinstance(value, str):
            errors.append((name, "must be a string"))
    statuses: tuple[str, ...] = ()
    if isinstance(status, str):
        statuses = (status,)
    elif isinstance(status, Iterable) and not isinstance(status, Mapping):
        statuses = tuple(status)
    elif status is not None:
        errors.append(("status", "must be a status or a list of statuses"))
    if bad := [s for s in statuses if s not in STATUSES]:
        errors.append(("status", f"unknown {bad!r}; one of {', '.join(STATUSES)}"))
    if metadata is not None and not isinstance(metadata, Mapping):
        errors.append(("metadata", "must be an object of key/value pairs"))
    if sort_by not in SORT_FIELDS:
        errors.append(("sort_by", f"must be one of {', '.join(SORT_FIELDS)}"))
    if sort_order not in ("asc", "desc"):
        errors.append(("sort_order", "must be asc or desc"))
    if archived not in (True, False, None):
        errors.append(("archived", "must be true, false or null (both)"))
    if errors:
        raise ThreadQueryError(errors)
    return statuses
