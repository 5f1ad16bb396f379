"""Platform-neutral rendering of a ``Message`` as text: plain (pipes, logs, transcripts)
and ``rich`` (a terminal).

Every control that sends a click gets a number, counted across the whole message in
document order (each option of a ``Select`` its own number), so the console can accept
``2`` or ``reject`` as the answer. ``numbered_choices`` gives the same numbering as data.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botkit.ui.binding import wire_value
from botkit.ui.nodes import (
    Actions,
    Block,
    Button,
    Context,
    Control,
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

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = [
    "Choice",
    "bound_action_id",
    "display_width",
    "match_choice",
    "numbered_choices",
    "plain_table",
    "render_plain",
    "render_rich",
]

_RULE = "─" * 40
_BUTTON_STYLES = {"primary": "bold green", "danger": "bold red"}
_NAMED_ACCENTS = {"good": "green", "warning": "yellow", "danger": "red"}


@dataclass(frozen=True)
class Choice:
    """One numbered answer: a button, or one option of a select."""

    number: int
    label: str
    action_id: str
    value: Any


def bound_action_id(control: Control, index: int) -> str:
    """The control's ``action_id``, or the deterministic fallback ``bk:unbound:<index>``,
    where ``index`` counts every control of the message in document order from 0."""
    return control.action_id or f"bk:unbound:{index}"


def display_width(text: str) -> int:
    """Terminal columns ``text`` takes: wide East Asian characters count 2, marks 0."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or ch in "\u200b\u200d\ufe0f":
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def _controls(message: Message) -> Iterator[tuple[int, Control]]:
    index = 0
    for block in message.blocks:
        if isinstance(block, Actions):
            for control in block.elements:
                yield index, control
                index += 1


def numbered_choices(message: Message) -> list[Choice]:
    """The message's clickable choices, numbered as ``render_plain`` shows them.
    Link buttons send no click and are not numbered."""
    choices: list[Choice] = []
    for index, control in _controls(message):
        action_id = bound_action_id(control, index)
        if isinstance(control, Button):
            if control.url:
                continue
            choices.append(Choice(len(choices) + 1, control.label, action_id,
                                  wire_value(control)))
        else:
            for option in control.options:
                choices.append(Choice(len(choices) + 1, option.label, action_id, option.value))
    return choices


def match_choice(choices: list[Choice], typed: str) -> Choice | None:
    """The choice a typed answer means: its number (``2``, ``[2]``) or its label,
    case-insensitively. ``None`` when nothing matches or a label is ambiguous."""
    text = " ".join(typed.split()).strip("[]() ").casefold()
    if not text:
        return None
    if text.isdigit():
        return next((c for c in choices if c.number == int(text)), None)
    hits = [c for c in choices if " ".join(c.label.split()).casefold() == text]
    return hits[0] if len(hits) == 1 else None


# -- plain text -------------------------------------------------------------------------


def render_plain(message: Message) -> str:
    """Readable plain text: a title line, paragraphs, ``label: value`` lines, aligned
    tables and numbered options (``[1] Approve  [2] Reject``)."""
    numbers = iter(numbered_choices(message))
    parts = [_plain_block(block, numbers) for block in message.blocks]
    return "\n\n".join(p for p in parts if p)


def _plain_block(block: Block, numbers: Iterator[Choice]) -> str:
    if isinstance(block, Header):
        return f"{block.text}\n{'=' * max(3, display_width(block.text))}"
    if isinstance(block, Section | Markdown):
        return block.text
    if isinstance(block, Fields):
        return "\n".join(f"{f.label}: {f.text}" if f.label else f.text for f in block.fields)
    if isinstance(block, Context):
        return "· " + " · ".join(block.items) if block.items else ""
    if isinstance(block, Divider):
        return _RULE
    if isinstance(block, Image):
        return f"[image: {block.alt}]({block.url})" if block.alt else f"[image]({block.url})"
    if isinstance(block, Table):
        return plain_table(block)
    return "  ".join(_plain_control(c, numbers) for c in block.elements)


def _plain_control(control: Control, numbers: Iterator[Choice]) -> str:
    if isinstance(control, Button):
        if control.url:
            return f"{control.label} <{control.url}>"
        return f"[{next(numbers).number}] {control.label}"
    options = "  ".join(f"[{next(numbers).number}] {o.label}" for o in control.options)
    return f"{control.placeholder or 'Choose'}: {options}"


