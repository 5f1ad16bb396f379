"""Durable threads: records of conversations, their agent state and run history
(``bot.threads``), an HTTP API for operators (``botkit.threads.http``, needs aiohttp) and
``botkit threads`` on the command line."""

from botkit.threads.config import ThreadsAPIConfig
from botkit.threads.records import (
    RunRecord,
    ThreadEvent,
    ThreadNotFound,
    ThreadPage,
    ThreadQueryError,
    ThreadRecord,
    ThreadStatus,
)
from botkit.threads.service import Threads

__all__ = [
    "RunRecord",
    "ThreadEvent",
    "ThreadNotFound",
    "ThreadPage",
    "ThreadQueryError",
    "ThreadRecord",
    "ThreadStatus",
    "Threads",
    "ThreadsAPIConfig",
]
