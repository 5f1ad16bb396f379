"""The threads list: search, filters, sortable columns, 100 per page, counts per status."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiMapping

from botkit.dashboard.render import page
from botkit.dashboard.wiring import THREADS, running_bot
from botkit.threads.records import SORT_FIELDS, STATUSES, ThreadPage

__all__ = ["ListQuery", "threads_page", "threads_table"]

PER_PAGE = 100
ID_FIELD = "thread_id" if "thread_id" in SORT_FIELDS else "id"
COLUMNS = (("title", "Title"), ("status", "Status"), (ID_FIELD, "Thread"),
           ("created_at", "Created"), ("updated_at", "Updated"), ("last_run_at", "Last run"))
ARCHIVED = {"no": False, "yes": True, "all": None}


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
            page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
        )

    def args(self, *, statuses: list[str] | None = None) -> dict[str, Any]:
        """Keyword arguments for ``bot.threads.list``."""
        return {"search": self.search or None,
                "status": self.statuses if statuses is None else statuses,
                "platform": self.platform or None, "archived": ARCHIVED[self.archived],
                "sort_by": self.sort, "sort_order": self.order}

    def link(self, **changes: Any) -> str:
        """``/?…``: this query with ``changes`` applied (for sort headers, paging, the URL)."""
        values = {"q": self.search, "status": self.statuses, "platform": self.platform,
                  "archived": self.archived, "sort": self.sort, "order": self.order,
                  "page": self.page, **changes}
        defaults = {"q": "", "platform": "", "archived": "no", "sort": "updated_at",
                    "order": "desc", "page": 1}
        kept = {k: v for k, v in values.items() if v not in ([], defaults.get(k))}
        return "/?" + urlencode(kept, doseq=True) if kept else "/"

    def next_order(self, column: str) -> str:
        if column == self.sort:
            return "asc" if self.order == "desc" else "desc"
        return "asc" if column in ("title", ID_FIELD, "status") else "desc"


async def _load(request: web.Request, query: ListQuery) -> dict[str, Any]:
    threads = request.app[THREADS]
    found: ThreadPage = await threads.list(**query.args(), limit=PER_PAGE,
                                           offset=(query.page - 1) * PER_PAGE)
    counts = {"all": (await threads.list(**query.args(statuses=[]), limit=1)).total}
    for status in STATUSES:
        counts[status] = (await threads.list(**query.args(statuses=[status]), limit=1)).total
    bot = running_bot(threads)
    platforms = sorted(({a.platform for a in bot.adapters} if bot else set())
                       | {t.platform for t in found} | ({query.platform} - {""}))
    return {"query": query, "page": found, "counts": counts, "statuses": STATUSES,
            "columns": COLUMNS, "platforms": platforms,
            "pages": max(1, math.ceil(found.total / PER_PAGE)), "per_page": PER_PAGE}


async def threads_page(request: web.Request) -> web.Response:
    query = ListQuery.parse(request.query)
    return page(request, "threads.html", fragment=False, **await _load(request, query))


async def threads_table(request: web.Request) -> web.Response:
    """The table alone (htmx swaps it in on every filter change and every thread event);
    the address bar follows the filters."""
    query = ListQuery.parse(request.query)
    response = page(request, "_threads_table.html", fragment=True,
                    **await _load(request, query))
    response.headers["HX-Replace-Url"] = query.link()
    return response
