"""A rich message too big for one Slack message (``msg_blocks_too_long`` past roughly 13k
characters of block text, or more than 50 blocks), posted as several instead of cut.

The blocks are grouped in order; each group renders under ``MAX_TOTAL_BLOCKS_TEXT`` and the
block cap, and a long paragraph is split at clean places first. Controls stay where they
were, so buttons land in the part whose text they follow.
"""

from __future__ import annotations

from typing import Any

from botkit.ui.nodes import Block, Message, Section
from botkit_slack import limits as L
from botkit_slack.render.blocks import render_blocks
from botkit_slack.render.cutting import size
from botkit_slack.render.split import split_text

__all__ = ["message_parts"]

_TEXT_BUDGET = L.MAX_TOTAL_BLOCKS_TEXT - 1000  # room for escaping and the cut notice
_BLOCK_BUDGET = L.MAX_BLOCKS - 5
_PARAGRAPH = 2900


def _text_size(node: Any) -> int:
    if isinstance(node, dict):
        return sum(size(v) if k == "text" and isinstance(v, str) else _text_size(v)
                   for k, v in node.items())
    return sum(_text_size(v) for v in node) if isinstance(node, list) else 0


def _pieces(block: Block) -> list[Block]:
    if isinstance(block, Section) and size(block.text) > _PARAGRAPH:
        return [Section(chunk) for chunk in split_text(block.text, limit=_PARAGRAPH)
                if chunk.strip()]
    return [block]


def message_parts(message: Message) -> list[Message]:
    """``message`` alone when it fits one Slack message, else the parts to post in order."""
    sized = []
    for block in (p for b in message.blocks for p in _pieces(b)):
        rendered = render_blocks(Message(block)).blocks
        sized.append((block, _text_size(rendered), len(rendered)))
    if sum(t for _, t, _ in sized) <= _TEXT_BUDGET and sum(c for *_, c in sized) <= _BLOCK_BUDGET:
        return [message]
    groups: list[list[Block]] = [[]]
    text = blocks = 0
    for block, extra, count in sized:
        if groups[-1] and (text + extra > _TEXT_BUDGET or blocks + count > _BLOCK_BUDGET):
            groups.append([])
            text = blocks = 0
        groups[-1].append(block)
        text, blocks = text + extra, blocks + count
    return [Message(*group, accent=message.accent, status=message.status) for group in groups]
