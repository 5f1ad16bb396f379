"""The threads list: search, filters, sortable columns, 100 per page, counts per status."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from botkit.dashboard.auth import session
from botkit.dashboard.render import page
from botkit.dashboard.wiring import THREADS, running_bot
from botkit.errors import UserError
from botkit.threads.records import (
    MAX_LIMIT,
    STATUSES,
    ThreadNotFound,
    ThreadPage,
    ThreadRecord,
)
from botkit.threads.service import Threads

__all__ = ["ListQuery", "threads_page", "threads_table"]

PER_PAGE = 100
ID_FIELD = "thread_id"
COLUMNS = (("title", "Title"), ("status", "Status"), (ID_FIELD, "Thread"),
           ("created_at", "Created"), ("updated_at", "Updated"), ("last_run_at", "Last run"))
ARCHIVED = {"no": False, "yes": True, "all": None}
BY_USER = True
"""Thread records know their people (``user_id``, ``participants``)."""


@dataclass
class ListQuery:
    """What the list shows, read leniently from the query string (an unknown value falls
    back to the default instead of failing the page)."""

    search: str = ""
    statuses: list[str] = field(default_factory=list)
    platform: str = ""
    archived: str = "no"
    sort: str = "updated_at"
    order: str = "desc"
    page: int = 1
    in_messages: bool = False
    """Also search the messages' text (reads each candidate thread's messages)."""
    user: str = ""

    @classmethod
    def parse(cls, query: MultiMapping[str]) -> ListQuery:
        sort = query.get("sort", "updated_at")
        page = query.get("page", "1")
        return cls(
            search=query.get("q", "").strip()[:200],
            statuses=[s for s in query.getall("status", []) if s in STATUSES],
            platform=query.get("platform", "").strip()[:100],
            archived=query.get("archived", "no") if query.get("archived") in ARCHIVED
            else "no",
            sort=sort if sort in dict(COLUMNS) else "updated_at",
            order="asc" if query.get("order") == "asc" else "desc",
            page=int(page) if page.isascii() and page.isdigit() and 0 < int(page) < 100_000
            else 1,
            in_messages=query.get("in") == "messages",
            user=query.get("user", "").strip()[:200] if BY_USER else "",
        )

    def args(self, *, statuses: list[str] | None = None) -> dict[str, Any]:
        """Keyword arguments for ``bot.threads.list``."""
        args = {"search": self.search or None,
                "status": self.statuses if statuses is None else statuses,
                "platform": self.platform or None, "archived": ARCHIVED[self.archived],
                "sort_by": self.sort, "sort_order": self.order}
        if self.user:
            args["user_id"] = self.user
        return args

    def link(self, **changes: Any) -> str:
        """``/?…``: this query with ``changes`` applied (for sort headers, paging, the URL)."""
        values = {"q": self.search, "status": self.statuses, "platform": self.platform,
                  "archived": self.archived, "sort": self.sort, "order": self.order,
                  "page": self.page, "in": "messages" if self.in_messages else "",
                  "user": self.user, **changes}
        defaults = {"q": "", "platform": "", "archived": "no", "sort": "updated_at",
                    "order": "desc", "page": 1, "in": "", "user": ""}
        kept = {k: v for k, v in values.items() if v not in ([], defaults.get(k))}
        return "/?" + urlencode(kept, doseq=True) if kept else "/"

    def next_order(self, column: str) -> str:
        if column == self.sort:
            return "asc" if self.order == "desc" else "desc"
        return "asc" if column in ("title", ID_FIELD, "status") else "desc"


async def _said_in(threads: Threads, record: ThreadRecord, needle: str) -> bool:
    try:
        return len(await threads.messages(record.id, limit=MAX_LIMIT, search=needle)) > 0
    except (UserError, ThreadNotFound):  # a platform this process does not serve
        return False


async def _with_messages(threads: Threads, query: ListQuery
                         ) -> tuple[ThreadPage, dict[str, int]]:
    """Threads whose title, id or messages contain the search, among the ``MAX_LIMIT``
    first that match the other filters (reading messages costs a platform call each)."""
    candidates = await threads.list(**{**query.args(statuses=[]), "search": None},
                                    limit=MAX_LIMIT)
    needle = query.search.casefold()
    hits = [r for r in candidates if needle in r.title.casefold()
            or needle in r.id.casefold() or await _said_in(threads, r, query.search)]
    counts = {"all": len(hits), **{s: sum(r.status == s for r in hits) for s in STATUSES}}
    picked = [r for r in hits if not query.statuses or r.status in query.statuses]
    offset = (query.page - 1) * PER_PAGE
    return ThreadPage(threads=tuple(picked[offset:offset + PER_PAGE]), total=len(picked),
                      limit=PER_PAGE, offset=offset), counts


async def _counted(threads: Threads, query: ListQuery) -> tuple[ThreadPage, dict[str, int]]:
    """The page and the counts per status: from one read of the store where every thread
    the filters find fits in one answer, else one count per status."""
    offset = (query.page - 1) * PER_PAGE
    every = await threads.list(**query.args(statuses=[]), limit=MAX_LIMIT)
    if every.total <= MAX_LIMIT:
        counts = {"all": every.total,
                  **{s: sum(r.status == s for r in every.threads) for s in STATUSES}}
        picked = [r for r in every.threads if not query.statuses or r.status in query.statuses]
        return ThreadPage(threads=tuple(picked[offset:offset + PER_PAGE]), total=len(picked),
                          limit=PER_PAGE, offset=offset), counts
    found = await threads.list(**query.args(), limit=PER_PAGE, offset=offset)
    counts = {"all": every.total}
    for status in STATUSES:
        counts[status] = await threads.count(**query.args(statuses=[status]))
    return found, counts


async def _load(request: web.Request, query: ListQuery) -> dict[str, Any]:
    threads = request.app[THREADS]
    if query.in_messages and query.search:
        found, counts = await _with_messages(threads, query)
    else:
        found, counts = await _counted(threads, query)
    bot = running_bot(request.app)
    platforms = sorted(({a.platform for a in bot.adapters} if bot else set())
                       | {t.platform for t in found} | ({query.platform} - {""}))
    return {"query": query, "page": found, "counts": counts, "statuses": STATUSES,
            "by_user": BY_USER and session(request).user_id is None,
            "columns": COLUMNS, "platforms": platforms,
            "pages": max(1, math.ceil(found.total / PER_PAGE)), "per_page": PER_PAGE}


def _query(request: web.Request) -> ListQuery:
    query = ListQuery.parse(request.query)
    bound = session(request).user_id
    if bound is not None:  # a user-bound token sees its person's threads only
        query.user = bound
    return query


async def threads_page(request: web.Request) -> web.Response:
    query = _query(request)
    return page(request, "threads.html", fragment=False, **await _load(request, query))


async def threads_table(request: web.Request) -> web.Response:
    """The table alone (htmx swaps it in on every filter change and every thread event);
    the address bar follows the filters."""
    query = _query(request)
    response = page(request, "_threads_table.html", fragment=True,
                    **await _load(request, query))
    response.headers["HX-Replace-Url"] = query.link()
    return response
