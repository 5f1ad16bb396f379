"""Plain and rich terminal rendering of the component vocabulary."""

from __future__ import annotations

import io

from rich.console import Console

from botkit.ui import nodes as ui
from botkit.ui.text import (
    Choice,
    bound_action_id,
    display_width,
    match_choice,
    numbered_choices,
    plain_table,
    render_plain,
    render_rich,
)


def approval() -> ui.Message:
    return ui.Message(
        ui.Header("Deploy v2?"),
        ui.Section("Ships **now**."),
        ui.Fields(ui.Field("prod", label="Env"), ui.Field("alice", label="By"), "no label"),
        ui.Context("req 42", "2m ago"),
        ui.Divider(),
        ui.Image("https://x.test/p.png", alt="diagram"),
        ui.Actions(
            ui.Button("Approve", style="primary", value={"id": 7}, action_id="a1"),
            ui.Button("Reject", style="danger", action_id="a2"),
            ui.Button("Runbook", url="https://runbook.test"),
        ),
        ui.Actions(ui.Select(["Low", ("High", "hi")], placeholder="Priority", action_id="s1")),
        accent="#36a64f",
    )


def rich_text(message: ui.Message, width: int = 80) -> str:
    buf = io.StringIO()
    Console(file=buf, width=width, color_system=None).print(render_rich(message))
    return buf.getvalue()


def test_render_plain_shows_every_block_kind() -> None:
    text = render_plain(approval())
    lines = text.splitlines()
    assert lines[0] == "Deploy v2?"
    assert set(lines[1]) == {"="}
    assert "Ships **now**." in lines  # markdown is kept as written
    assert "Env: prod" in lines
    assert "By: alice" in lines
    assert "no label" in lines
    assert "· req 42 · 2m ago" in lines
    assert "─" * 40 in lines
    assert "[image: diagram](https://x.test/p.png)" in lines
    assert "[1] Approve  [2] Reject  Runbook <https://runbook.test>" in lines
    assert "Priority: [3] Low  [4] High" in lines


def test_image_without_alt() -> None:
    assert (
        render_plain(ui.Message(ui.Image("https://x.test/a.png")))
        == "[image](https://x.test/a.png)"
    )


def test_numbering_runs_across_all_controls_and_skips_link_buttons() -> None:
    choices = numbered_choices(approval())
    assert choices == [
        Choice(1, "Approve", "a1", {"id": 7}),
        Choice(2, "Reject", "a2", "Reject"),  # value None → the label
        Choice(3, "Low", "s1", "Low"),
        Choice(4, "High", "s1", "hi"),
    ]
    text = render_plain(approval())
    for choice in choices:
        assert f"[{choice.number}] {choice.label}" in text


def test_unbound_controls_get_deterministic_fallback_ids() -> None:
    message = ui.Message(
        ui.Actions(ui.Button("Docs", url="https://d.test"), ui.Button("A")),
        ui.Actions(ui.Select(["x"])),
    )
    assert [c.action_id for c in numbered_choices(message)] == ["bk:unbound:1", "bk:unbound:2"]
    assert numbered_choices(message) == numbered_choices(message)
    assert bound_action_id(ui.Button("B", action_id="set"), 9) == "set"


def test_match_choice_by_number_or_label() -> None:
    choices = numbered_choices(approval())
    assert match_choice(choices, "2") == choices[1]
    assert match_choice(choices, " [3] ") == choices[2]
    assert match_choice(choices, "approve") == choices[0]
    assert match_choice(choices, "  HIGH ") == choices[3]
    assert match_choice(choices, "9") is None
    assert match_choice(choices, "maybe") is None
    assert match_choice(choices, "") is None


def test_match_choice_refuses_ambiguous_labels() -> None:
    message = ui.Message(ui.Actions(ui.Button("Yes", value=1), ui.Button("yes", value=2)))
    choices = numbered_choices(message)
    assert match_choice(choices, "yes") is None
    assert match_choice(choices, "2") == choices[1]


def test_plain_table_aligns_columns() -> None:
    table = ui.Table(
        [["apple", 3], ["kiwi", 12], ["日本", None]],
        columns=["Fruit", ui.Column("Qty", align="right")],
    )
    lines = plain_table(table).splitlines()
    assert lines == [
        "Fruit  Qty",
        "─────  ───",
        "apple    3",
        "kiwi    12",
        "日本",
    ]
    # every line lines up in terminal columns (wide characters count 2)
    assert display_width("日本") == 4


def test_plain_table_without_headings_and_ragged_rows() -> None:
    table = ui.Table([["a", "b", "c"], ["dd"]])
    assert plain_table(table).splitlines() == ["a   b  c", "dd"]
    assert plain_table(ui.Table([])) == ""


def test_plain_table_clips_long_cells_visibly() -> None:
    table = ui.Table([["x" * 50, "y"]])
    line = plain_table(table, max_cell=10)
    assert line.startswith("x" * 9 + "…")


def test_render_plain_of_empty_message() -> None:
    assert render_plain(ui.Message()) == ""


def test_render_rich_shows_numbered_buttons_markdown_and_table() -> None:
    message = ui.Message(
        approval(),
        ui.Table([["a", "1"]], columns=["Name", "N"]),
    )
    out = rich_text(message)
    assert "Deploy v2?" in out
    assert "Ships now." in out  # markdown rendered, not shown raw
    assert "[1] Approve" in out
    assert "[2] Reject" in out
    assert "[3] Low" in out
    assert "[4] High" in out
    assert "Runbook" in out
    assert "Name" in out
    assert "a" in out


def test_render_rich_styles_buttons() -> None:
    from rich.text import Text

    panel = render_rich(
        ui.Message(ui.Actions(ui.Button("Go", style="primary"), ui.Button("Stop", style="danger")))
    )
    group = panel.renderable  # type: ignore[attr-defined]
    (text,) = group.renderables
    assert isinstance(text, Text)
    styles = {text.plain[span.start : span.end]: str(span.style) for span in text.spans}
    assert styles["[1] Go"] == "bold green"
    assert styles["[2] Stop"] == "bold red"


def test_render_rich_tolerates_unknown_accent() -> None:
    assert "hi" in rich_text(ui.Message("hi", accent="not-a-colour"))
    assert "hi" in rich_text(ui.Message("hi", accent="danger"))
