"""botkit's web platform: botkit itself keeps the conversation.

    from botkit_web import WebAdapter

    bot = create_bot(adapters=[WebAdapter(port=8788)], agent=..., store=store_from_url(...))

Web threads' messages live in the bot's store; people talk to the bot over HTTP (runs
shaped after the LangGraph Agent Server's, and an AG-UI endpoint) or from Python.
"""

from botkit_web.adapter import WebAdapter
from botkit_web.auth import LOCAL_USER, Authenticate, header_user, local_user
from botkit_web.engine import RunBusy
from botkit_web.errors import Conflict, Forbidden, NotFound, NotWaiting
from botkit_web.http import web_routes
from botkit_web.messages import Control, WebFile, WebMessage
from botkit_web.runs import WebRun
from botkit_web.server import create_app
from botkit_web.turns import UserInput

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
    "web_routes",
]
