"""Markdown → Slack mrkdwn, and closing markdown that a stream cut off mid-way.

``markdown_to_mrkdwn`` turns the CommonMark/GFM that agents write into the dialect Slack
renders in ``mrkdwn`` text objects. ``close_open_markdown`` appends the closers a
half-streamed chunk needs so that a fence or a bold run does not swallow what follows.
"""

from __future__ import annotations

import functools
import re

from botkit.ui.text import display_width, pad_cell
from botkit_slack.render.text import escape

__all__ = [
    "FENCE",
    "close_open_markdown",
    "closes_fence",
    "escape_mrkdwn",
    "markdown_to_mrkdwn",
    "open_markers",
]

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_SLACK_TOKEN = re.compile(r"<(?:[@#!][^<>\n]*|(?:https?|mailto|tel):[^\s<>|]+(?:\|[^<>\n]*)?)>")
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_LINK = re.compile(
    r"!?\[(?P<text>[^\]\n]*)\]\(\s*<?(?P<url>(?:[^()\s<>]|\([^()\s]*\))+)>?"
    r"(?:\s+\"[^\"\n]*\")?\s*\)"
)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_BACKSLASH = re.compile(r"\\([\\`*_{}\[\]()#+\-.!~|<>])")
_HEADING = re.compile(r"^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?: *\1){2,} *$")
_QUOTE = re.compile(r"^ {0,3}>[ >]*")
_BULLET = re.compile(r"^(\s*)[-*+]\s+(?:\[([ xX])\]\s+)?")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_CONTROL = {0: None, 1: None, 2: None}  # our placeholders; never valid chat text
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_EMPHASIS = (
    (re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"), "\x01\x02\\1\x02\x01"),
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), "\x01\\1\x01"),
    (re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"), "\x01\\1\x01"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])"), "\x02\\1\x02"),
    (re.compile(r"(?<![\w~])~~(?=\S)(.+?)(?<=\S)~~(?![\w~])"), "~\\1~"),
)


def escape_mrkdwn(text: str) -> str:
    """Escape ``&``, ``<``, ``>`` as Slack requires, keeping Slack tokens (``<@U1>``,
    ``<#C1>``, ``<!here>``, ``<https://x|y>``) and existing ``&amp;``/``&lt;``/``&gt;``."""
    out: list[str] = []
    pos = 0
    for m in _SLACK_TOKEN.finditer(text):
        out.append(_escape_text(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape_text(text[pos:]))
    return "".join(out)


def _escape_text(s: str) -> str:
    parts = _ENTITY.split(s)
    entities = _ENTITY.findall(s)
    out = [escape(parts[0])]
    for entity, part in zip(entities, parts[1:], strict=True):
        out += [entity, escape(part)]
    return "".join(out)


@functools.lru_cache(maxsize=64)  # a reply converts the same text for blocks and fallback
def markdown_to_mrkdwn(md: str) -> str:
    """Convert Markdown to Slack mrkdwn (bold, italic, strike, headings, links, bullets,
    quotes, GFM tables as aligned monospace); code is left as written, only escaped."""
    lines = md.replace("\r\n", "\n").translate(_CONTROL).split("\n")
    out: list[str] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if fence is not None:
            if closes_fence(line, fence):
                out.append("```")
                fence = None
            else:
                out.append(escape(line))
            i += 1
            continue
        m = FENCE.match(line)
        if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
            fence = m.group(1)
            out.append("```")
            i += 1
            continue
        if i + 1 < len(lines) and "|" in line and _TABLE_SEP.match(lines[i + 1]):
            header, aligns = _cells(line), _aligns(lines[i + 1])
            if len(header) == len(aligns):
                rows = [header]
                i += 2
                while i < len(lines) and "|" in lines[i] and lines[i].strip():
                    rows.append(_cells(lines[i]))
                    i += 1
                out.append(_table_text(rows, aligns))
                continue
        out.append(_convert_line(line))
        i += 1
    return "\n".join(out)


def closes_fence(line: str, fence: str) -> bool:
    """Whether ``line`` closes a code fence opened with ``fence`` (its backticks/tildes)."""
    stripped = line.strip()
    return (
        len(line) - len(line.lstrip(" ")) <= 3
        and len(stripped) >= len(fence)
        and stripped == fence[0] * len(stripped)
    )


def _convert_line(line: str) -> str:
    if _RULE.match(line):
        return "──────────"
    prefix = ""
    quote = _QUOTE.match(line)
    if quote:
        prefix, line = "> ", line[quote.end() :]
    heading = _HEADING.match(line)
    if heading:
        text = re.sub(r"\*\*|__", "", heading.group(1) or "")
        return prefix + (f"*{_inline(text)}*" if text.strip() else "")
    bullet = _BULLET.match(line)
    if bullet:
        box = {" ": "☐ ", "x": "☑ ", "X": "☑ "}.get(bullet.group(2) or "", "")
        return f"{prefix}{bullet.group(1)}• {box}{_inline(line[bullet.end() :])}"
    return prefix + _inline(line)


def _inline(text: str) -> str:
    out: list[str] = []
    pos = 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_inline_plain(text[pos : m.start()]))
        out.append(f"`{escape(m.group(2))}`")
        pos = m.end()
    out.append(_inline_plain(text[pos:]))
    return "".join(out)


