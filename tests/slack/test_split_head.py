"""split_head: the first message of a long streamed reply, and the rest, losing nothing."""

from __future__ import annotations

import pytest

from botkit_slack.render import split
from botkit_slack.render.split import split_head

FENCED = "intro\n```\n" + "\n".join(f"line {i} " + "y" * 40 for i in range(200)) + "\n```\nafter"


def _content(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip() and not line.startswith("```")]


def test_a_clean_cut_keeps_every_line() -> None:
    head, tail = split_head(FENCED, 3500)
    assert len(head) <= 3500
    assert head.rstrip().endswith("```")  # the cut fence is closed …
    assert tail.startswith("```")          # … and reopened
    assert _content(head) + _content(tail) == _content(FENCED)


def test_the_hard_cut_fallback_keeps_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real, calls = split.split_once, []

    def no_clean_cut_first(md: str, limit: int) -> tuple[str, str]:
        calls.append(limit)  # split_head's own attempt finds no clean cut; split_text's do
        return ("", md) if len(calls) == 1 else real(md, limit)

    monkeypatch.setattr(split, "split_once", no_clean_cut_first)
    head, tail = split_head(FENCED, 3500)
    assert len(head) <= 3500
    assert _content(head) + _content(tail) == _content(FENCED)


def test_fit_index_counts_utf16_units_whether_the_text_fits_or_not() -> None:
    from botkit_slack.render.cutting import fit_index

    text = "ab😀cd"  # the emoji is two UTF-16 units
    assert [fit_index(text, limit) for limit in range(8)] == [0, 1, 2, 2, 3, 4, 5, 5]
    assert fit_index("", 0) == 0
