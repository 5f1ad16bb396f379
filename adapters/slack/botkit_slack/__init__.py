"""slack: botkit's Slack adapter (``SlackAdapter``), Block Kit rendering and a local emulator.

``SlackAdapter`` is imported lazily, so the renderer and the emulator load without Bolt.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["SlackAdapter"]


def __getattr__(name: str) -> Any:
    if name == "SlackAdapter":
        return importlib.import_module("botkit_slack.adapter").SlackAdapter
    raise AttributeError(f"module 'botkit_slack' has no attribute {name!r}")
