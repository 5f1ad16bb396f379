"""``select`` and ``extract`` as LangGraph's threads API reads them: the fields of a state
(``values.<key>`` for one state key) and named paths into a thread
(``{"last": "values.messages[-1]"}``, the result in ``extracted``)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MAX_EXTRACT", "PATH_PATTERN", "extract", "select_state"]

MAX_EXTRACT = 10
_STEP = re.compile(r"([^.\[\]]+)|\[(-?\d+)\]")
PATH_PATTERN = r"^[^.\[\]]+(?:\[-?[0-9]+\])*(?:\.[^.\[\]]+(?:\[-?[0-9]+\])*)*$"
"""A path: keys with dots between them, ``[n]`` for a list index (negative from the end)."""


def _follow(data: Any, path: str) -> Any:
    for key, index in _STEP.findall(path):
        if key:
            data = data.get(key) if isinstance(data, Mapping) else None
        elif isinstance(data, list) and -len(data) <= int(index) < len(data):
            data = data[int(index)]
        else:
            data = None
    return data


def extract(view: Mapping[str, Any], paths: Mapping[str, str]) -> dict[str, Any]:
    """``{alias: the value at its path}`` (None where the path leads nowhere)."""
    return {alias: _follow(view, path) for alias, path in paths.items()}


def select_state(state: Mapping[str, Any], fields: Sequence[str] | None) -> dict[str, Any]:
    """Only ``fields`` of a ``ThreadState``; ``values.<key>`` keeps that state key (and
    the ``values`` field, narrowed to the keys named)."""
    if not fields:
        return dict(state)
    picked = {k: v for k, v in state.items() if k in fields}
    keys = [f[len("values."):] for f in fields if f.startswith("values.")]
    values = state.get("values")
    if keys and "values" not in fields:
        picked["values"] = ({k: values[k] for k in keys if k in values}
                            if isinstance(values, Mapping) else values)
    return picked
