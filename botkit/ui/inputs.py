"""Modals: a form a person fills in and submits (``ctx.open_modal(ui.Modal(...))``).

A ``Modal`` holds ordinary blocks (text, headers …) and input components. Each input has
a ``name``: the submitted values arrive keyed by it (``ctx.values["title"]``), typed:
``TextInput`` and ``SelectInput`` give ``str``, ``Checkboxes`` a ``list[str]``,
``DatePicker`` a ``datetime.date``; an optional input left empty gives ``None``.

    ui.Modal(
        ui.TextInput("title", "Title", max_length=80),
        ui.SelectInput("priority", "Priority", ["low", "high"], initial="low"),
        ui.DatePicker("due", "Due", optional=True),
        title="New ticket", callback_id="new_ticket")
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeAlias

from botkit.ui.nodes import Block, Node, Option, Section, _set

__all__ = ["Checkboxes", "DatePicker", "Input", "Modal", "SelectInput", "TextInput"]

OptionLike: TypeAlias = "Option | str | tuple[str, str]"


def _options(options: Iterable[OptionLike]) -> tuple[Option, ...]:
    return tuple(o if isinstance(o, Option) else Option(o[0], o[1]) if isinstance(o, tuple)
                 else Option(o) for o in options)


def _name(name: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"an input needs a non-empty name (its key in the submitted "
                         f"values); got {name!r}")
    return name


@dataclass(frozen=True, init=False)
class TextInput(Node):
    """A line (or, with ``multiline``, a box) of text."""

    name: str
    label: str
    placeholder: str | None
    multiline: bool
    optional: bool
    initial: str | None
    min_length: int | None
    max_length: int | None

    def __init__(self, name: str, label: str, *, placeholder: str | None = None,
                 multiline: bool = False, optional: bool = False, initial: str | None = None,
                 min_length: int | None = None, max_length: int | None = None) -> None:
        _set(self, name=_name(name), label=str(label), placeholder=placeholder,
             multiline=multiline, optional=optional, initial=initial, min_length=min_length,
             max_length=max_length)


@dataclass(frozen=True, init=False)
class SelectInput(Node):
    """Pick one option; the value is the picked option's ``value``."""

    name: str
    label: str
    options: tuple[Option, ...]
    placeholder: str | None
    optional: bool
    initial: str | None

    def __init__(self, name: str, label: str, options: Iterable[OptionLike], *,
                 placeholder: str | None = None, optional: bool = False,
                 initial: str | None = None) -> None:
        _set(self, name=_name(name), label=str(label), options=_options(options),
             placeholder=placeholder, optional=optional, initial=initial)


@dataclass(frozen=True, init=False)
class Checkboxes(Node):
    """Tick any number of options; the value is the list of ticked options' values."""

    name: str
    label: str
    options: tuple[Option, ...]
    optional: bool
    initial: tuple[str, ...]

    def __init__(self, name: str, label: str, options: Iterable[OptionLike], *,
                 optional: bool = True, initial: Iterable[str] = ()) -> None:
        _set(self, name=_name(name), label=str(label), options=_options(options),
             optional=optional, initial=tuple(initial))


@dataclass(frozen=True, init=False)
class DatePicker(Node):
    """Pick a day; the value is a ``datetime.date``."""

    name: str
    label: str
    optional: bool
    initial: datetime.date | None
    placeholder: str | None

    def __init__(self, name: str, label: str, *, optional: bool = False,
                 initial: datetime.date | None = None, placeholder: str | None = None) -> None:
        _set(self, name=_name(name), label=str(label), optional=optional, initial=initial,
             placeholder=placeholder)


Input: TypeAlias = TextInput | SelectInput | Checkboxes | DatePicker


@dataclass(frozen=True, init=False)
class Modal(Node):
    """A form in a dialog. ``callback_id`` routes its submission to
    ``@bot.on_modal_submit(callback_id)`` (and closing it to ``on_modal_close``);
    ``metadata`` (text) travels with it and comes back in ``ctx.metadata``."""

    title: str
    callback_id: str
    blocks: tuple[Block | Input, ...]
    submit: str
    close: str
    metadata: str

    def __init__(self, *children: Block | Input | str, title: str, callback_id: str,
                 submit: str = "Submit", close: str = "Cancel", metadata: str = "") -> None:
        if not isinstance(callback_id, str) or not callback_id.strip():
            raise ValueError("a Modal needs a callback_id (what @bot.on_modal_submit routes "
                             f"on); got {callback_id!r}")
        names = [c.name for c in children if isinstance(c, Input)]
        if len(set(names)) != len(names):
            raise ValueError(f"two inputs of a Modal share a name: {sorted(names)}")
        _set(self, title=str(title), callback_id=callback_id, submit=str(submit),
             close=str(close), metadata=str(metadata),
             blocks=tuple(Section(c) if isinstance(c, str) else c for c in children if c))

    @property
    def inputs(self) -> tuple[Input, ...]:
        return tuple(b for b in self.blocks if isinstance(b, Input))