def _table_grid(table: Table) -> tuple[list[str], list[list[str]], list[str]]:
    ncols = max([len(table.columns), *(len(r) for r in table.rows)], default=0)
    heads = [c.header for c in table.columns] + [""] * (ncols - len(table.columns))
    aligns: list[str] = [c.align for c in table.columns]
    aligns += ["left"] * (ncols - len(table.columns))
    rows = [[" ".join(cell.split()) for cell in r] + [""] * (ncols - len(r)) for r in table.rows]
    return heads, rows, aligns


def plain_table(table: Table, *, max_cell: int | None = None) -> str:
    """A table as aligned monospace columns, headings over a rule; cells longer than
    ``max_cell`` columns end in ``…``."""
    heads, rows, aligns = _table_grid(table)
    if max_cell:
        heads = [_clip(h, max_cell) for h in heads]
        rows = [[_clip(c, max_cell) for c in r] for r in rows]
    grid = [heads, *rows] if table.columns else rows
    if not grid:
        return ""
    widths = [max(display_width(r[c]) for r in grid) for c in range(len(heads))]
    lines = [
        "  ".join(pad_cell(r[c], widths[c], aligns[c]) for c in range(len(heads))) for r in grid
    ]
    if table.columns:
        lines.insert(1, "  ".join("─" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _clip(cell: str, width: int) -> str:
    if display_width(cell) <= width:
        return cell
    kept, used = [], 0
    for ch in cell:
        used += display_width(ch)
        if used > width - 1:
            break
        kept.append(ch)
    return "".join(kept) + "…"


def pad_cell(cell: str, width: int, align: str) -> str:
    """``cell`` padded to ``width`` terminal columns, aligned left, right or center."""
    gap = width - display_width(cell)
    if align == "right":
        return " " * gap + cell
    if align == "center":
        return " " * (gap // 2) + cell + " " * (gap - gap // 2)
    return cell + " " * gap


# -- rich (imported when first used: plain rendering, e.g. on Slack, does not load it) ---


def render_rich(message: Message) -> RenderableType:
    """A ``rich`` renderable for a terminal: a panel (in the accent colour) holding
    markdown, tables and numbered, styled buttons."""
    from rich.console import Group
    from rich.panel import Panel

    numbers = iter(numbered_choices(message))
    items = [_rich_block(block, numbers) for block in message.blocks]
    return Panel(Group(*items), border_style=_accent_style(message.accent), padding=(0, 1))


def _accent_style(accent: str | None) -> str:
    from rich.color import Color, ColorParseError

    if not accent:
        return "dim"
    accent = _NAMED_ACCENTS.get(accent, accent)
    try:
        Color.parse(accent)
    except ColorParseError:
        return "dim"
    return accent


def _rich_block(block: Block, numbers: Iterator[Choice]) -> RenderableType:
    from rich.markdown import Markdown as RichMarkdown
    from rich.rule import Rule
    from rich.style import Style
    from rich.table import Table as RichTable
    from rich.text import Text

    if isinstance(block, Header):
        return Text(block.text, style="bold")
    if isinstance(block, Section | Markdown):
        return RichMarkdown(block.text)
    if isinstance(block, Fields):
        grid = RichTable.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        for field in block.fields:
            grid.add_row(field.label or "", field.text)
        return grid
    if isinstance(block, Context):
        return Text(" · ".join(block.items), style="dim")
    if isinstance(block, Divider):
        return Rule(style="dim")
    if isinstance(block, Image):
        return Text(f"[image: {block.alt or block.url}]", style=Style(link=block.url, dim=True))
    if isinstance(block, Table):
        heads, rows, aligns = _table_grid(block)
        table = RichTable(show_header=bool(block.columns), header_style="bold")
        for head, align in zip(heads, aligns, strict=True):
            table.add_column(head, justify=align)  # type: ignore[arg-type]
        for row in rows:
            table.add_row(*row)
        return table
    text = Text()
    for control in block.elements:
        if text:
            text.append("  ")
        if isinstance(control, Select):
            text.append(f"{control.placeholder or 'Choose'}: ", style="dim")
            text.append("  ".join(f"[{next(numbers).number}] {o.label}" for o in control.options))
        elif control.url:
            text.append(f"{control.label} ↗", style=Style(underline=True, link=control.url))
        else:
            style = _BUTTON_STYLES.get(control.style or "", "bold")
            text.append(f"[{next(numbers).number}] {control.label}", style=style)
    return text
