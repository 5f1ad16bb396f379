"""botkit_slack: botkit's Slack adapter (``SlackAdapter``), Block Kit rendering and a local
emulator.

The names below are imported lazily, so the renderer and the emulator load without Bolt.

Layout: ``adapter`` (the facade the core talks to), ``ingress/`` (what Slack delivers →
botkit events), ``conversations``, ``directory`` (people), ``history``, ``egress`` (posting,
editing, tool records in ``metadata``), ``streaming/`` (replies as they arrive), ``render/``
(Block Kit, mrkdwn, splitting, modals), ``transport`` (Socket Mode or HTTP), ``settings``,
``features`` (reactions, assistant thread, modals, scheduling, DMs), ``oauth`` and ``teams``
(installs in many workspaces), ``keys`` (its store keys).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["RespondTo", "SlackAdapter", "SlackOAuth", "SlackRoute", "SlackSettings"]

_WHERE = {
    "RespondTo": "botkit_slack.ingress.decide",
    "SlackAdapter": "botkit_slack.adapter",
    "SlackOAuth": "botkit_slack.settings",
    "SlackRoute": "botkit_slack.conversations",
    "SlackSettings": "botkit_slack.settings",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'botkit_slack' has no attribute {name!r}")
