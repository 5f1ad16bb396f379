"""Every store key the web adapter uses, in one place.

A web thread keeps its messages as one value per message (``web:msg:<thread>:<id>``) plus
their order (the list ``web:msgs:<thread>``); its runs the same way (``web:run:...`` and
``web:runs:<thread>``); files the bot posted at ``web:file:<thread>:<id>``; people who wrote
in any web thread at ``web:user:<id>`` (for ``lookup_user``).
"""

from __future__ import annotations

__all__ = ["file_key", "message_key", "message_order_key", "run_key", "run_order_key",
           "user_key", "user_prefix"]


def message_key(thread_id: str, message_id: str) -> str:
    return f"web:msg:{thread_id}:{message_id}"


def message_order_key(thread_id: str) -> str:
    return f"web:msgs:{thread_id}"


def run_key(thread_id: str, run_id: str) -> str:
    return f"web:run:{thread_id}:{run_id}"


def run_order_key(thread_id: str) -> str:
    return f"web:runs:{thread_id}"


def file_key(thread_id: str, file_id: str) -> str:
    return f"web:file:{thread_id}:{file_id}"


def user_prefix() -> str:
    return "web:user:"


def user_key(user_id: str) -> str:
    return f"{user_prefix()}{user_id}"
