"""Block Kit rendering stays inside Slack's limits, with visible notices when it cuts."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from botkit.errors import UserError
from botkit.ui import nodes as ui
from botkit_slack.render import (
    RenderedSlackMessage,
    plain_text_fallback,
    render_blocks,
    split_text,
)

# -- an independent checker of Slack's documented limits ------------------------------


def _text(obj: Any, limit: int, where: str, errors: list[str], *, plain: bool = False) -> None:
    kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        errors.append(f"{where}: bad text object {obj!r}")
        return
    text = obj.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= limit or not text.strip():
        errors.append(f"{where}: text length {len(text or '')} not in 1..{limit}")


def slack_errors(blocks: list[dict[str, Any]]) -> list[str]:
    errors: list[str] = []
    if len(blocks) > 50:
        errors.append(f"{len(blocks)} blocks > 50")
    if sum(b["type"] == "table" for b in blocks) > 1:
        errors.append("more than one table")
    for n, block in enumerate(blocks):
        where, kind = f"blocks[{n}]", block["type"]
        if kind == "section":
            if "text" in block:
                _text(block["text"], 3000, where, errors)
            fields = block.get("fields", [])
            if not 0 < len(fields) <= 10 and "text" not in block:
                errors.append(f"{where}: {len(fields)} fields")
            if len(fields) > 10:
                errors.append(f"{where}: {len(fields)} fields > 10")
            for f in fields:
                _text(f, 2000, where + ".field", errors)
        elif kind == "header":
            _text(block["text"], 150, where, errors, plain=True)
        elif kind == "context":
            if not 1 <= len(block["elements"]) <= 10:
                errors.append(f"{where}: {len(block['elements'])} context elements")
            for e in block["elements"]:
                _text(e, 3000, where, errors)
        elif kind == "image":
            if not 1 <= len(block["image_url"]) <= 3000 or not 1 <= len(block["alt_text"]) <= 2000:
                errors.append(f"{where}: image url/alt length")
        elif kind == "table":
            rows = block["rows"]
            if not 1 <= len(rows) <= 100 or any(
                len(r) != len(rows[0]) or len(r) > 20 for r in rows
            ):
                errors.append(f"{where}: table shape")
            for r in rows:
                for cell in r:
                    if cell["type"] != "raw_text" or not 1 <= len(cell["text"]) <= 2000:
                        errors.append(f"{where}: table cell {cell!r}")
            if len(block.get("column_settings", [])) > 20:
                errors.append(f"{where}: column_settings")
        elif kind == "actions":
            elements = block["elements"]
            if not 1 <= len(elements) <= 25:
                errors.append(f"{where}: {len(elements)} actions elements")
            ids = [e["action_id"] for e in elements if "action_id" in e]
            if len(ids) != len(set(ids)) or any(len(i) > 255 for i in ids):
                errors.append(f"{where}: action_ids {ids}")
            for e in elements:
                if e["type"] == "button":
                    _text(e["text"], 75, where, errors, plain=True)
                    if len(e.get("value", "")) > 2000 or len(e.get("url", "")) > 3000:
                        errors.append(f"{where}: button value/url")
                elif e["type"] == "static_select":
                    _text(e["placeholder"], 150, where, errors, plain=True)
                    if not 1 <= len(e["options"]) <= 100:
                        errors.append(f"{where}: {len(e['options'])} options")
                    for o in e["options"]:
                        _text(o["text"], 75, where, errors, plain=True)
                        if not 1 <= len(o["value"]) <= 150:
                            errors.append(f"{where}: option value")
                else:
                    errors.append(f"{where}: element {e['type']}")
        elif kind != "divider":
            errors.append(f"{where}: unknown block type {kind}")
    return errors


def all_blocks(rendered: RenderedSlackMessage) -> list[dict[str, Any]]:
    return rendered.attachments[0]["blocks"] if rendered.attachments else rendered.blocks


def assert_valid(rendered: RenderedSlackMessage) -> list[dict[str, Any]]:
    blocks = all_blocks(rendered)
    assert slack_errors(blocks) == []
    try:  # the emulator's validator too, when it is there
        from botkit_slack.emulator.blocks import block_errors
    except ImportError:
        pass
    else:
        assert block_errors(blocks) == []
    return blocks


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if "text" in b and isinstance(b["text"], dict):
            out.append(b["text"]["text"])
        out += [f["text"] for f in b.get("fields", [])]
        out += [e["text"] for e in b.get("elements", []) if e.get("type") == "mrkdwn"]
    return out


# -- rendering ----------------------------------------------------------------------------


def test_every_node_kind_renders() -> None:
    message = ui.Message(
        ui.Header("Deploy v2?"),
        ui.Section("Ships **now** to <@U1> & co."),
        ui.Fields(ui.Field("prod", label="Env"), "plain"),
        ui.Context("req *42*", "2m"),
        ui.Divider(),
        ui.Image("https://x.test/p.png", alt="diagram"),
        ui.Table([["a", 1], ["b", None]], columns=["Name", ui.Column("N", align="right")]),
        ui.Actions(
            ui.Button("Approve", style="primary", value={"id": 7, "a": [1]}, action_id="ok"),
            ui.Button("Docs", url="https://docs.test"),
            ui.Select([("Low", "lo"), "High"], placeholder="Priority", action_id="prio"),
        ),
    )
    rendered = render_blocks(message)
    blocks = assert_valid(rendered)
    assert [b["type"] for b in blocks] == [
        "header", "section", "section", "context", "divider", "image", "table", "actions",
    ]  # fmt: skip
    assert blocks[1]["text"] == {"type": "mrkdwn", "text": "Ships *now* to <@U1> &amp; co."}
    assert [f["text"] for f in blocks[2]["fields"]] == ["*Env*\nprod", "plain"]
    assert blocks[3]["elements"][0]["text"] == "req _42_"
    assert blocks[6]["column_settings"] == [{"align": "left"}, {"align": "right"}]
    assert blocks[6]["rows"][0][0] == {"type": "raw_text", "text": "Name"}
    assert blocks[6]["rows"][2][1]["text"].strip() == ""
    approve, docs, select = blocks[7]["elements"]
    assert approve["value"] == '{"a":[1],"id":7}'
    assert approve["style"] == "primary"
    assert approve["action_id"] == "ok"
    assert docs["url"] == "https://docs.test"
    assert "action_id" not in docs
    assert select["options"][0] == {
        "text": {"type": "plain_text", "text": "Low", "emoji": True},
        "value": "lo",
    }
    assert rendered.text == "Deploy v2?"
    assert rendered.attachments is None


def test_button_value_is_json_and_defaults_to_the_label() -> None:
    blocks = render_blocks(
        ui.Message(ui.Actions(ui.Button("Yes"), ui.Button("N", value="n")))
    ).blocks
    values = [e["value"] for e in blocks[0]["elements"]]
    assert values == ['"Yes"', '"n"']
    assert [json.loads(v) for v in values] == ["Yes", "n"]


def test_unbound_controls_get_fallback_ids_matching_the_console() -> None:
    from botkit.ui.text import numbered_choices

    message = ui.Message(ui.Actions(ui.Button("A"), ui.Select(["x"])), ui.Actions(ui.Button("B")))
    blocks = render_blocks(message).blocks
    ids = [e["action_id"] for b in blocks for e in b["elements"]]
    assert ids == ["bk:unbound:0", "bk:unbound:1", "bk:unbound:2"]
    assert [c.action_id for c in numbered_choices(message)] == ids  # same ids both sides


def test_accent_moves_blocks_into_an_attachment() -> None:
    rendered = render_blocks(ui.Message("hi", accent="#ABC"))
    assert rendered.blocks == []
    assert rendered.attachments == [
        {
            "color": "#aabbcc",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
        }
    ]
    assert rendered.kwargs() == {"text": "hi", "attachments": rendered.attachments}
    assert render_blocks(ui.Message("x", accent="danger")).attachments[0]["color"] == "danger"  # type: ignore[index]
    with pytest.raises(UserError, match="hex colour"):
        render_blocks(ui.Message("x", accent="reddish"))


def test_empty_parts_are_skipped() -> None:
    message = ui.Message(ui.Header("  "), ui.Section(""), ui.Context(), ui.Actions(), ui.Fields())
    rendered = render_blocks(message)
    assert rendered.blocks == []
    assert rendered.text == "…"


# -- limits -----------------------------------------------------------------------------


def test_too_many_blocks_keep_49_and_a_notice() -> None:
    rendered = render_blocks(ui.Message([ui.Section(f"section {i}") for i in range(80)]))
    blocks = assert_valid(rendered)
    assert len(blocks) == 50
    assert blocks[48]["text"]["text"] == "section 48"
    assert blocks[49] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "_…31 more blocks not shown_"}],
    }


def test_overflow_keeps_the_buttons() -> None:
    message = ui.Message(
        [ui.Section(f"line {i}") for i in range(60)],
        ui.Actions(ui.Button("Approve", action_id="a"), ui.Button("Reject", action_id="r")),
    )
    blocks = assert_valid(render_blocks(message))
    assert len(blocks) == 50
    assert blocks[-1]["type"] == "actions"
    assert "more blocks not shown" in blocks[-2]["elements"][0]["text"]


def test_long_section_is_truncated_with_a_visible_notice() -> None:
    blocks = assert_valid(render_blocks(ui.Message(ui.Section("word " * 1000))))
    text = blocks[0]["text"]["text"]
    assert len(text) <= 3000
    assert "…" in text
    assert "more characters not shown" in text
    assert text.startswith("word word")


def test_truncation_closes_open_markdown_and_code() -> None:
    md = "Intro\n\n```\n" + "x = 1\n" * 800 + "```\n"
    text = assert_valid(render_blocks(ui.Message(md)))[0]["text"]["text"]
    assert len(text) <= 3000
    assert text.count("```") == 2  # the cut fence was closed
    assert text.endswith("more characters not shown]_")
    bold = "**" + "bold words " * 400 + "**"
    text = assert_valid(render_blocks(ui.Message(bold)))[0]["text"]["text"]
    assert text.startswith("*bold")
    assert "*…" in text


def test_cumulative_text_stays_under_slacks_total() -> None:
    message = ui.Message([ui.Section("y" * 2900) for _ in range(8)], ui.Actions(ui.Button("Go")))
    blocks = assert_valid(render_blocks(message))
    assert sum(len(t) for t in mrkdwn_texts(blocks)) <= 10_000
    assert blocks[-1]["type"] == "actions"
    notice = blocks[-2]["elements"][0]["text"]
    assert "more blocks not shown" in notice


def test_long_plain_texts_are_cut_with_an_ellipsis() -> None:
    message = ui.Message(
        ui.Header("H" * 200),
        ui.Actions(ui.Button("B" * 100), ui.Select([("O" * 100, "v")], placeholder="P" * 200)),
        ui.Image("https://x.test/i.png", alt="a" * 2500),
    )
    blocks = assert_valid(render_blocks(message))
    assert blocks[0]["text"]["text"] == "H" * 149 + "…"
    button, select = blocks[1]["elements"]
    assert button["text"]["text"].endswith("…")
    assert len(button["text"]["text"]) == 75
    assert select["options"][0]["text"]["text"].endswith("…")
    assert len(select["placeholder"]["text"]) == 150
    assert blocks[2]["alt_text"].endswith("…")


def test_fields_over_ten_split_into_more_sections() -> None:
    fields = [ui.Field(f"v{i}", label=f"k{i}") for i in range(23)]
    blocks = assert_valid(render_blocks(ui.Message(ui.Fields(*fields))))
    assert [len(b["fields"]) for b in blocks] == [10, 10, 3]


def test_long_field_is_truncated() -> None:
    blocks = assert_valid(render_blocks(ui.Message(ui.Fields(ui.Field("z " * 2000, label="L")))))
    assert "more characters not shown" in blocks[0]["fields"][0]["text"]


def test_context_over_ten_items_splits() -> None:
    blocks = assert_valid(render_blocks(ui.Message(ui.Context(*[f"c{i}" for i in range(12)]))))
    assert [len(b["elements"]) for b in blocks] == [10, 2]


def test_actions_over_25_split_into_more_rows() -> None:
    buttons = [ui.Button(f"b{i}", action_id=f"id{i}") for i in range(30)]
    blocks = assert_valid(render_blocks(ui.Message(ui.Actions(*buttons))))
    assert [len(b["elements"]) for b in blocks] == [25, 5]


def test_repeated_action_id_starts_a_new_row() -> None:
    message = ui.Message(ui.Actions(ui.Button("a", action_id="x"), ui.Button("b", action_id="x")))
    blocks = assert_valid(render_blocks(message))
    assert [[e["action_id"] for e in b["elements"]] for b in blocks] == [["x"], ["x"]]


def test_select_options_over_100_clamped_with_a_note() -> None:
    select = ui.Select([str(i) for i in range(130)], placeholder="Pick", action_id="s")
    blocks = assert_valid(render_blocks(ui.Message(ui.Actions(select))))
    assert len(blocks[0]["elements"][0]["options"]) == 100
    assert (
        blocks[1]["elements"][0]["text"]
        == "_Only the first 100 of 130 options of “Pick” are shown._"
    )


def test_select_without_options_is_noted_not_sent() -> None:
    blocks = assert_valid(render_blocks(ui.Message(ui.Actions(ui.Select([]), ui.Button("ok")))))
    assert [e["type"] for e in blocks[0]["elements"]] == ["button"]
    assert "no options" in blocks[1]["elements"][0]["text"]


def test_big_button_value_is_a_user_error() -> None:
    button = ui.Button("Big", value={"rows": ["x" * 100] * 30})
    with pytest.raises(UserError, match="server-side"):
        render_blocks(ui.Message(ui.Actions(button)))
    with pytest.raises(UserError, match="JSON"):
        render_blocks(ui.Message(ui.Actions(ui.Button("Obj", value=object()))))
    with pytest.raises(UserError, match="150"):
        render_blocks(ui.Message(ui.Actions(ui.Select([("L", "v" * 151)]))))


def test_table_within_limits_is_native_and_only_once() -> None:
    table = ui.Table([["a", "1"]], columns=["k", "v"])
    blocks = assert_valid(render_blocks(ui.Message(table, table)))
    assert blocks[0]["type"] == "table"
    assert blocks[1]["type"] == "section"
    assert blocks[1]["text"]["text"].startswith("```\nk")


def test_table_over_limits_becomes_monospace_with_a_notice() -> None:
    rows = [[f"row{i}", "x" * 30, "<tag>"] for i in range(300)]
    blocks = assert_valid(render_blocks(ui.Message(ui.Table(rows, columns=["a", "b", "c"]))))
    text = blocks[0]["text"]["text"]
    assert text.startswith("```\na")
    assert "&lt;tag&gt;" in text
    assert "more rows not shown_" in text
    wide = ui.Table([[str(i) for i in range(25)]])
    assert assert_valid(render_blocks(ui.Message(wide)))[0]["type"] == "section"


def test_image_with_oversized_url_is_noted() -> None:
    blocks = assert_valid(render_blocks(ui.Message(ui.Image("https://x.test/" + "a" * 3000))))
    assert "image not shown" in blocks[0]["elements"][0]["text"]


@pytest.mark.parametrize("seed", range(20))
def test_random_messages_always_validate(seed: int) -> None:
    rng = random.Random(seed)
    words = ["alpha", "**b**", "`c`", "<x>", "&", "- item\n", "\n\n", "```\ncode\n```", "日本", "é"]

    def text(n: int) -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(0, n)))

    makers = [
        lambda: ui.Header(text(60)),
        lambda: ui.Section(text(rng.choice([5, 900]))),
        lambda: ui.Fields(
            *[ui.Field(text(300), label=text(3) or None) for _ in range(rng.randint(0, 14))]
        ),
        lambda: ui.Context(*[text(10) for _ in range(rng.randint(0, 13))]),
        ui.Divider,
        lambda: ui.Image("https://x.test/i.png", alt=text(3)),
        lambda: ui.Table(
            [[text(2) for _ in range(rng.randint(1, 22))] for _ in range(rng.randint(0, 120))]
        ),
        lambda: ui.Actions(
            *[ui.Button(text(20) or "b", value=text(5)) for _ in range(rng.randint(0, 30))]
        ),
        lambda: ui.Actions(
            ui.Select([(text(30) or "o", f"v{i}") for i in range(rng.randint(1, 120))])
        ),
    ]
    message = ui.Message([rng.choice(makers)() for _ in range(rng.randint(0, 70))])
    assert_valid(render_blocks(message))


# -- fallback text ----------------------------------------------------------------------


def test_fallback_text_prefers_the_header() -> None:
    message = ui.Message(ui.Section("first **text**"), ui.Header("The  title"))
    assert plain_text_fallback(message) == "The title"


def test_fallback_text_uses_first_text_collapsed_and_cut() -> None:
    message = ui.Message(
        ui.Divider(), ui.Section("# Big\n\n**bold**  [link](https://x.test) <x> " + "w " * 200)
    )
    text = plain_text_fallback(message)
    assert text.startswith("Big bold link &lt;x&gt; w w")
    assert text.endswith("…")
    assert len(text) <= 160


# -- split_text ---------------------------------------------------------------------------


def test_short_text_is_one_chunk() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("") == [""]


def test_split_prefers_paragraphs_then_lines_then_spaces() -> None:
    para = "p" * 60
    chunks = split_text(f"{para}\n\n{para}\n\n{para}", limit=130)
    assert chunks == [f"{para}\n\n{para}", para]
    lines = "\n".join(["l" * 30] * 6)
    assert all(len(c) <= 100 and not c.startswith("\n") for c in split_text(lines, limit=100))
    words = " ".join(["word"] * 100)
    chunks = split_text(words, limit=100)
    assert all(len(c) <= 100 for c in chunks)
    assert " ".join(chunks) == words


def test_split_closes_and_reopens_code_fences() -> None:
    text = "Intro\n```python\n" + "\n".join(f"print({i})" for i in range(400)) + "\n```\nOutro"
    chunks = split_text(text, limit=500)
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk) <= 500
        assert chunk.count("```") % 2 == 0, chunk
    assert chunks[1].startswith("```python\n")
    body = [ln for c in chunks for ln in c.split("\n") if ln.startswith("print(")]
    assert body == [f"print({i})" for i in range(400)]


def test_split_moves_the_cut_before_a_late_fence() -> None:
    text = "a" * 300 + "\n```\n" + "code\n" * 100 + "```"
    chunks = split_text(text, limit=400)
    assert chunks[0] == "a" * 300
    assert chunks[1].startswith("```\ncode")


def test_split_never_breaks_graphemes() -> None:
    flag, family, accent = "🇫🇷", "👩\u200d👩\u200d👧", "e\u0301"
    for unit in (flag, family, accent):
        text = unit * 300
        chunks = split_text(text, limit=100)
        assert "".join(chunks) == text
        assert all(c.startswith(unit[0]) and len(c) % len(unit) == 0 for c in chunks), unit
        assert all(len(c.encode("utf-16-le")) // 2 <= 100 for c in chunks)


def test_split_hard_cuts_one_long_word() -> None:
    chunks = split_text("x" * 250, limit=100)
    assert chunks == ["x" * 100, "x" * 100, "x" * 50]


def test_split_rejects_tiny_limits() -> None:
    with pytest.raises(ValueError):
        split_text("abc", limit=5)


def test_a_table_with_headings_becomes_a_data_table_when_asked() -> None:
    rows = [[f"T-{i}", "x" * 10] for i in range(12)]
    table = ui.Table(rows, columns=["Id", "Title"], caption="Tickets")
    [block] = render_blocks(ui.Message(table), data_tables=True).blocks
    assert block["type"] == "data_table"
    assert block["caption"] == "Tickets"
    assert block["page_size"] == 10
    assert len(block["rows"]) == 13
    assert block["rows"][0] == [{"type": "raw_text", "text": "Id"},
                                {"type": "raw_text", "text": "Title"}]
    # the caption defaults to the headings; one table per message, as before
    twice = render_blocks(ui.Message(ui.Table(rows[:1], columns=["a", "b"]), table),
                          data_tables=True).blocks
    assert twice[0]["caption"] == "a, b"
    assert twice[1]["type"] == "section"
    # no headings, or too many rows: today's rendering
    assert render_blocks(ui.Message(ui.Table(rows)), data_tables=True).blocks[0]["type"] \
        == "table"
    many = ui.Table([[str(i)] for i in range(101)], columns=["n"])
    assert render_blocks(ui.Message(many), data_tables=True).blocks[0]["type"] != "data_table"
    # off by default (what the table tests above render)
    assert render_blocks(ui.Message(table)).blocks[0]["type"] == "table"
