"""botkit_slack: botkit's Slack adapter (``SlackAdapter``), Block Kit rendering and a local
emulator.

The names below are imported lazily, so the renderer and the emulator load without Bolt.
slack_sdk's package ``__init__`` (it imports the sync ``WebClient`` and ``WebhookClient``,
~0.6 MB a bot on the async client never uses) runs when one of its names is first read.

Layout: ``adapter`` (the facade the core talks to), ``ingress/`` (what Slack delivers →
botkit events), ``conversations``, ``directory`` (people), ``history``, ``egress`` (posting,
editing, tool records in ``metadata``), ``streaming/`` (replies as they arrive), ``render/``
(Block Kit, mrkdwn, splitting, modals), ``transport`` (Socket Mode or HTTP), ``settings``,
``features`` (reactions, assistant thread, modals, scheduling, DMs), ``oauth`` and ``teams``
(installs in many workspaces), ``keys`` (its store keys).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from types import ModuleType
from typing import Any

from botkit._import_hooks import lazy_package_init

__all__ = ["RespondTo", "SlackAdapter", "SlackOAuth", "SlackRoute", "SlackSettings"]

_WHERE = {
    "RespondTo": "botkit_slack.ingress.decide",
    "SlackAdapter": "botkit_slack.adapter",
    "SlackOAuth": "botkit_slack.settings",
    "SlackRoute": "botkit_slack.conversations",
    "SlackSettings": "botkit_slack.settings",
}


def _slack_sdk_logging(package: ModuleType) -> Callable[[], None]:
    """What slack_sdk's ``__init__`` sets up that must hold from the start: the NullHandler
    on its logger (its own ``__init__`` adds it again when it runs)."""
    handler = logging.NullHandler()
    logging.getLogger(package.__name__).addHandler(handler)
    return lambda: logging.getLogger(package.__name__).removeHandler(handler)


lazy_package_init("slack_sdk", _slack_sdk_logging)
lazy_package_init("slack_sdk.web")


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'botkit_slack' has no attribute {name!r}")
