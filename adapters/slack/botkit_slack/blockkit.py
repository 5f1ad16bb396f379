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
import unicodedata
from dataclasses import dataclass
from typing import Any

from botkit.errors import UserError
from botkit.ui.nodes import (
    Actions,
    Block,
    Button,
    Context,
    Divider,
    Fields,
    Header,
    Image,
    Markdown,
    Message,
    Section,
    Select,
    Table,
)
from botkit.ui.text import bound_action_id, plain_table
from botkit_slack import limits as L
from botkit_slack.mrkdwn import _FENCE, _closes, close_open_markdown, markdown_to_mrkdwn

__all__ = ["RenderedSlackMessage", "plain_text_fallback", "render_blocks", "split_text"]

JSON = dict[str, Any]
_FALLBACK_TEXT = 150
_TABLE_CELL_WIDTH = 40
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


def render_blocks(message: Message) -> RenderedSlackMessage:
    """Render ``message`` to Block Kit that Slack accepts."""
    ctx = _Ctx()
    parts = [part for block in message.blocks for part in _render(block, ctx)]
    blocks = _fit(parts)
    text = plain_text_fallback(message)
    accent = _accent(message.accent)
    if accent is None:
        return RenderedSlackMessage(blocks=blocks, text=text)
    return RenderedSlackMessage(
        blocks=[], text=text, attachments=[{"color": accent, "blocks": blocks}]
    )


def plain_text_fallback(message: Message, *, limit: int = _FALLBACK_TEXT) -> str:
    """The notification text: the header, else the first text, whitespace-collapsed and
    cut at ``limit`` with ``…``; ``…`` alone for a message with no text at all."""
    texts = [b.text for b in message.blocks if isinstance(b, Header)]
    for block in message.blocks:
        if isinstance(block, Section | Markdown):
            texts.append(_strip_markdown(block.text))
        elif isinstance(block, Fields):
            texts += [f"{f.label}: {f.text}" if f.label else f.text for f in block.fields]
        elif isinstance(block, Context):
            texts += block.items
        elif isinstance(block, Image):
            texts.append(block.alt)
        elif isinstance(block, Table):
            texts += [c.header for c in block.columns]
    for text in texts:
        collapsed = " ".join(text.split())
        if collapsed:
            cut = _truncate_plain(collapsed, limit)
            return cut.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "…"


def _strip_markdown(md: str) -> str:
    md = re.sub(r"!?\[([^\]\n]*)\]\([^)\n]*\)", r"\1", md)
    return re.sub(r"(?m)^\s{0,3}#{1,6}\s+|\*\*|__|~~|`{1,3}", "", md)


# -- sizes and cutting ------------------------------------------------------------------


def _size(s: str) -> int:
    """Length as Slack may count it: UTF-16 code units (never less than ``len``)."""
    return len(s) + sum(1 for ch in s if ord(ch) > 0xFFFF)


def _fit_index(s: str, limit: int) -> int:
    """The longest prefix ``s[:i]`` whose size is at most ``limit``."""
    total = 0
    for i, ch in enumerate(s):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > limit:
            return i
    return len(s)


def _joined(s: str, i: int) -> bool:
    """True when cutting between ``s[i-1]`` and ``s[i]`` would split a grapheme."""
    a, b = s[i - 1], s[i]
    if unicodedata.category(b) in ("Mn", "Mc", "Me") or a == "\u200d" or b == "\u200d":
        return True
    if "\ufe00" <= b <= "\ufe0f" or 0x1F3FB <= ord(b) <= 0x1F3FF or 0xE0020 <= ord(b) <= 0xE007F:
        return True
    if "\ud800" <= a <= "\udbff":
        return True
    if _regional(a) and _regional(b):
        run = 0
        while i - 1 - run >= 0 and _regional(s[i - 1 - run]):
            run += 1
        return run % 2 == 1
    return False


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _safe_cut(s: str, i: int) -> int:
    j = i
    while 0 < j < len(s) and _joined(s, j):
        j -= 1
    return j if j > 0 else i


