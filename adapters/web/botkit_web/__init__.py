"""botkit's web platform: botkit itself keeps the conversation.

    from botkit_web import WebAdapter

    bot = create_bot(adapters=[WebAdapter(port=8788)], agent=..., store=store_from_url(...))

Web threads' messages live in the bot's store; people talk to the bot over HTTP (runs
shaped after the LangGraph Agent Server's, and an AG-UI endpoint) or from Python.

The names below load when first used: ``botkit run`` loads every adapter's CLI plugin
(``botkit_web.cli_plugin``), and a bot served on another platform does not carry the web
server, its routes and the threads HTTP API (startup memory).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botkit_web.adapter import WebAdapter
    from botkit_web.auth import LOCAL_USER, Authenticate, header_user, local_user
    from botkit_web.engine import RunBusy
    from botkit_web.errors import Conflict, Forbidden, NotFound, NotWaiting
    from botkit_web.http import web_route_group, web_routes
    from botkit_web.messages import Control, WebFile, WebMessage
    from botkit_web.runs import WebRun
    from botkit_web.server import create_app
    from botkit_web.turns import UserInput

_LAZY = {
    "WebAdapter": "adapter",
    "LOCAL_USER": "auth", "Authenticate": "auth", "header_user": "auth", "local_user": "auth",
    "RunBusy": "engine",
    "Conflict": "errors", "Forbidden": "errors", "NotFound": "errors", "NotWaiting": "errors",
    "web_route_group": "http", "web_routes": "http",
    "Control": "messages", "WebFile": "messages", "WebMessage": "messages",
    "WebRun": "runs",
    "create_app": "server",
    "UserInput": "turns",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"botkit_web.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "LOCAL_USER",
    "Authenticate",
    "Conflict",
    "Control",
    "Forbidden",
    "NotFound",
    "NotWaiting",
    "RunBusy",
    "UserInput",
    "WebAdapter",
    "WebFile",
    "WebMessage",
    "WebRun",
    "create_app",
    "header_user",
    "local_user",
    "web_route_group",
    "web_routes",
]
