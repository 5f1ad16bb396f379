"""The 2026 Block Kit blocks: ``data_table`` (2026-05-20), ``data_visualization`` (2026-06-16)
and ``container`` (2026-06-29), checked against the limits in Slack's block reference."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

MAX_DATA_TABLE_ROWS = 101  # the header plus 100 rows
MAX_DATA_TABLE_PAGE = 100
DATA_TABLE_CELLS = {"raw_text", "raw_number", "rich_text"}
MAX_CHART_TITLE = 50
MAX_CHARTS_PER_MESSAGE = 2
CHART_TYPES = {"pie", "bar", "area", "line"}
MAX_CONTAINER_CHILDREN = 10
MAX_CONTAINER_TITLE = 150
CONTAINER_WIDTHS = {"narrow", "standard", "wide", "full"}
CONTAINER_CHILDREN = {
    "rich_text",
    "actions",
    "context",
    "divider",
    "file",
    "header",
    "image",
    "input",
    "section",
    "table",
    "video",
}


class Checker(Protocol):
    charts: int

    def fail(self, message: str, pointer: str) -> None: ...

    def length(self, value: Any, limit: int, pointer: str, *, minimum: int = 0) -> None: ...

    def text(self, obj: Any, limit: int, pointer: str, *, plain: bool = False) -> None: ...


def data_table(check: Checker, block: dict[str, Any], pointer: str) -> None:
    if not isinstance(block.get("caption"), str):
        check.fail("must provide caption", pointer + "/caption")
    page_size = block.get("page_size")
    if page_size is not None and (
        not isinstance(page_size, int) or not 1 <= page_size <= MAX_DATA_TABLE_PAGE
    ):
        check.fail(f"must be between 1 and {MAX_DATA_TABLE_PAGE}", pointer + "/page_size")
    rows = block.get("rows")
    if not isinstance(rows, list) or len(rows) < 2:
        check.fail("must provide a header row and at least one row", pointer + "/rows")
        return
    if len(rows) > MAX_DATA_TABLE_ROWS:
        check.fail(f"must contain no more than {MAX_DATA_TABLE_ROWS} items", pointer + "/rows")
        return
    width = len(rows[0]) if isinstance(rows[0], list) else -1
    for r, row in enumerate(rows):
        at = f"{pointer}/rows/{r}"
        if not isinstance(row, list) or len(row) != width:
            check.fail("all rows must have the same number of cells", at)
            continue
        for c, cell in enumerate(row):
            kind = cell.get("type") if isinstance(cell, dict) else None
            if kind not in DATA_TABLE_CELLS or (r == 0 and kind == "rich_text"):
                check.fail("must be a valid enum value", f"{at}/{c}/type")


def data_visualization(check: Checker, block: dict[str, Any], pointer: str) -> None:
    check.charts += 1
    if check.charts > MAX_CHARTS_PER_MESSAGE:
        check.fail(f"at most {MAX_CHARTS_PER_MESSAGE} data_visualization blocks", pointer)
    check.length(block.get("title"), MAX_CHART_TITLE, pointer + "/title", minimum=1)
    chart = block.get("chart")
    if not isinstance(chart, dict) or chart.get("type") not in CHART_TYPES:
        check.fail("must be a valid enum value", pointer + "/chart/type")


def container(
    check: Checker,
    block: dict[str, Any],
    pointer: str,
    child: Callable[[Any, str], None],
) -> None:
    if "rich_text_title" not in block:
        if "title" not in block:
            check.fail("must provide either title or rich_text_title", pointer)
        else:
            check.text(block["title"], MAX_CONTAINER_TITLE, pointer + "/title", plain=True)
    if "subtitle" in block:
        check.text(block["subtitle"], MAX_CONTAINER_TITLE, pointer + "/subtitle")
    if "width" in block and block["width"] not in CONTAINER_WIDTHS:
        check.fail("must be a valid enum value", pointer + "/width")
    children = block.get("child_blocks")
    if not isinstance(children, list) or not children:
        check.fail("must provide child_blocks", pointer + "/child_blocks")
        return
    if len(children) > MAX_CONTAINER_CHILDREN:
        check.fail(
            f"must contain no more than {MAX_CONTAINER_CHILDREN} items", pointer + "/child_blocks"
        )
        return
    for i, item in enumerate(children):
        at = f"{pointer}/child_blocks/{i}"
        if not isinstance(item, dict) or item.get("type") not in CONTAINER_CHILDREN:
            check.fail("must be a valid enum value", at + "/type")
        else:
            child(item, at)