def _boundary(s: str, limit: int) -> tuple[int, int]:
    """Where to cut ``s`` to keep at most ``limit``: (end of head, start of rest),
    preferring a paragraph break, then a line break, then a space."""
    i = _fit_index(s, limit)
    if i >= len(s):
        return len(s), len(s)
    for sep, floor in (("\n\n", i // 2), ("\n", i // 4), (" ", i // 4)):
        p = s.rfind(sep, 0, i + 1)
        if p >= max(floor, 1):
            return p, p + len(sep)
    j = _safe_cut(s, i)
    return j, j


def _truncate_plain(text: str, limit: int) -> str:
    if _size(text) <= limit:
        return text
    return text[: _safe_cut(text, _fit_index(text, limit - 1))].rstrip() + "…"


def _mrkdwn(md: str, limit: int) -> str:
    """``md`` as mrkdwn within ``limit``, cut with a visible notice when too long."""
    out = markdown_to_mrkdwn(md)
    if _size(out) <= limit:
        return out
    target = limit - 60
    while True:
        end, _ = _boundary(md, max(target, 0))
        head = md[:end].rstrip()
        body = markdown_to_mrkdwn(close_open_markdown(head)) if head else ""
        sep = "\n" if not body or body.endswith("```") else ""
        out = f"{body}{sep}…\n_[truncated: {len(md) - len(head):,} more characters not shown]_"
        if _size(out) <= limit or not head:
            return out
        target = min(target, end) - (_size(out) - limit) - 1


# -- blocks -----------------------------------------------------------------------------


class _Ctx:
    def __init__(self) -> None:
        self.control_index = 0
        self.table_used = False


@dataclass
class _Part:
    block: JSON
    keep: bool = False  # an action row (or its note): kept when blocks overflow
    source: str | None = None  # a section's markdown, to re-cut within the text budget


def _plain(text: str, limit: int) -> JSON:
    return {"type": "plain_text", "text": _truncate_plain(text, limit), "emoji": True}


def _section(md: str, limit: int = L.MAX_SECTION_TEXT) -> JSON:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _mrkdwn(md, limit)}}


def _context(texts: list[str]) -> JSON:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": t} for t in texts]}