def _inline_plain(s: str) -> str:
    saved: list[str] = []

    def keep(value: str) -> str:
        saved.append(value)
        return f"\x00{len(saved) - 1}\x00"

    s = _BACKSLASH.sub(lambda m: keep(escape(m.group(1))), s)
    s = _SLACK_TOKEN.sub(lambda m: keep(m.group(0)), s)
    s = _LINK.sub(lambda m: keep(_link(m.group("text"), m.group("url"))), s)
    s = _escape_text(s)
    for pattern, repl in _EMPHASIS:
        s = pattern.sub(repl, s)
    s = s.replace("\x01", "*").replace("\x02", "_")
    return re.sub("\x00(\\d+)\x00", lambda m: saved[int(m.group(1))], s)


def _link(text: str, url: str) -> str:
    label = _escape_text(re.sub(r"[*_~`]", "", text).strip())
    if not _SCHEME.match(url):
        return label or _escape_text(url)
    safe = _escape_text(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{label}>" if label and label != safe else f"<{safe}>"


def _cells(line: str) -> list[str]:
    s = line.strip()
    s = s[1:] if s.startswith("|") else s
    s = s[:-1] if s.endswith("|") and not s.endswith("\\|") else s
    cells = [c.strip().replace("\\|", "|") for c in _CELL_SPLIT.split(s)]
    return [_plain_cell(c) for c in cells]


def _plain_cell(cell: str) -> str:
    cell = _LINK.sub(lambda m: f"{m.group('text')} ({m.group('url')})", cell)
    return re.sub(r"\*\*|__|`|~~", "", cell)


def _aligns(sep: str) -> list[str]:
    out = []
    for cell in _cells(sep):
        left, right = cell.startswith(":"), cell.endswith(":")
        out.append("center" if left and right else "right" if right else "left")
    return out


def _table_text(rows: list[list[str]], aligns: list[str]) -> str:
    """Rows as column-aligned monospace inside a code fence (escaped for Slack)."""
    ncols = max(len(r) for r in rows)
    rows = [r + [""] * (ncols - len(r)) for r in rows]
    aligns = aligns + ["left"] * (ncols - len(aligns))
    widths = [max(display_width(r[c]) for r in rows) for c in range(ncols)]
    lines = []
    for row in rows:
        cells = [pad_cell(cell, widths[c], aligns[c]) for c, cell in enumerate(row)]
        lines.append(escape("  ".join(cells).rstrip()))
    return "```\n" + "\n".join(lines) + "\n```"


# -- closing what a stream left open ---------------------------------------------------


def open_markers(md: str) -> list[str]:
    """The markers still open at the end of ``md``, outermost first: a fence (``"```"``)
    or inline ``` ` ```, ``**``, ``*``, ``__``, ``_``, ``~~``. A marker with nothing
    after it does not count (it is not closed either)."""
    fence, _, stack = _open(md)
    return [fence] if fence else stack


def close_open_markdown(md: str) -> str:
    """Append the minimal closers, innermost first, for markers ``md`` leaves open;
    closes nothing once the real closers have arrived. Closers go before trailing
    whitespace and a trailing marker that has nothing after it."""
    fence, q, stack = _open(md)
    if fence:
        return md + ("" if md.endswith("\n") else "\n") + fence
    if not stack:
        return md
    closers = "".join(reversed(stack))
    if stack[-1][0] == "`" and md[:q].endswith("`"):
        closers = " " + closers
    for candidate in (md[:q] + closers + md[q:], md[:q] + closers + " " + md[q:], md + closers):
        if not _open(candidate)[2]:
            return candidate
    return md + closers


def _open(md: str) -> tuple[str | None, int, list[str]]:
    """(open fence, where closers go, open inline markers) for ``md``."""
    fence, _, stack = _scan(md)
    if fence or not stack:
        return fence, len(md), []
    if stack[-1][0][0] == "`":  # inside a code span every character is content
        return None, len(md), [marker for marker, _ in stack]
    q = len(md.rstrip())
    while True:  # close before trailing whitespace and marker runs with nothing after
        while (q - len(md[:q].rstrip("\\"))) % 2:  # a lone trailing backslash escapes
            q = len(md[: q - 1].rstrip())
        _, used, stack = _scan(md[:q])
        if not (q and md[q - 1] in "*_~`" and used < q):
            break
        if not stack or q <= stack[0][1]:  # nothing of this paragraph left to close
            return None, len(md), []
        start = q
        while start > 0 and md[start - 1] == md[q - 1]:
            start -= 1
        q = len(md[:start].rstrip())
    return None, q, [marker for marker, _ in stack]


def _scan(md: str) -> tuple[str | None, int, list[tuple[str, int]]]:
    """(open fence with a body, end of the last marker run used, open inline stack);
    the stack's markers carry their offsets, and a blank or fence line empties it."""
    stack: list[tuple[str, int]] = []
    fence: str | None = None
    fence_body_at = 0
    used = 0
    n = len(md)
    i = 0
    while i < n:
        if i == 0 or md[i - 1] == "\n":
            eol = md.find("\n", i)
            eol = n if eol < 0 else eol
            line = md[i:eol]
            if fence is not None:
                if closes_fence(line, fence):
                    fence = None
                i = eol + 1
                continue
            m = FENCE.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence, fence_body_at = m.group(1), eol + 1
                stack.clear()
                i = eol + 1
                continue
            if not line.strip():
                stack.clear()
                i = eol + 1
                continue
        c = md[i]
        if c == "\\" and not (stack and stack[-1][0][0] == "`"):
            i += 2
            continue
        if c not in "`*_~":
            i += 1
            continue
        run = 1
        while i + run < n and md[i + run] == c:
            run += 1
        prev = md[i - 1] if i > 0 else None
        nxt = md[i + run] if i + run < n else None
        if _apply_run(stack, c, run, i, prev, nxt):
            used = i + run
        i += run
    if fence is not None and not md[fence_body_at:].strip():
        fence = None
    return fence, used, stack


def _apply_run(
    stack: list[tuple[str, int]], c: str, run: int, at: int, prev: str | None, nxt: str | None
) -> bool:
    """Update ``stack`` for a run of ``run`` × ``c``; True if the run opened or closed."""
    if stack and stack[-1][0][0] == "`":
        if c == "`" and run == len(stack[-1][0]):
            stack.pop()
            return True
        return False
    if c == "`":
        if nxt is None:
            return False
        stack.append((c * run, at))
        return True
    left = nxt is not None and not nxt.isspace()
    right = prev is not None and not prev.isspace()
    if c == "_":
        left = left and not (prev is not None and prev.isalnum())
        right = right and not (nxt is not None and nxt.isalnum())
    remaining, changed = (run - run % 2 if c == "~" else run), False  # strike is ~~
    while right and remaining:
        idx = next(
            (
                k
                for k in range(len(stack) - 1, -1, -1)
                if stack[k][0][0] == c and len(stack[k][0]) <= remaining
            ),
            None,
        )
        if idx is None:
            break
        remaining -= len(stack[idx][0])
        del stack[idx:]
        changed = True
    while left and remaining:
        unit = 2 if remaining >= 2 else 1
        stack.append((c * unit, at))
        remaining -= unit
        changed = True
    return changed
