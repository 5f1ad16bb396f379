"""Splitting a long reply into messages: at paragraph, line or word boundaries, never inside
a grapheme, with a code fence cut by a split closed in one message and reopened in the next."""

from __future__ import annotations

from botkit_slack.render.cutting import boundary, fit_index, hard_cut, open_fence, size

__all__ = ["split_head", "split_once", "split_text"]


def split_text(text: str, *, limit: int = 3500) -> list[str]:
    """Split a long reply into messages of at most ``limit`` characters, at paragraph,
    line or word boundaries and never inside a grapheme. A code fence cut by a split is
    closed at the end of one message and reopened at the start of the next."""
    if limit < 40:
        raise ValueError("split_text: limit must be at least 40")
    chunks: list[str] = []
    while size(text) > limit:
        head, tail = split_once(text, limit)
        if len(tail) >= len(text):  # no progress (a pathological fence): cut hard
            cut = hard_cut(text, limit) or fit_index(text, limit)
            head, tail = text[:cut], text[cut:]
        if head.strip():
            chunks.append(head)
        text = tail
    return [*chunks, text] if text.strip() or not chunks else chunks


def split_once(text: str, limit: int) -> tuple[str, str]:
    """The first message's worth of ``text`` (at most ``limit``, fences closed), and the
    rest (with a cut fence reopened)."""
    end, start = boundary(text, limit)
    fence = open_fence(text[:end])
    if fence is not None:
        at, closer = fence[1], fence[2]
        body_at = (text.find("\n", at) + 1) or len(text) + 1
        if at > 0 and (at >= 0.3 * limit or end < body_at):  # cut before the fence instead
            return text[:at].rstrip(), text[at:]
        end, start = boundary(text, limit - len(closer) - 1)
        if end < body_at + limit // 4:
            end = start = hard_cut(text, limit - len(closer) - 1)
        fence = open_fence(text[:end])
    head, tail = text[:end].rstrip(), text[start:].lstrip("\n")
    if fence is None:
        return head, tail
    opener, _, closer = fence
    opener = opener if len(opener) <= limit // 8 else closer
    return f"{head}\n{closer}", f"{opener}\n{tail}"


def split_head(md: str, limit: int) -> tuple[str, str]:
    """The first message's worth of ``md`` (cut cleanly, fences closed) and the rest."""
    head, tail = split_once(md, limit)
    if len(tail) >= len(md) or not head.strip():  # no clean cut: cut hard
        # the pieces close and reopen any fence they cut, so the rest is the remaining
        # pieces rejoined, not a slice of ``md`` (whose offsets the added closers shift)
        first, *rest = split_text(md, limit=limit)
        return first, "\n".join(rest)
    return head, tail
