"""Messages as JSON, for what must outlive the process that posted them (a pending choice's
card, closed later by another process). Handlers do not travel: ``on_click`` and
``on_select`` come back as None. A control's ``value`` is kept as the JSON it is."""

from __future__ import annotations

import dataclasses
from typing import Any

from botkit.ui.nodes import (
    Actions,
    Button,
    Column,
    Context,
    Divider,
    Field,
    Fields,
    Header,
    Image,
    Markdown,
    Message,
    Node,
    Option,
    Section,
    Select,
    Table,
)

__all__ = ["decode_message", "encode_message"]

_TYPES: dict[str, type[Node]] = {cls.__name__: cls for cls in (
    Actions, Button, Column, Context, Divider, Field, Fields, Header, Image, Markdown, Message,
    Option, Section, Select, Table)}
_HANDLERS = {"on_click", "on_select"}


def _encode(value: Any, compact: bool = False) -> Any:
    if isinstance(value, Node):
        data: dict[str, Any] = {"type": type(value).__name__}
        for f in dataclasses.fields(value):  # type: ignore[arg-type]
            if f.name not in _HANDLERS:
                item = getattr(value, f.name)
                if item is None and compact:
                    continue  # decoded as None again
                data[f.name] = item if f.name == "value" else _encode(item, compact)
        return data
    if isinstance(value, tuple | list):
        return [_encode(v, compact) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and value.get("type") in _TYPES:
        cls = _TYPES[value["type"]]
        node = object.__new__(cls)
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            raw = value.get(f.name)
            object.__setattr__(node, f.name, raw if f.name == "value" else _decode(raw))
        return node
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def encode_message(message: Message, *, compact: bool = False) -> dict[str, Any]:
    """``message`` as JSON-compatible data (without its handlers); ``compact`` leaves out
    the fields that are None (``decode_message`` reads either form)."""
    data: dict[str, Any] = _encode(message, compact)
    return data


def decode_message(data: Any) -> Message | None:
    """The message ``encode_message`` made, or None when ``data`` is not one."""
    decoded = _decode(data)
    return decoded if isinstance(decoded, Message) else None
