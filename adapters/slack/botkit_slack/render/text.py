"""Slack's wire text ↔ plain text.

Slack escapes ``&<>`` and writes mentions, channels and links as ``<@U123>``,
``<#C123|general>`` and ``<https://x|label>``. ``to_plain`` turns that into what a person (or
an agent) reads; ``blocks_text`` recovers readable text from a bot message's Block Kit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "MENTION_ID",
    "blocks_text",
    "escape",
    "mentions_user",
    "replace_lone_surrogates",
    "to_plain",
]

_TOKEN = re.compile(r"<([^<>\n]+)>")
MENTION_ID = re.compile(r"<@([UW][A-Z0-9]+)")
"""The user ids a Slack text mentions."""


def escape(text: str) -> str:
    """Escape the three characters Slack reserves in ``text`` fields."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def replace_lone_surrogates(text: str) -> str:
    """``text`` with every unpaired UTF-16 surrogate (a model may emit ``\\ud800``) replaced
    by U+FFFD, so it can be encoded as UTF-8; paired ones become the character they encode."""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mentions_user(text: str, user_id: str) -> bool:
    """Whether ``text`` @-mentions ``user_id`` (``<@U123>`` or ``<@U123|name>``)."""
    return re.search(rf"<@{re.escape(user_id)}(\|[^>]*)?>", text or "") is not None


_SPACES = re.compile(r"[ \t]{2,}")


def to_plain(text: str, *, bot_user_id: str | None = None,
             name_of: Callable[[str], str | None] | None = None) -> str:
    """Slack wire text as plain text: the bot's own mention removed, other mentions as
    ``@name``, channels as ``#name``, links as ``label (url)``, entities decoded."""

    def token(match: re.Match[str]) -> str:
        body = match.group(1)
        target, _, label = body.partition("|")
        if target.startswith("@"):
            uid = target[1:]
            if bot_user_id and uid == bot_user_id:
                return ""
            name = label or (name_of(uid) if name_of else None)
            return f"@{name or uid}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            special = target[1:].split("^")[0]
            return label or (f"@{special}" if special in ("here", "channel", "everyone")
                             else special)
        if label and label != target:
            return f"{label} ({target.removeprefix('mailto:')})"
        return target.removeprefix("mailto:")

    plain = _unescape(_TOKEN.sub(token, text or ""))
    return _SPACES.sub(" ", plain).strip()


def _text_of(obj: Any) -> str:
    if isinstance(obj, Mapping):
        value = obj.get("text")
        return value if isinstance(value, str) else ""
    return ""


def blocks_text(blocks: Sequence[Mapping[str, Any]]) -> str:
    """Readable text of Block Kit (headers, sections, fields, context, tables); controls
    and images are left out."""
    parts: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind in ("header", "section", "markdown"):
            text = _text_of(block.get("text")) if kind != "markdown" else _text_of(block)
            fields = [_text_of(f) for f in block.get("fields") or ()]
            parts.append("\n".join(t for t in [text, *fields] if t))
        elif kind == "context":
            parts.append(" ".join(_text_of(e) for e in block.get("elements") or ()))
        elif kind == "rich_text":
            parts.append(_rich_text(block))
    return _unescape("\n\n".join(p for p in parts if p.strip()))


def _rich_text(block: Mapping[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if node.get("type") in ("text", "link") and isinstance(node.get("text"), str):
                out.append(node["text"])
            elif node.get("type") == "user":
                out.append(f"<@{node.get('user_id', '')}>")
            for child in node.get("elements") or ():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(block)
    return "".join(out)
