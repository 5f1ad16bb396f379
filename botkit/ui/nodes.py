"""The component vocabulary: frozen nodes that renderers turn into Block Kit or text.

A message is a tree: a ``Message`` holds blocks (``Header``, ``Section``, ``Actions`` …);
``Actions`` holds controls (``Button``, ``Select``). Nodes are immutable values; botkit
fills in a control's ``action_id`` when it posts the message, so handler code never
travels to the platform, only the id and the control's value.

Your own components are plain functions that return nodes::

    def ticket_card(ticket):
        return ui.Message(ui.Header(ticket.title), ui.Section(ticket.body))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, TypeVar

__all__ = [
    "Actions",
    "Block",
    "Button",
    "Column",
    "Context",
    "Control",
    "Divider",
    "Field",
    "Fields",
    "Header",
    "Image",
    "Markdown",
    "Message",
    "Node",
    "Option",
    "Renderable",
    "Section",
    "Select",
    "Table",
    "replace",
]

ClickHandler: TypeAlias = Callable[[Any], Awaitable[Any] | Any]
ButtonStyle = Literal["primary", "danger"]


class Node:
    """Base class of every component node."""

    __slots__ = ()


def _set(obj: object, **values: Any) -> None:
    for key, value in values.items():
        object.__setattr__(obj, key, value)


N = TypeVar("N", bound=Node)


def replace(node: N, **changes: Any) -> N:
    """A copy of ``node`` with some fields changed (nodes are immutable)."""
    copy = object.__new__(type(node))
    for f in dataclasses.fields(node):  # type: ignore[arg-type]
        _set(copy, **{f.name: changes.get(f.name, getattr(node, f.name))})
    return copy


@dataclass(frozen=True, init=False, slots=True)
class Header(Node):
    """A bold title line (plain text, no markdown)."""

    text: str

    def __init__(self, text: str) -> None:
        _set(self, text=str(text))


@dataclass(frozen=True, init=False, slots=True)
class Section(Node):
    """A paragraph of Markdown."""

    text: str

    def __init__(self, *text: str) -> None:
        _set(self, text="".join(str(t) for t in text))


@dataclass(frozen=True, init=False, slots=True)
class Markdown(Node):
    """Markdown text; the same as ``Section``, named for what it holds."""

    text: str

    def __init__(self, *text: str) -> None:
        _set(self, text="".join(str(t) for t in text))


@dataclass(frozen=True, init=False, slots=True)
class Field(Node):
    """One label/value pair inside ``Fields``."""

    text: str
    label: str | None

    def __init__(self, text: str, *, label: str | None = None) -> None:
        _set(self, text=str(text), label=label)


@dataclass(frozen=True, init=False, slots=True)
class Fields(Node):
    """Short label/value pairs shown side by side."""

    fields: tuple[Field, ...]

    def __init__(self, *fields: Field | str) -> None:
        _set(self, fields=tuple(f if isinstance(f, Field) else Field(f) for f in fields))


@dataclass(frozen=True, init=False, slots=True)
class Context(Node):
    """Small, muted metadata text."""

    items: tuple[str, ...]

    def __init__(self, *items: str) -> None:
        _set(self, items=tuple(str(i) for i in items))


@dataclass(frozen=True, init=False, slots=True)
class Divider(Node):
    """A horizontal rule."""

    def __init__(self) -> None:
        pass


@dataclass(frozen=True, init=False, slots=True)
class Image(Node):
    """An image by public URL (use ``thread.post_file`` for bytes)."""

    url: str
    alt: str

    def __init__(self, url: str, *, alt: str = "") -> None:
        _set(self, url=url, alt=alt)


@dataclass(frozen=True, init=False, slots=True)
class Column(Node):
    """A table column heading."""

    header: str
    align: Literal["left", "center", "right"]

    def __init__(
        self, header: str, *, align: Literal["left", "center", "right"] = "left"
    ) -> None:
        _set(self, header=str(header), align=align)


@dataclass(frozen=True, init=False, slots=True)
class Table(Node):
    """Rows of text cells under optional column headings; ``caption`` says what the table
    shows (read out by screen readers; Slack's data tables show it)."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str | None

    def __init__(
        self,
        rows: Iterable[Sequence[Any]] = (),
        *,
        columns: Iterable[Column | str] = (),
        caption: str | None = None,
    ) -> None:
        _set(
            self,
            columns=tuple(c if isinstance(c, Column) else Column(c) for c in columns),
            rows=tuple(tuple("" if cell is None else str(cell) for cell in row) for row in rows),
            caption=caption,
        )


@dataclass(frozen=True, init=False, slots=True)
class Button(Node):
    """A button. ``value`` travels to the platform (JSON); ``on_click`` stays in the bot.

    With ``url`` it is a link button: it opens the URL and sends no click to the bot.
    """

    label: str
    value: Any
    on_click: ClickHandler | None
    style: ButtonStyle | None
    url: str | None
    action_id: str | None

    def __init__(
        self,
        label: str,
        *,
        value: Any = None,
        on_click: ClickHandler | None = None,
        style: ButtonStyle | None = None,
        url: str | None = None,
        action_id: str | None = None,
    ) -> None:
        _set(
            self,
            label=str(label),
            value=value,
            on_click=on_click,
            style=style,
            url=url,
            action_id=action_id,
        )


@dataclass(frozen=True, init=False, slots=True)
class Option(Node):
    """One choice of a ``Select``."""

    label: str
    value: str

    def __init__(self, label: str, value: str | None = None) -> None:
        _set(self, label=str(label), value=str(label if value is None else value))


@dataclass(frozen=True, init=False, slots=True)
class Select(Node):
    """A drop-down; ``on_select`` receives the picked option's value."""

    options: tuple[Option, ...]
    placeholder: str | None
    on_select: ClickHandler | None
    action_id: str | None

    def __init__(
        self,
        options: Iterable[Option | str | tuple[str, str]],
        *,
        placeholder: str | None = None,
        on_select: ClickHandler | None = None,
        action_id: str | None = None,
    ) -> None:
        opts: list[Option] = []
        for o in options:
            if isinstance(o, Option):
                opts.append(o)
            elif isinstance(o, tuple):
                opts.append(Option(o[0], o[1]))
            else:
                opts.append(Option(o))
        _set(
            self,
            options=tuple(opts),
            placeholder=placeholder,
            on_select=on_select,
            action_id=action_id,
        )


Control: TypeAlias = Button | Select


@dataclass(frozen=True, init=False, slots=True)
class Actions(Node):
    """A row of controls."""

    elements: tuple[Control, ...]

    def __init__(self, *elements: Control) -> None:
        _set(self, elements=tuple(elements))


Block: TypeAlias = (
    Header | Section | Markdown | Fields | Context | Divider | Image | Table | Actions
)


@dataclass(frozen=True, init=False, slots=True)
class Message(Node):
    """The root of a rich message. Strings among the children become ``Section``s;
    ``None`` and ``False`` are skipped; lists are flattened."""

    blocks: tuple[Block, ...]
    accent: str | None
    status: bool
    """A bot status line (an error notice, progress): shown, but left out of the history
    the agent sees."""

    def __init__(
        self, *children: Renderable, accent: str | None = None, status: bool = False
    ) -> None:
        _set(self, blocks=tuple(_flatten(children)), accent=accent, status=status)


Renderable: TypeAlias = "str | Node | Sequence[Renderable] | bool | None"


def _flatten(children: Iterable[Renderable]) -> Iterable[Block]:
    for child in children:
        if child is None or child is False or child is True:
            continue
        if isinstance(child, str):
            if child:
                yield Section(child)
        elif isinstance(child, Message):
            yield from child.blocks
        elif isinstance(child, Button | Select):
            yield Actions(child)
        elif isinstance(child, Field):
            yield Fields(child)
        elif isinstance(child, Node):
            yield child  # type: ignore[misc]  # every other Node subclass is a Block
        else:
            yield from _flatten(child)