def _chunks(items: list[JSON], size: int) -> list[list[JSON]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def _render(block: Block, ctx: _Ctx) -> list[_Part]:
    if isinstance(block, Header):
        text = " ".join(block.text.split())
        return [_Part({"type": "header", "text": _plain(text, L.MAX_HEADER_TEXT)})] if text else []
    if isinstance(block, Section | Markdown):
        section = _section(block.text)
        return [_Part(section, source=block.text)] if section["text"]["text"].strip() else []
    if isinstance(block, Fields):
        md = [f"**{f.label}**\n{f.text}" if f.label else f.text for f in block.fields]
        fields = [{"type": "mrkdwn", "text": _mrkdwn(t, L.MAX_FIELD_TEXT)} for t in md if t.strip()]
        return [
            _Part({"type": "section", "fields": c}) for c in _chunks(fields, L.MAX_SECTION_FIELDS)
        ]
    if isinstance(block, Context):
        items = [_mrkdwn(i, L.MAX_TEXT_OBJECT) for i in block.items if i.strip()]
        step = L.MAX_CONTEXT_ELEMENTS
        return [_Part(_context(items[k : k + step])) for k in range(0, len(items), step)]
    if isinstance(block, Divider):
        return [_Part({"type": "divider"})]
    if isinstance(block, Image):
        if not block.url or _size(block.url) > L.MAX_IMAGE_URL:
            why = "no URL" if not block.url else "its URL is over Slack's 3,000-character limit"
            return [_Part(_context([f"_[image not shown: {why}]_"]))]
        alt = _truncate_plain(" ".join(block.alt.split()) or "image", L.MAX_IMAGE_ALT)
        return [_Part({"type": "image", "image_url": block.url, "alt_text": alt})]
    if isinstance(block, Table):
        return [_Part(_table(block, ctx))] if block.rows or block.columns else []
    return _actions(block, ctx)


def _table(table: Table, ctx: _Ctx) -> JSON:
    rows = ([[c.header for c in table.columns]] if table.columns else []) + [
        list(r) for r in table.rows
    ]
    ncols = max(len(r) for r in rows)
    native = (
        not ctx.table_used
        and ncols <= L.MAX_TABLE_COLUMNS
        and len(rows) <= L.MAX_TABLE_ROWS
        and all(_size(cell) <= L.MAX_TABLE_CELL for r in rows for cell in r)
    )
    if native:
        ctx.table_used = True  # Slack allows one table per message
        aligns = [c.align for c in table.columns] + ["left"] * (ncols - len(table.columns))
        cells = [
            [{"type": "raw_text", "text": c or " "} for c in r + [""] * (ncols - len(r))]
            for r in rows
        ]
        return {"type": "table", "column_settings": [{"align": a} for a in aligns], "rows": cells}
    total = keep = len(table.rows)
    while True:
        grid = plain_table(
            Table(table.rows[:keep], columns=table.columns), max_cell=_TABLE_CELL_WIDTH
        )
        text = (
            "```\n" + grid.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "\n```"
        )
        if keep < total:
            text += f"\n_…{total - keep:,} more rows not shown_"
        if _size(text) <= L.MAX_SECTION_TEXT:
            return {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        if keep == 0:
            return _section("_[table not shown: too wide for Slack]_")
        keep = min(keep - 1, keep * L.MAX_SECTION_TEXT // _size(text))


def _actions(block: Actions, ctx: _Ctx) -> list[_Part]:
    elements: list[JSON] = []
    notes: list[str] = []
    for control in block.elements:
        index, ctx.control_index = ctx.control_index, ctx.control_index + 1
        if isinstance(control, Button):
            elements.append(_button(control, index))
        elif not control.options:
            notes.append(
                f"_[menu “{control.placeholder or 'Choose'}” not shown: it has no options]_"
            )
        else:
            elements.append(_select(control, index))
            if len(control.options) > L.MAX_SELECT_OPTIONS:
                notes.append(
                    f"_Only the first {L.MAX_SELECT_OPTIONS} of {len(control.options):,} "
                    f"options of “{control.placeholder or 'Choose'}” are shown._"
                )
    rows: list[list[JSON]] = []
    for element in elements:  # a new row at 25 elements or at a repeated action_id
        aid = element.get("action_id")
        row = rows[-1] if rows else None
        if (
            row is None
            or len(row) == L.MAX_ACTIONS_ELEMENTS
            or (aid and any(e.get("action_id") == aid for e in row))
        ):
            rows.append([])
        rows[-1].append(element)
    parts = [_Part({"type": "actions", "elements": row}, keep=True) for row in rows]
    return parts + [
        _Part(_context(c), keep=True) for c in [notes[k : k + 10] for k in range(0, len(notes), 10)]
    ]


def _check_id(action_id: str) -> str:
    if _size(action_id) > L.MAX_ACTION_ID:
        raise UserError(
            f"action_id {action_id[:40]!r}… is over Slack's 255 characters; use a shorter id."
        )
    return action_id


def _button(button: Button, index: int) -> JSON:
    label = " ".join(button.label.split()) or "…"
    element: JSON = {"type": "button", "text": _plain(label, L.MAX_BUTTON_TEXT)}
    if button.url:
        if _size(button.url) > L.MAX_BUTTON_URL:
            raise UserError(
                f"Button {button.label!r}: its url is over Slack's 3000 characters; link to a shorter URL."
            )
        element["url"] = button.url
        if button.action_id:
            element["action_id"] = _check_id(button.action_id)
    else:
        element["action_id"] = _check_id(bound_action_id(button, index))
    if not button.url or button.value is not None:
        element["value"] = _button_value(button)
    if button.style:
        element["style"] = button.style
    return element


def _button_value(button: Button) -> str:
    value = button.label if button.value is None else button.value
    try:
        wire = json.dumps(value, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise UserError(
            f"Button {button.label!r}: value must be JSON-able (str, number, list, dict): {exc}"
        ) from exc
    if _size(wire) > L.MAX_BUTTON_VALUE:
        raise UserError(
            f"Button {button.label!r}: its value is {_size(wire):,} characters as JSON; Slack "
            f"allows {L.MAX_BUTTON_VALUE:,}. Keep button values small (an id) and keep the "
            "data server-side, e.g. in the bot's store, looking it up in on_click."
        )
    return wire


def _select(select: Select, index: int) -> JSON:
    options = []
    for option in select.options[: L.MAX_SELECT_OPTIONS]:
        if _size(option.value) > L.MAX_OPTION_VALUE:
            raise UserError(
                f"Select option {option.label!r}: its value is over Slack's "
                f"{L.MAX_OPTION_VALUE} characters; use a short id and keep the data server-side."
            )
        label = " ".join(option.label.split()) or option.value or "…"
        options.append({"text": _plain(label, L.MAX_OPTION_TEXT), "value": option.value})
    return {
        "type": "static_select",
        "action_id": _check_id(bound_action_id(select, index)),
        "placeholder": _plain(select.placeholder or "Choose…", L.MAX_PLACEHOLDER),
        "options": options,
    }


def _text_size(node: Any) -> int:
    if isinstance(node, dict):
        return sum(
            _size(v) if k == "text" and isinstance(v, str) else _text_size(v)
            for k, v in node.items()
        )
    if isinstance(node, list):
        return sum(_text_size(v) for v in node)
    return 0


def _fit(parts: list[_Part]) -> list[JSON]:
    """Keep at most 50 blocks and the text budget; action rows survive a cut."""
    sizes = [_text_size(p.block) for p in parts]
    if len(parts) <= L.MAX_BLOCKS and sum(sizes) <= L.MAX_TOTAL_BLOCKS_TEXT:
        return [p.block for p in parts]
    keep = [p.keep for p in parts]
    if sum(keep) > L.MAX_BLOCKS // 2:
        keep = [False] * len(parts)
    slots = L.MAX_BLOCKS - 1 - sum(keep)
    budget = L.MAX_TOTAL_BLOCKS_TEXT - 100 - sum(s for s, k in zip(sizes, keep, strict=True) if k)
    out: list[JSON] = []
    cut_at: int | None = None
    dropped = 0
    for part, size, kept in zip(parts, sizes, keep, strict=True):
        if kept:
            out.append(part.block)
        elif cut_at is None and slots > 0 and size <= budget:
            out.append(part.block)
            slots, budget = slots - 1, budget - size
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
        raise UserError(
            f"accent {accent!r}: use a hex colour like '#36a64f' (or good/warning/danger)."
        )
    digits = m.group(1)
    return "#" + (digits if len(digits) == 6 else "".join(d * 2 for d in digits)).lower()


# -- splitting long replies -------------------------------------------------------------


def split_text(text: str, *, limit: int = 3500) -> list[str]:
    """Split a long reply into messages of at most ``limit`` characters, at paragraph,
    line or word boundaries and never across a grapheme. A code fence cut by a split is
    closed at the end of one message and reopened at the start of the next."""
    if limit < 40:
        raise ValueError("split_text: limit must be at least 40")
    chunks: list[str] = []
    rest = text
    while _size(rest) > limit:
        head, tail = _split_once(rest, limit)
        if len(tail) >= len(rest):  # no progress (a pathological fence): cut hard
            cut = _safe_cut(rest, _fit_index(rest, limit))
            head, tail = rest[:cut], rest[cut:]
        if head.strip():
            chunks.append(head)
        rest = tail
    if rest.strip() or not chunks:
        chunks.append(rest)
    return chunks


def _split_once(rest: str, limit: int) -> tuple[str, str]:
    end, start = _boundary(rest, limit)
    fence = _open_fence(rest[:end])
    if fence is not None:
        opener, at, closer = fence
        body_at = rest.find("\n", at) + 1 or len(rest)
        if at >= 0.3 * limit:  # move the cut before the fence if that keeps enough
            return rest[:at].rstrip(), rest[at:]
        end, start = _boundary(rest, limit - len(closer) - 1)
        if end < body_at + limit // 4:
            end = start = _safe_cut(rest, _fit_index(rest, limit - len(closer) - 1))
        fence = _open_fence(rest[:end])
    head, tail = rest[:end].rstrip(), rest[start:].lstrip("\n")
    if fence is None:
        return head, tail
    opener, _, closer = fence
    opener = opener if len(opener) <= limit // 8 else closer
    return head + "\n" + closer, opener + "\n" + tail


def _open_fence(s: str) -> tuple[str, int, str] | None:
    """The fence left open at the end of ``s``: (opener line, its offset, closer)."""
    fence: tuple[str, int, str] | None = None
    offset = 0
    for line in s.split("\n"):
        if fence is not None:
            if _closes(line, fence[2]):
                fence = None
        else:
            m = _FENCE.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = (line.strip(), offset, m.group(1))
        offset += len(line) + 1
    return fence
