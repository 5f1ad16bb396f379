"""The component vocabulary as values, and the public API surface."""

from __future__ import annotations

import dataclasses

import pytest

import botkit
from botkit import ui
from botkit.ui.binding import close_controls, mark_choice, to_message, wire_value


def ticket_card(title: str, *, urgent: bool = False) -> ui.Message:
    """A user component: a plain function returning nodes."""
    return ui.Message(
        ui.Header(title),
        urgent and ui.Context("urgent"),
        ui.Fields(ui.Field("open", label="Status"), "no label"),
        [ui.Divider(), ui.Markdown("*details*")],
        ui.Button("Close", value={"title": title}, style="danger"),
        ui.Table([["a", 1], ["b", None]], columns=["name", ui.Column("n", align="right")]),
        ui.Image("https://example.test/x.png", alt="x"),
        accent="warning",
    )


def test_message_children_are_flattened_into_blocks() -> None:
    card = ticket_card("Printer", urgent=False)
    kinds = [type(b).__name__ for b in card.blocks]
    assert kinds == ["Header", "Fields", "Divider", "Markdown", "Actions", "Table", "Image"]
    assert card.accent == "warning"
    assert card.status is False
    fields = card.blocks[1]
    assert isinstance(fields, ui.Fields)
    assert fields.fields == (ui.Field("open", label="Status"), ui.Field("no label"))
    table = card.blocks[5]
    assert isinstance(table, ui.Table)
    assert table.rows == (("a", "1"), ("b", ""))
    assert [c.align for c in table.columns] == ["left", "right"]
    urgent = ticket_card("Printer", urgent=True)
    assert urgent.blocks[1] == ui.Context("urgent")


def test_strings_become_sections_and_messages_nest() -> None:
    inner = ui.Message(ui.Header("inner"), "text")
    outer = ui.Message("", None, True, False, inner, ui.Field("f"),
                       ui.Select(["a", ("B", "b"), ui.Option("C")]))
    assert outer.blocks[:2] == (ui.Header("inner"), ui.Section("text"))
    assert outer.blocks[2] == ui.Fields(ui.Field("f"))
    select = outer.blocks[3]
    assert isinstance(select, ui.Actions)
    (control,) = select.elements
    assert isinstance(control, ui.Select)
    assert [(o.label, o.value) for o in control.options] == [("a", "a"), ("B", "b"), ("C", "C")]


def test_nodes_are_immutable_values() -> None:
    button = ui.Button("Go", value=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        button.label = "Stop"  # type: ignore[misc]
    assert ui.Button("Go", value=1) == button
    assert hash(ui.Section("x")) == hash(ui.Section("x"))


def test_to_message_accepts_what_post_accepts() -> None:
    assert to_message("hi") == ui.Message(ui.Section("hi"))
    assert to_message(ui.Header("h")) == ui.Message(ui.Header("h"))
    assert to_message([ui.Header("h"), "t"]) == ui.Message(ui.Header("h"), ui.Section("t"))
    message = ui.Message("m")
    assert to_message(message) is message


def test_wire_value_defaults_to_the_label() -> None:
    assert wire_value(ui.Button("Yes")) == "Yes"
    assert wire_value(ui.Button("Yes", value=False)) is False


def test_mark_choice_and_close_controls() -> None:
    message = ui.Message("Pick", ui.Actions(ui.Button("A"), ui.Button("Docs", url="https://x"),
                                            ui.Select(["x", "y"])))
    marked, labels = mark_choice(message, "c1")
    assert labels == {"bk:choice:c1:0": "A", "bk:choice:c1:1": "option"}
    (actions,) = [b for b in marked.blocks if isinstance(b, ui.Actions)]
    a, docs, select = actions.elements
    assert isinstance(a, ui.Button)
    assert a.value == "A"
    assert docs.action_id is None  # link buttons are left alone
    assert select.action_id == "bk:choice:c1:1"
    closed = close_controls(marked, "✓ done")
    assert closed.blocks == (ui.Section("Pick"), ui.Context("✓ done"))


def test_public_api_names_resolve() -> None:
    for name in botkit.__all__:
        assert getattr(botkit, name) is not None, name
    for name in ui.__all__:
        assert getattr(ui, name) is not None, name
    for name in ("Message", "Header", "Section", "Markdown", "Fields", "Field", "Context",
                 "Actions", "Button", "Select", "Image", "Divider", "Table"):
        assert name in ui.__all__
    errors = (botkit.UserError, botkit.AdapterError, botkit.AgentError, botkit.ChoiceTimeout,
              botkit.InteractionExpired)
    assert all(issubclass(e, botkit.BotkitError) for e in errors)
    assert botkit.AdapterError("x", platform="slack", code="channel_not_found").code == \
        "channel_not_found"
