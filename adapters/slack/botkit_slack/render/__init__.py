"""Slack rendering: Block Kit (``blocks``), Markdown → mrkdwn (``mrkdwn``), sizes and cuts
(``cutting``), long replies split into messages (``split``) and Slack text ↔ plain text
(``text``)."""

from __future__ import annotations

from botkit_slack.render.blocks import RenderedSlackMessage, plain_text_fallback, render_blocks
from botkit_slack.render.mrkdwn import close_open_markdown, escape_mrkdwn, markdown_to_mrkdwn
from botkit_slack.render.split import split_head, split_once, split_text
from botkit_slack.render.text import blocks_text, escape, mentions_user, to_plain

__all__ = [
    "RenderedSlackMessage",
    "blocks_text",
    "close_open_markdown",
    "escape",
    "escape_mrkdwn",
    "markdown_to_mrkdwn",
    "mentions_user",
    "plain_text_fallback",
    "render_blocks",
    "split_head",
    "split_once",
    "split_text",
    "to_plain",
]
