"""Markdown → Slack mrkdwn, and closing markdown a stream cut off."""

from __future__ import annotations

import random
import re

import pytest

from botkit_slack.render.mrkdwn import (
    close_open_markdown,
    escape_mrkdwn,
    markdown_to_mrkdwn,
    open_markers,
)


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        ("**bold**", "*bold*"),
        ("__bold__", "*bold*"),
        ("*italic*", "_italic_"),
        ("_italic_", "_italic_"),
        ("***both***", "*_both_*"),
        ("**a *b* c**", "*a _b_ c*"),
        ("~~gone~~", "~gone~"),
        ("# Title", "*Title*"),
        ("### Title with **bold** ###", "*Title with bold*"),
        ("[docs](https://x.test/a?b=1&c=2)", "<https://x.test/a?b=1&amp;c=2|docs>"),
        ("[https://x.test](https://x.test)", "<https://x.test>"),
        ("![logo](https://x.test/l.png)", "<https://x.test/l.png|logo>"),
        ("[rel](/path)", "rel"),
        ("<https://x.test>", "<https://x.test>"),
        ("- one\n* two\n+ three", "• one\n• two\n• three"),
        ("  - nested", "  • nested"),
        ("- [ ] todo\n- [x] done", "• ☐ todo\n• ☑ done"),
        ("1. first", "1. first"),
        ("> quoted *x*", "> quoted _x_"),
        ("---", "──────────"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("already &amp; &lt;", "already &amp; &lt;"),
        (
            "hi <@U123> in <#C1|general> <!here> <!subteam^S1|@team>",
            "hi <@U123> in <#C1|general> <!here> <!subteam^S1|@team>",
        ),
        ("snake_case_name and 2*3*4", "snake_case_name and 2*3*4"),
        (r"not \*emphasis\*", "not *emphasis*"),
        ("", ""),
    ],
)
def test_inline_conversions(md: str, expected: str) -> None:
    assert markdown_to_mrkdwn(md) == expected


def test_code_is_left_alone_except_for_required_escapes() -> None:
    assert markdown_to_mrkdwn("use `**x** < y` here") == "use `**x** &lt; y` here"
    md = "```python\nif a < b and **c**:\n    x = [t](u)\n```\nafter **b**"
    assert markdown_to_mrkdwn(md) == ("```\nif a &lt; b and **c**:\n    x = [t](u)\n```\nafter *b*")


def test_tilde_fence_and_unclosed_fence() -> None:
    assert markdown_to_mrkdwn("~~~\n**x**\n~~~") == "```\n**x**\n```"
    assert markdown_to_mrkdwn("```\n**x**") == "```\n**x**"


def test_gfm_table_becomes_aligned_monospace() -> None:
    md = (
        "Results:\n"
        "| Name | Score | Note |\n"
        "|:-----|------:|:----:|\n"
        "| **Ann** | 7 | a<b |\n"
        "| Bartholomew | 1234 | `ok` |\n"
        "after"
    )
    assert markdown_to_mrkdwn(md) == (
        "Results:\n"
        "```\n"
        "Name         Score  Note\n"
        "Ann              7  a&lt;b\n"
        "Bartholomew   1234   ok\n"
        "```\n"
        "after"
    )


def test_table_without_outer_pipes_and_with_escaped_pipe() -> None:
    md = "a | b\n--- | ---\nx \\| y | z"
    assert markdown_to_mrkdwn(md) == "```\na      b\nx | y  z\n```"


def test_pipe_line_without_separator_is_not_a_table() -> None:
    assert markdown_to_mrkdwn("a | b\nc | d") == "a | b\nc | d"


def test_escape_mrkdwn_keeps_slack_tokens() -> None:
    assert escape_mrkdwn("<@U1> a<b & <!channel>") == "<@U1> a&lt;b &amp; <!channel>"


