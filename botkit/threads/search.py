"""Finding threads (``bot.threads.list`` / ``count``): filters, sorting, paging."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botkit import keys
from botkit.store.base import StateStore
from botkit.threads.checkpoints import head_values
from botkit.threads.errors import ThreadQueryError
from botkit.threads.queries import check_list_query
from botkit.threads.records import ThreadPage, ThreadRecord

__all__ = ["ThreadSearchMixin"]


def _sort_value(record: ThreadRecord, field: str) -> Any:
    value = getattr(record, "id" if field == "thread_id" else field)
    if isinstance(value, str):
        return (1, value.casefold() if field == "title" else value)
    return (0, 0.0) if value is None else (1, value)


class ThreadSearchMixin:
    store: StateStore

    async def list(
        self, *, search: str | None = None, status: str | Iterable[str] | None = None,
        metadata: Mapping[str, Any] | None = None, values: Mapping[str, Any] | None = None,
        ids: Sequence[str] | None = None, platform: str | None = None,
        user_id: str | None = None, archived: bool | None = False, limit: int = 50,
        offset: int = 0, sort_by: str = "updated_at", sort_order: str = "desc",
    ) -> ThreadPage:
        """Find threads. ``search`` matches title or id (case-insensitive); ``metadata`` /
        ``values`` keep threads whose metadata / state has all these pairs; ``ids`` only
        these threads; ``user_id`` its owner's and participant's threads; ``archived``
        False (default) hides archived threads, True shows only them, None both."""
        picked = await self._find(search=search, status=status, metadata=metadata,
                                  values=values, ids=ids, platform=platform, user_id=user_id,
                                  archived=archived, limit=limit, offset=offset,
                                  sort_by=sort_by, sort_order=sort_order)
        picked.sort(key=lambda r: r.id)
        picked.sort(key=lambda r: _sort_value(r, sort_by), reverse=sort_order == "desc")
        return ThreadPage(threads=tuple(picked[offset:offset + limit]), total=len(picked),
                          limit=limit, offset=offset)

    async def count(self, **filters: Any) -> int:
        """How many threads ``list`` would find (same filters, no paging)."""
        return (await self.list(**filters, limit=1)).total

    async def _find(self, *, search: str | None, status: Any, metadata: Any, values: Any,
                    ids: Any, platform: Any, user_id: Any, archived: Any,
                    **paging: Any) -> builtins.list[ThreadRecord]:
        errors: builtins.list[tuple[str, str]] = []
        if values is not None and not isinstance(values, Mapping):
            errors.append(("values", "must be an object of key/value pairs"))
        if ids is not None and (isinstance(ids, str) or not isinstance(ids, Sequence)
                                or not all(isinstance(i, str) for i in ids)):
            errors.append(("ids", "must be a list of thread ids"))
        if user_id is not None and not isinstance(user_id, str):
            errors.append(("user_id", "must be a string"))
        try:
            statuses = check_list_query(search=search, status=status, metadata=metadata,
                                        platform=platform, archived=archived, **paging)
        except ThreadQueryError as exc:
            errors = [(e["field"], e["message"]) for e in exc.errors] + errors
        if errors:
            raise ThreadQueryError(errors)
        record_keys = ([keys.thread_record(i) for i in dict.fromkeys(ids)] if ids is not None
                       else await self.store.scan(keys.THREAD_RECORD_PREFIX))
        found = [ThreadRecord.from_dict(d)
                 for d in await self.store.get_many(record_keys) if d]
        needle = search.casefold() if search else None
        picked = [
            r for r in found
            if (not statuses or r.status in statuses)
            and (platform is None or r.platform == platform)
            and (archived is None or r.archived == archived)
            and (user_id is None or r.visible_to(user_id))
            and (needle is None or needle in r.title.casefold() or needle in r.id.casefold())
            and all(r.metadata.get(k) == v for k, v in (metadata or {}).items())
        ]
        if values:
            heads = await self.store.get_many([keys.thread_state(r.id) for r in picked])
            states = [head_values(h) for h in heads]
            picked = [r for r, s in zip(picked, states, strict=True) if isinstance(s, dict)
                      and all(s.get(k) == v for k, v in values.items())]
        return picked
