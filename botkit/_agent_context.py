"""``ContextEntry``: facts sent to the agent with every run (AG-UI ``context``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ag_ui.core as agui

__all__ = ["ContextEntry", "to_agui_context"]


@dataclass(frozen=True, kw_only=True)
class ContextEntry:
    """A fact sent to the agent with every run (AG-UI ``context``)."""

    description: str
    value: str


def to_agui_context(entry: ContextEntry | Mapping[str, Any] | tuple[str, Any]) -> agui.Context:
    if isinstance(entry, ContextEntry):
        description, value = entry.description, entry.value
    elif isinstance(entry, tuple):
        description, value = entry
    else:
        description, value = entry["description"], entry["value"]
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return agui.Context(description=str(description), value=text)
