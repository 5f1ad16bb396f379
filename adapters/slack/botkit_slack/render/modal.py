"""A ``ui.Modal`` as a Slack view (``views.open``), and a ``view_submission``'s state back
to botkit's typed values.

Each input is an ``input`` block whose ``block_id`` and ``action_id`` are the input's
name, so Slack's ``response_action: errors`` (keyed by block id) names fields directly.
The conversation the modal was opened from travels in ``private_metadata`` with the
app's own metadata text: ``{"c": channel, "t": thread, "m": metadata}``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botkit.errors import UserError
from botkit.ui import inputs as ui_in
from botkit.ui import nodes as ui
from botkit_slack import limits as L
from botkit_slack.render.blocks import render_blocks
from botkit_slack.render.cutting import truncate_plain

__all__ = ["ModalOrigin", "modal_origin", "modal_values", "modal_view"]

JSON = dict[str, Any]
MAX_INPUT_TEXT = 3000  # plain_text_input max_length


def _plain(text: str, limit: int) -> JSON:
    return {"type": "plain_text", "text": truncate_plain(" ".join(text.split()) or "…", limit),
            "emoji": True}


def _options(options: tuple[ui.Option, ...], where: str) -> list[JSON]:
    if not options:
        raise UserError(f"the modal input {where!r} needs at least one option")
    out = []
    for option in options[: L.MAX_SELECT_OPTIONS]:
        if not 0 < len(option.value) <= L.MAX_OPTION_VALUE:
            raise UserError(f"option {option.label!r} of {where!r}: values must be "
                            f"1–{L.MAX_OPTION_VALUE} characters")
        out.append({"text": _plain(option.label, L.MAX_OPTION_TEXT), "value": option.value})
    return out


def _element(node: ui_in.Input) -> JSON:
    el: JSON = {"action_id": node.name}
    if isinstance(node, ui_in.TextInput):
        el.update(type="plain_text_input", multiline=node.multiline)
        if node.initial:
            el["initial_value"] = node.initial
        if node.min_length is not None:
            el["min_length"] = node.min_length
        if node.max_length is not None:
            el["max_length"] = min(node.max_length, MAX_INPUT_TEXT)
    elif isinstance(node, ui_in.SelectInput):
        el.update(type="static_select", options=_options(node.options, node.name))
        first = next((o for o in el["options"] if o["value"] == node.initial), None)
        if first is not None:
            el["initial_option"] = first
    elif isinstance(node, ui_in.Checkboxes):
        el.update(type="checkboxes", options=_options(node.options, node.name)[:10])
        ticked = [o for o in el["options"] if o["value"] in node.initial]
        if ticked:
            el["initial_options"] = ticked
    else:
        el["type"] = "datepicker"
        if node.initial is not None:
            el["initial_date"] = node.initial.isoformat()
    placeholder = getattr(node, "placeholder", None)
    if placeholder:
        el["placeholder"] = _plain(placeholder, L.MAX_PLACEHOLDER)
    return el


def _input(node: ui_in.Input) -> JSON:
    return {"type": "input", "block_id": node.name, "optional": node.optional,
            "label": _plain(node.label, L.MAX_INPUT_LABEL), "element": _element(node)}


def modal_view(modal: ui_in.Modal, *, channel: str, thread: str | None) -> JSON:
    """The ``view`` argument of ``views.open``."""
    blocks: list[JSON] = []
    run: list[ui.Block] = []
    for node in [*modal.blocks, None]:
        if isinstance(node, ui_in.TextInput | ui_in.SelectInput | ui_in.Checkboxes
                      | ui_in.DatePicker) or node is None:
            if run:
                blocks += render_blocks(ui.Message(*run)).blocks
                run = []
            if node is not None:
                blocks.append(_input(node))
        elif isinstance(node, ui.Actions):
            raise UserError("buttons and selects inside a modal are not supported; use "
                            "ui.SelectInput or ui.Checkboxes")
        else:
            run.append(node)
    metadata = json.dumps({"c": channel, "t": thread, "m": modal.metadata},
                          separators=(",", ":"))
    if len(metadata) > L.MAX_PRIVATE_METADATA:
        raise UserError(f"a modal's metadata must be under about {L.MAX_PRIVATE_METADATA - 100}"
                        " characters on Slack; keep an id there and the data in your store")
    return {"type": "modal", "callback_id": modal.callback_id,
            "title": _plain(modal.title, L.MAX_VIEW_TITLE),
            "submit": _plain(modal.submit, L.MAX_VIEW_TITLE),
            "close": _plain(modal.close, L.MAX_VIEW_TITLE),
            "notify_on_close": True, "private_metadata": metadata,
            "blocks": blocks[: L.MAX_VIEW_BLOCKS]}


@dataclass(frozen=True)
class ModalOrigin:
    """Where a modal was opened from, and the app's own metadata text."""

    channel: str
    thread: str | None
    metadata: str


def modal_origin(view: Mapping[str, Any]) -> ModalOrigin | None:
    """The origin botkit put in a view's ``private_metadata`` (None: not botkit's view)."""
    try:
        data = json.loads(str(view.get("private_metadata") or ""))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("c"), str) or not data["c"]:
        return None
    thread = data.get("t")
    return ModalOrigin(channel=data["c"], thread=thread if isinstance(thread, str) else None,
                       metadata=str(data.get("m") or ""))


def _value(action: Mapping[str, Any]) -> Any:
    kind = action.get("type")
    if kind == "static_select":
        option = action.get("selected_option")
        return option.get("value") if isinstance(option, Mapping) else None
    if kind == "checkboxes":
        options = action.get("selected_options") or []
        return [o.get("value") for o in options if isinstance(o, Mapping)]
    if kind == "datepicker":
        day = action.get("selected_date")
        try:
            return datetime.date.fromisoformat(day) if isinstance(day, str) else None
        except ValueError:
            return None
    value = action.get("value")
    return value if isinstance(value, str) else None


def modal_values(view: Mapping[str, Any]) -> dict[str, Any]:
    """The submitted values by input name, typed (``view.state.values``)."""
    state = view.get("state")
    values = state.get("values") if isinstance(state, Mapping) else None
    out: dict[str, Any] = {}
    for block in (values or {}).values() if isinstance(values, Mapping) else ():
        if not isinstance(block, Mapping):
            continue
        for name, action in block.items():
            if isinstance(action, Mapping):
                out[str(name)] = _value(action)
    return out
