"""Render a ``Message`` to Block Kit, always within Slack's limits.

Too much content is cut with a visible notice, never rejected by Slack: long text ends
in ``…`` and an italic ``[truncated: N more characters not shown]`` line; blocks past the
budget become one context block ``…N more blocks not shown`` (action rows are kept, so a
long report still has its buttons). Misuse that truncation would break (a button value
over 2000 characters of JSON, an option value over 150) raises ``UserError``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from botkit.errors import UserError
from botkit.ui import nodes as ui
from botkit.ui.text import bound_action_id, plain_table
from botkit_slack import limits as L
from botkit_slack.render.cutting import boundary, size, truncate_plain
from botkit_slack.render.mrkdwn import close_open_markdown, markdown_to_mrkdwn
from botkit_slack.render.text import escape

__all__ = ["RenderedSlackMessage", "plain_text_fallback", "render_block_list", "render_blocks"]

JSON = dict[str, Any]
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


@dataclass(frozen=True)
class RenderedSlackMessage:
    """Block Kit for chat.postMessage/chat.update. With an accent colour the blocks sit
    in ``attachments=[{"color": …, "blocks": …}]`` and ``blocks`` is empty."""

    blocks: list[JSON]
    text: str
    attachments: list[JSON] | None = None

    def kwargs(self) -> dict[str, Any]:
        """The ``text``/``blocks``/``attachments`` arguments of a Web API call."""
        out: dict[str, Any] = {"text": self.text}
        if self.blocks:
            out["blocks"] = self.blocks
        if self.attachments is not None:
            out["attachments"] = self.attachments
        return out


def render_blocks(message: ui.Message, *, data_tables: bool = False) -> RenderedSlackMessage:
    """Render ``message`` to Block Kit that Slack accepts. With ``data_tables``, a table
    that fits Slack's ``data_table`` block (headings, 1–100 rows, up to 20 columns) becomes
    one (paged, sortable); else a ``table`` block, else monospace text."""
    blocks = render_block_list(message, data_tables=data_tables)
    text, accent = plain_text_fallback(message), _accent(message.accent)
    if accent is None:
        return RenderedSlackMessage(blocks=blocks, text=text)
    return RenderedSlackMessage([], text, [{"color": accent, "blocks": blocks}])


def render_block_list(message: ui.Message, *, data_tables: bool = False
                      ) -> list[dict[str, Any]]:
    """``render_blocks(message).blocks`` for a message without an accent, without the
    notification text (for a caller that writes its own)."""
    ctx = _Ctx(data_tables=data_tables)
    return _fit([part for block in message.blocks for part in _render(block, ctx)])


def plain_text_fallback(message: ui.Message, *, limit: int = 150) -> str:
    """The notification text: the header, else the first text, whitespace-collapsed and
    cut at ``limit`` with ``…``; ``…`` alone for a message with no text at all."""
    texts = [b.text for b in message.blocks if isinstance(b, ui.Header)]
    for b in message.blocks:
        if isinstance(b, ui.Section | ui.Markdown):
            md = re.sub(r"!?\[([^\]\n]*)\]\([^)\n]*\)", r"\1", b.text)
            texts.append(re.sub(r"(?m)^\s{0,3}#{1,6}\s+|\*\*|__|~~|`{1,3}", "", md))
        elif isinstance(b, ui.Fields):
            texts += [f"{f.label}: {f.text}" if f.label else f.text for f in b.fields]
        elif isinstance(b, ui.Context):
            texts += b.items
        elif isinstance(b, ui.Image):
            texts.append(b.alt)
        elif isinstance(b, ui.Table):
            texts += [c.header for c in b.columns]
    collapsed = next((" ".join(t.split()) for t in texts if t.strip()), "")
    return escape(truncate_plain(collapsed, limit)) if collapsed else "…"


def _mrkdwn(md: str, limit: int) -> str:
    """``md`` as mrkdwn within ``limit``, cut with a visible notice when too long."""
    out = markdown_to_mrkdwn(md) if len(md) <= 4 * limit else md  # far too long: cut first
    target = limit - 60
    while size(out) > limit:
        end, _ = boundary(md, max(target, 0))
        head = md[:end].rstrip()
        body = markdown_to_mrkdwn(close_open_markdown(head)) if head else ""
        sep = "\n" if not body or body.endswith("```") else ""
        out = f"{body}{sep}…\n_[truncated: {len(md) - len(head):,} more characters not shown]_"
        if not head:
            break
        target = min(target, end) - (size(out) - limit) - 1
    return out


# -- blocks -----------------------------------------------------------------------------


@dataclass
class _Ctx:
    control_index: int = 0
    table_used: bool = False  # Slack allows one table block per message
    data_tables: bool = False


@dataclass
class _Part:
    block: JSON
    keep: bool = False  # an action row (or its note): kept when blocks overflow
    source: str | None = None  # a section's markdown, to re-cut within the text budget


def _plain(text: str, limit: int, default: str = "…") -> JSON:
    text = " ".join(text.split()) or default
    return {"type": "plain_text", "text": truncate_plain(text, limit), "emoji": True}


def _section(md: str, limit: int = L.MAX_SECTION_TEXT) -> JSON:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(md, limit)}}


def _context(texts: list[str]) -> JSON:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def _groups(items: list[Any], size: int) -> list[list[Any]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def _render(block: ui.Block, ctx: _Ctx) -> list[_Part]:
    if isinstance(block, ui.Header):
        header = {"type": "header", "text": _plain(block.text, L.MAX_HEADER_TEXT)}
        return [_Part(header)] if block.text.strip() else []
    if isinstance(block, ui.Section | ui.Markdown):
        section = _section(block.text)
        return [_Part(section, source=block.text)] if section["text"]["text"].strip() else []
    if isinstance(block, ui.Fields):
        md = [f"**{f.label}**\n{f.text}" if f.label else f.text for f in block.fields]
        fields = [{"type": "mrkdwn", "text": _mrkdwn(t, L.MAX_FIELD_TEXT)} for t in md if t.strip()]
        return [_Part({"type": "section", "fields": g}) for g in _groups(fields, 10)]
    if isinstance(block, ui.Context):
        items = [_mrkdwn(i, L.MAX_TEXT_OBJECT) for i in block.items if i.strip()]
        return [_Part(_context(g)) for g in _groups(items, L.MAX_CONTEXT_ELEMENTS)]
    if isinstance(block, ui.Divider):
        return [_Part({"type": "divider"})]
    if isinstance(block, ui.Image):
        if not block.url or size(block.url) > L.MAX_IMAGE_URL:
            why = "its URL is over Slack's 3,000-character limit" if block.url else "no URL"
            return [_Part(_context([f"_[image not shown: {why}]_"]))]
        alt = _plain(block.alt, L.MAX_IMAGE_ALT, "image")["text"]
        return [_Part({"type": "image", "image_url": block.url, "alt_text": alt})]
    if isinstance(block, ui.Table):
        return [_Part(_table(block, ctx))] if block.rows or block.columns else []
    return _actions(block, ctx)


MAX_DATA_TABLE_ROWS = 100  # plus the heading row
DATA_TABLE_PAGE = 10


def _data_table(table: ui.Table, ncols: int) -> JSON | None:
    """Slack's ``data_table`` block (changelog 2026-05-20) when ``table`` fits it."""
    if not table.columns or not 0 < len(table.rows) <= MAX_DATA_TABLE_ROWS or \
            ncols > L.MAX_TABLE_COLUMNS:
        return None
    rows = [[c.header for c in table.columns]] + [list(r) for r in table.rows]
    if any(size(cell) > L.MAX_TABLE_CELL for r in rows for cell in r):
        return None
    padded = [r + [""] * (ncols - len(r)) for r in rows]
    caption = table.caption or ", ".join(c.header for c in table.columns if c.header)
    return {"type": "data_table", "caption": truncate_plain(caption or "Table", 150),
            "page_size": min(DATA_TABLE_PAGE, len(table.rows)),
            "rows": [[{"type": "raw_text", "text": c or " "} for c in r] for r in padded]}