# -- close_open_markdown ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("md", "expected"),
    [
        ("**bold", "**bold**"),
        ("*it", "*it*"),
        ("_it", "_it_"),
        ("~~gone", "~~gone~~"),
        ("`code", "`code`"),
        ("**a *b", "**a *b***"),
        ("~~a **b", "~~a **b**~~"),
        ("**bold  ", "**bold**  "),  # closers go before trailing whitespace
        ("**bold\n", "**bold**\n"),
        ("```py\nprint(1)", "```py\nprint(1)\n```"),
        ("```py\nprint(1)\n", "```py\nprint(1)\n```"),
        ("text\n````\ncode ``` still", "text\n````\ncode ``` still\n````"),
        # a marker with nothing after it is not closed
        ("hello **", "hello **"),
        ("hello *", "hello *"),
        ("```py", "```py"),
        ("```py\n", "```py\n"),
        ("`", "`"),
        ("**a** *", "**a** *"),
        # already closed: nothing to do
        ("**a** and `b` and ~~c~~", "**a** and `b` and ~~c~~"),
        ("```\nx\n```", "```\nx\n```"),
        # markers inside code are not markers
        ("`a ** b", "`a ** b`"),
        ("```\n**x", "```\n**x\n```"),
        # a paragraph break ends inline markers
        ("**a\n\nb", "**a\n\nb"),
        ("- item *x", "- item *x*"),
        ("snake_case", "snake_case"),
        ("2 * 3", "2 * 3"),
    ],
)
def test_close_open_markdown(md: str, expected: str) -> None:
    assert close_open_markdown(md) == expected
    assert open_markers(close_open_markdown(md)) == []


def test_open_markers_reports_outermost_first() -> None:
    assert open_markers("**a _b ~~c") == ["**", "_", "~~"]
    assert open_markers("```\ncode") == ["```"]
    assert open_markers("done") == []


def _independent_open(md: str) -> bool:
    """A separate fence tracker (CommonMark rules): is a fence with a body left open?"""
    fence: tuple[str, int] | None = None
    body = ""
    for line in md.split("\n"):
        m = re.match(r"^ {0,3}(`{3,}|~{3,})(.*)$", line)
        if fence is None:
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence, body = (m.group(1)[0], len(m.group(1))), ""
        elif (
            m
            and m.group(1)[0] == fence[0]
            and len(m.group(1)) >= fence[1]
            and not m.group(2).strip()
        ):
            fence = None
        else:
            body += line
    return fence is not None and bool(body.strip())


def _inserted(md: str, closed: str) -> str | None:
    """The closers ``closed`` adds to ``md`` at one place, if that is all it does."""
    k = len(closed) - len(md)
    for q in range(len(md), -1, -1):
        piece = closed[q : q + k]
        if k >= 0 and closed == md[:q] + piece + md[q:] and set(piece) <= set("*_~` \n"):
            return piece
    return None


ALPHABET = [
    "**",
    "*",
    "_",
    "__",
    "~~",
    "`",
    "```",
    "\n",
    "\n\n",
    " ",
    "a",
    "b",
    "word",
    "\\",
    "x_y",
    "- ",
]


@pytest.mark.parametrize("seed", range(25))
def test_close_open_markdown_property(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(400):
        md = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 14)))
        closed = close_open_markdown(md)
        assert _inserted(md, closed) is not None, (md, closed)
        assert open_markers(closed) == [], (md, closed)
        assert close_open_markdown(closed) == closed, (md, closed)  # idempotent
        assert not _independent_open(closed), (md, closed)


def test_streamed_prefixes_always_close() -> None:
    text = (
        "Intro **bold _and italic_ text** with `code` and ~~strike~~.\n\n"
        "```py\nx = 1\n```\nEnd *it*."
    )
    for i in range(len(text) + 1):
        closed = close_open_markdown(text[:i])
        assert open_markers(closed) == [], (text[:i], closed)
        markdown_to_mrkdwn(closed)  # converts without error
