"""Cutting text for Slack: sizes as Slack counts them (UTF-16 code units), cuts that never
split a grapheme, and the clean places to cut (a paragraph, a line, a word) that never break
a code fence line."""

from __future__ import annotations

import unicodedata

from botkit_slack.render.mrkdwn import FENCE, closes_fence

__all__ = [
    "boundary",
    "fence_at",
    "fit_index",
    "hard_cut",
    "open_fence",
    "safe_cut",
    "size",
    "truncate_plain",
]


def size(s: str) -> int:
    """Length as Slack may count it: UTF-16 code units (never less than ``len``)."""
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def fit_index(s: str, limit: int) -> int:
    """The length of the longest prefix of ``s`` whose size is at most ``limit``."""
    if size(s) <= limit:  # the usual case, every reply shorter than a message: no walk
        return len(s)
    total = 0
    for i, ch in enumerate(s):
        total += 2 if ord(ch) > 0xFFFF else 1
        if total > limit:
            return i
    return len(s)


def _joined(s: str, i: int) -> bool:
    """True when cutting between ``s[i-1]`` and ``s[i]`` would split a grapheme."""
    a, b = s[i - 1], s[i]
    if unicodedata.category(b) in ("Mn", "Mc", "Me") or "\u200d" in (a, b):
        return True
    if "\ufe00" <= b <= "\ufe0f" or 0x1F3FB <= ord(b) <= 0x1F3FF or 0xE0020 <= ord(b) <= 0xE007F:
        return True
    if "\ud800" <= a <= "\udbff":
        return True
    run = 0  # regional indicators pair up: a flag is two of them
    while i - 1 - run >= 0 and 0x1F1E6 <= ord(s[i - 1 - run]) <= 0x1F1FF:
        run += 1
    return 0x1F1E6 <= ord(b) <= 0x1F1FF and run % 2 == 1


def safe_cut(s: str, i: int) -> int:
    j = i
    while 0 < j < len(s) and _joined(s, j):
        j -= 1
    return j if j > 0 else i


def boundary(s: str, limit: int) -> tuple[int, int]:
    """Where to cut ``s`` to keep at most ``limit``: (end of head, start of rest),
    preferring a paragraph break, then a line break, then a space."""
    i = fit_index(s, limit)
    if i >= len(s):
        return len(s), len(s)
    for sep, floor in (("\n\n", i // 2), ("\n", i // 4), (" ", i // 4)):
        p = s.rfind(sep, 0, i + 1)
        if p >= max(floor, 1) and (sep != " " or not fence_at(s, p + 1)):
            return p, p + len(sep)
    j = hard_cut(s, limit)
    return j, j


def hard_cut(s: str, limit: int) -> int:
    """A cut within ``limit`` that splits no grapheme and makes or breaks no fence line."""
    j = safe_cut(s, fit_index(s, limit))
    while j > 1 and fence_at(s, j):  # the rest must not start with a fence line
        j = safe_cut(s, j - 1)
    line_at = s.rfind("\n", 0, j) + 1
    return line_at if 0 < line_at < j and fence_at(s, line_at) else j


def fence_at(s: str, k: int) -> bool:
    """Would a line starting at ``s[k]`` be a code fence?"""
    end = s.find("\n", k)
    return bool(FENCE.match(s[k : len(s) if end < 0 else end]))


def truncate_plain(text: str, limit: int) -> str:
    if size(text) <= limit:
        return text
    return text[: safe_cut(text, fit_index(text, limit - 1))].rstrip() + "…"


def open_fence(s: str) -> tuple[str, int, str] | None:
    """The fence left open at the end of ``s``: (opener line, its offset, closer)."""
    fence: tuple[str, int, str] | None = None
    offset = 0
    for line in s.split("\n"):
        if fence is not None:
            if closes_fence(line, fence[2]):
                fence = None
        else:
            m = FENCE.match(line)
            if m and not (m.group(1)[0] == "`" and "`" in m.group(2)):
                fence = (line.strip(), offset, m.group(1))
        offset += len(line) + 1
    return fence
