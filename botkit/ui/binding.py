"""Binding controls to handlers: opaque, content-stable action ids.

Only the id and the control's value travel to the platform; the handler stays in the bot.
An id is a hash of where the control sits, what it shows, its value, the handler's
qualified name and the data it carries (closure variables, default arguments, ``partial``
arguments, a bound method's object) and the conversation, so rendering the same card again
yields the same id, while look-alike buttons acting on different data never share one.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from botkit.ui.nodes import (
    Actions,
    Block,
    Button,
    ClickHandler,
    Context,
    Control,
    Message,
    Node,
    Renderable,
    Select,
    replace,
)

__all__ = [
    "CHOICE_PREFIX",
    "bind_handlers",
    "choice_id_of",
    "close_controls",
    "iter_controls",
    "mark_choice",
    "option_label",
    "to_message",
    "wire_value",
]

ACTION_PREFIX = "bk:"
CHOICE_PREFIX = "bk:choice:"


def choice_id_of(action_id: str) -> str | None:
    """The choice id inside a choice control's action id (None for other action ids)."""
    if not action_id.startswith(CHOICE_PREFIX):
        return None
    return action_id[len(CHOICE_PREFIX):].rsplit(":", 1)[0] or None


def to_message(ui: Renderable) -> Message:
    """Whatever a handler passes to ``post``/``update`` as one ``Message``."""
    if isinstance(ui, Message):
        return ui
    if isinstance(ui, str | Node) or ui is None or isinstance(ui, bool):
        return Message(ui)
    return Message(*ui) if isinstance(ui, Sequence) else Message(ui)


def wire_value(control: Button) -> Any:
    """A button's value as the bot will receive it back (its label when it has none)."""
    return control.label if control.value is None else control.value


def iter_controls(message: Message) -> Iterator[Control]:
    """Every interactive control in document order (link buttons excluded)."""
    for block in message.blocks:
        if isinstance(block, Actions):
            for element in block.elements:
                if isinstance(element, Button) and element.url:
                    continue
                yield element


def _map_controls(message: Message, fn: Any) -> Message:
    blocks: list[Block] = []
    index = 0
    for block in message.blocks:
        if isinstance(block, Actions):
            elements = []
            for element in block.elements:
                if isinstance(element, Button) and element.url:
                    elements.append(element)
                    continue
                elements.append(fn(index, element))
                index += 1
            blocks.append(Actions(*elements))
        else:
            blocks.append(block)
    return replace(message, blocks=tuple(blocks))


def _handler_of(control: Control) -> ClickHandler | None:
    return control.on_click if isinstance(control, Button) else control.on_select


def _handler_key(handler: Any) -> list[Any]:
    """The handler's name and the data it acts on. Two ``lambda ctx, t=t: approve(t)``
    buttons for different tickets must not share an action id, or one click would run
    the other ticket's handler."""
    bound: list[Any] = []
    while isinstance(handler, functools.partial):
        bound += [list(handler.args), handler.keywords]
        handler = handler.func
    if getattr(handler, "__self__", None) is not None:
        bound.append(handler.__self__)
    func = getattr(handler, "__func__", handler)
    for cell in getattr(func, "__closure__", None) or ():
        try:
            bound.append(cell.cell_contents)
        except ValueError:  # a cell not filled yet
            bound.append(None)
    bound += [getattr(func, "__defaults__", None), getattr(func, "__kwdefaults__", None)]
    name = f"{getattr(func, '__module__', '')}.{getattr(func, '__qualname__', '')}"
    return [name, bound]


def _mint(scope: str, index: int, control: Control, handler: ClickHandler) -> str:
    shown = (
        [control.label, control.value]
        if isinstance(control, Button)
        else [[o.label, o.value] for o in control.options]
    )
    key = [scope, index, type(control).__name__, shown, _handler_key(handler)]
    try:
        text = json.dumps(key, default=repr)
    except (TypeError, ValueError):  # circular or non-str-keyed data: repr copes
        text = repr(key)
    return ACTION_PREFIX + hashlib.sha1(text.encode()).hexdigest()[:16]


def bind_handlers(message: Message, *, scope: str) -> tuple[Message, dict[str, ClickHandler]]:
    """Give every control that has a handler (and no explicit id) a minted action id.

    Returns the message to send and the handlers to register under those ids.
    """
    handlers: dict[str, ClickHandler] = {}

    def bind(index: int, control: Control) -> Control:
        handler = _handler_of(control)
        if handler is None:
            return control
        action_id = control.action_id or _mint(scope, index, control, handler)
        handlers[action_id] = handler
        return replace(control, action_id=action_id)

    return _map_controls(message, bind), handlers


def mark_choice(message: Message, choice_id: str) -> tuple[Message, dict[str, str]]:
    """Point every control at one pending choice; returns the message and, per action id,
    the label to show once answered."""
    labels: dict[str, str] = {}

    def mark(index: int, control: Control) -> Control:
        action_id = f"{CHOICE_PREFIX}{choice_id}:{index}"
        labels[action_id] = control.label if isinstance(control, Button) else "option"
        if isinstance(control, Button) and control.value is None:
            control = replace(control, value=control.label)
        return replace(control, action_id=action_id)

    return _map_controls(message, mark), labels


def close_controls(message: Message, note: str) -> Message:
    """The same message with its controls replaced by a note (after a choice was made)."""
    blocks: list[Block] = [b for b in message.blocks if not isinstance(b, Actions)]
    blocks.append(Context(note))
    return replace(message, blocks=tuple(blocks))


def option_label(control: Control, value: Any) -> str:
    """The label a person saw for ``value`` on ``control``."""
    if isinstance(control, Select):
        for option in control.options:
            if option.value == value:
                return option.label
        return str(value)
    return control.label