def _table(table: ui.Table, ctx: _Ctx) -> JSON:
    rows = [[c.header for c in table.columns]] if table.columns else []
    rows += [list(r) for r in table.rows]
    ncols = max(len(r) for r in rows)
    data = _data_table(table, ncols) if ctx.data_tables and not ctx.table_used else None
    if data is not None:
        ctx.table_used = True
        return data
    if (
        not ctx.table_used
        and ncols <= L.MAX_TABLE_COLUMNS
        and len(rows) <= L.MAX_TABLE_ROWS
        and all(size(cell) <= L.MAX_TABLE_CELL for r in rows for cell in r)
    ):
        ctx.table_used = True
        aligns = [c.align for c in table.columns] + ["left"] * (ncols - len(table.columns))
        padded = [r + [""] * (ncols - len(r)) for r in rows]
        cells = [[{"type": "raw_text", "text": c or " "} for c in r] for r in padded]
        return {"type": "table", "column_settings": [{"align": a} for a in aligns], "rows": cells}
    total = keep = len(table.rows)
    while True:  # a monospace grid instead, rows cut at the end with a notice
        grid = plain_table(ui.Table(table.rows[:keep], columns=table.columns), max_cell=40)
        text = f"```\n{escape(grid)}\n```"
        if keep < total:
            text += f"\n_…{total - keep:,} more rows not shown_"
        if size(text) <= L.MAX_SECTION_TEXT:
            return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        if keep == 0:
            return _section("_[table not shown: too wide for Slack]_")
        keep = min(keep - 1, keep * L.MAX_SECTION_TEXT // size(text))


def _actions(block: ui.Actions, ctx: _Ctx) -> list[_Part]:
    elements: list[JSON] = []
    notes: list[str] = []
    for control in block.elements:
        index, ctx.control_index = ctx.control_index, ctx.control_index + 1
        if isinstance(control, ui.Button):
            elements.append(_button(control, index))
            continue
        name = escape(_plain(control.placeholder or "", 40, "Choose")["text"])
        if not control.options:
            notes.append(f"_[menu “{name}” not shown: it has no options]_")
            continue
        elements.append(_select(control, index))
        if len(control.options) > L.MAX_SELECT_OPTIONS:
            notes.append(
                f"_Only the first {L.MAX_SELECT_OPTIONS} of {len(control.options):,} "
                f"options of “{name}” are shown._"
            )
    rows: list[list[JSON]] = []
    for element in elements:  # a new row at 25 elements or at a repeated action_id
        aid = element.get("action_id")
        if (
            not rows
            or len(rows[-1]) == L.MAX_ACTIONS_ELEMENTS
            or (aid and any(e.get("action_id") == aid for e in rows[-1]))
        ):
            rows.append([])
        rows[-1].append(element)
    parts = [_Part({"type": "actions", "elements": row}, keep=True) for row in rows]
    return parts + [_Part(_context(g), keep=True) for g in _groups(notes, 10)]


def _check_id(action_id: str) -> str:
    if size(action_id) > L.MAX_ACTION_ID:
        raise UserError(f"action_id {action_id[:40]!r}… is over Slack's 255 characters.")
    return action_id


def _button(button: ui.Button, index: int) -> JSON:
    element: JSON = {"type": "button", "text": _plain(button.label, L.MAX_BUTTON_TEXT)}
    if button.url:
        if size(button.url) > L.MAX_BUTTON_URL:
            raise UserError(f"Button {button.label!r}: url over Slack's 3000 characters.")
        element["url"] = button.url
        if button.action_id:
            element["action_id"] = _check_id(button.action_id)
    else:
        element["action_id"] = _check_id(bound_action_id(button, index))
    if not button.url or button.value is not None:
        value = button.label if button.value is None else button.value
        try:
            element["value"] = json.dumps(value, separators=(",", ":"), sort_keys=True)
        except (TypeError, ValueError) as exc:
            raise UserError(f"Button {button.label!r}: value must be JSON-able: {exc}") from exc
        if size(element["value"]) > L.MAX_BUTTON_VALUE:
            raise UserError(
                f"Button {button.label!r}: its value is {size(element['value']):,} characters "
                f"as JSON; Slack allows {L.MAX_BUTTON_VALUE:,}. Keep button values small (an "
                "id) and keep the data server-side, e.g. in the bot's store, read in on_click."
            )
    if button.style:
        element["style"] = button.style
    return element


def _select(select: ui.Select, index: int) -> JSON:
    options = []
    for option in select.options[: L.MAX_SELECT_OPTIONS]:
        if not 0 < size(option.value) <= L.MAX_OPTION_VALUE:
            raise UserError(
                f"Select option {option.label!r}: values must be 1–{L.MAX_OPTION_VALUE} "
                "characters; use a short id and keep the data server-side."
            )
        label = _plain(option.label, L.MAX_OPTION_TEXT, option.value)
        options.append({"text": label, "value": option.value})
    return {
        "type": "static_select",
        "action_id": _check_id(bound_action_id(select, index)),
        "placeholder": _plain(select.placeholder or "", L.MAX_PLACEHOLDER, "Choose…"),
        "options": options,
    }


def _text_size(node: Any) -> int:
    if isinstance(node, dict):
        return sum(
            size(v) if k == "text" and isinstance(v, str) else _text_size(v)
            for k, v in node.items()
        )
    return sum(_text_size(v) for v in node) if isinstance(node, list) else 0


def _fit(parts: list[_Part]) -> list[JSON]:
    """Keep at most 50 blocks and the total text budget; action rows survive a cut."""
    sizes = [_text_size(p.block) for p in parts]
    if len(parts) <= L.MAX_BLOCKS and sum(sizes) <= L.MAX_TOTAL_BLOCKS_TEXT:
        return [p.block for p in parts]
    keep = [p.keep for p in parts] if sum(p.keep for p in parts) <= 25 else [False] * len(parts)
    slots = L.MAX_BLOCKS - 1 - sum(keep)
    budget = L.MAX_TOTAL_BLOCKS_TEXT - 100 - sum(s for s, k in zip(sizes, keep, strict=True) if k)
    out: list[JSON] = []
    cut_at: int | None = None
    dropped = 0
    for part, text_size, kept in zip(parts, sizes, keep, strict=True):
        if kept:
            out.append(part.block)
        elif cut_at is None and slots > 0 and text_size <= budget:
            out.append(part.block)
            slots, budget = slots - 1, budget - text_size
        elif cut_at is None and slots > 0 and part.source is not None and budget >= 300:
            out.append(_section(part.source, min(budget, L.MAX_SECTION_TEXT)))
            cut_at = len(out)
        else:
            cut_at = len(out) if cut_at is None else cut_at
            dropped += 1
    if dropped and cut_at is not None:
        noun = "block" if dropped == 1 else "blocks"
        out.insert(cut_at, _context([f"_…{dropped:,} more {noun} not shown_"]))
    return out


def _accent(accent: str | None) -> str | None:
    if not accent or accent in ("good", "warning", "danger"):
        return accent or None
    m = _HEX.fullmatch(accent.strip())
    if not m:
        raise UserError(f"accent {accent!r}: use a hex colour like '#36a64f' or good/danger.")
    digits = m.group(1)
    return "#" + (digits if len(digits) == 6 else "".join(d * 2 for d in digits)).lower()
