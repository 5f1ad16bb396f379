"""Durable threads: records of conversations, their agent state, checkpoints and run
history (``bot.threads``), an HTTP API shaped after the LangGraph Agent Server's
(``botkit.threads.http``, ``pip install "botkit[threads-api]"``) and ``botkit threads`` on
the command line."""

from botkit.threads.access import APIToken
from botkit.threads.checkpoints import CheckpointNotFound
from botkit.threads.config import ThreadsAPIConfig
from botkit.threads.errors import (
    MessagesUnavailable,
    PreconditionFailed,
    ThreadBusy,
    ThreadConflict,
    ThreadNotFound,
    ThreadQueryError,
    ThreadsError,
)
from botkit.threads.messages import MessageKeeper, MessageNotFound, MessagePage
from botkit.threads.records import (
    Checkpoint,
    RunRecord,
    ThreadEvent,
    ThreadPage,
    ThreadRecord,
    ThreadStatus,
)
from botkit.threads.service import Threads

__all__ = [
    "APIToken",
    "Checkpoint",
    "CheckpointNotFound",
    "MessageKeeper",
    "MessageNotFound",
    "MessagePage",
    "MessagesUnavailable",
    "PreconditionFailed",
    "RunRecord",
    "ThreadBusy",
    "ThreadConflict",
    "ThreadEvent",
    "ThreadNotFound",
    "ThreadPage",
    "ThreadQueryError",
    "ThreadRecord",
    "ThreadStatus",
    "Threads",
    "ThreadsAPIConfig",
    "ThreadsError",
]
