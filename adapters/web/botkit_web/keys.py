"""Every store key the web adapter uses, in one place.

A web thread keeps its messages as one value per message (``web:msg:<thread>:<id>``) plus
their order (the list ``web:msgs:<thread>``); file bytes under their own keys
(``web:file:<thread>:<id>``, loaded only when needed); its runs like its messages
(``web:run:...`` and ``web:runs:<thread>``); a recent run's AG-UI events as a store stream
(``web:feed:<thread>:<run>``, which other processes follow; each process pokes its reader
through ``web:wake:<process>``); the interrupt a web run left waiting, with who may answer
it (``web:interrupt:<thread>``); an unfinished run's entry in the index of live runs
(``web:live:<thread>:<run>``, which the living scan to take over a stopped process's
runs); a claimed choice answer (``web:answered:<id>``); people who
wrote in any web thread at ``web:user:<id>`` (for ``lookup_user``).

Each id is percent-encoded (``:`` becomes ``%3A``), so a thread id containing ``:`` can
never collide with another thread's keys, and ``thread_prefixes`` finds exactly one
thread's data.
"""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["answered_key", "feed_key", "file_key", "interrupt_key", "live_key", "live_prefix",
           "message_key",
           "message_order_key", "run_key", "run_order_key", "thread_keys", "thread_prefixes",
           "user_key", "user_prefix", "wake_key"]


def _id(value: str) -> str:
    return quote(value, safe="")


def message_key(thread_id: str, message_id: str) -> str:
    return f"web:msg:{_id(thread_id)}:{_id(message_id)}"


def message_order_key(thread_id: str) -> str:
    return f"web:msgs:{_id(thread_id)}"


def run_key(thread_id: str, run_id: str) -> str:
    return f"web:run:{_id(thread_id)}:{_id(run_id)}"


def run_order_key(thread_id: str) -> str:
    return f"web:runs:{_id(thread_id)}"


def feed_key(thread_id: str, run_id: str) -> str:
    return f"web:feed:{_id(thread_id)}:{_id(run_id)}"


def live_prefix() -> str:
    return "web:live:"


def live_key(thread_id: str, run_id: str) -> str:
    return f"{live_prefix()}{_id(thread_id)}:{_id(run_id)}"


def file_key(thread_id: str, file_id: str) -> str:
    return f"web:file:{_id(thread_id)}:{_id(file_id)}"


def interrupt_key(thread_id: str) -> str:
    return f"web:interrupt:{_id(thread_id)}"


def answered_key(choice_id: str) -> str:
    return f"web:answered:{_id(choice_id)}"


def thread_prefixes(thread_id: str) -> tuple[str, ...]:
    """Prefixes of every per-item key of one thread (messages, files, runs, run events,
    live runs)."""
    t = _id(thread_id)
    return (f"web:msg:{t}:", f"web:file:{t}:", f"web:run:{t}:", f"web:feed:{t}:",
            f"{live_prefix()}{t}:")


def thread_keys(thread_id: str) -> tuple[str, ...]:
    """The thread's single keys (orders, the waiting interrupt)."""
    return (message_order_key(thread_id), run_order_key(thread_id), interrupt_key(thread_id))


def user_prefix() -> str:
    return "web:user:"


def user_key(user_id: str) -> str:
    return f"{user_prefix()}{_id(user_id)}"


def wake_key(process: str) -> str:
    return f"web:wake:{_id(process)}"
