"""State stores: memory (tests, one process), SQLite (durable, one machine), Redis (several
processes). ``store_from_url`` picks one from a URL.

``SQLiteStore`` and ``RedisStore`` are loaded when first named: a bot on the default memory
store does not carry their modules (startup memory)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from botkit._lazy import lazy_exports
from botkit.errors import UserError
from botkit.store.base import PubSub, StateStore, Subscription
from botkit.store.memory import MemoryStore
from botkit.store.streams import PendingEntry, StreamEntry, StreamId, Streams

if TYPE_CHECKING:
    from botkit.store.redis import RedisStore
    from botkit.store.sqlite import SQLiteStore

__all__ = ["MemoryStore", "PendingEntry", "PubSub", "RedisStore", "SQLiteStore", "StateStore",
           "StreamEntry", "StreamId", "Streams", "Subscription", "store_from_url"]

LAZY_STORES = {"RedisStore": "botkit.store.redis", "SQLiteStore": "botkit.store.sqlite"}
"""Store classes loaded when first named (``botkit`` re-exports them the same way)."""


__getattr__, __dir__ = lazy_exports(__name__, LAZY_STORES)


_SCHEMES = "memory://, sqlite:///relative/path.db, sqlite:////absolute/path.db, redis://…"


def store_from_url(url: str) -> StateStore:
    """Build a store from a URL.

    ``memory://``; ``sqlite:///state.db`` (relative path) or ``sqlite:////var/lib/bot.db``
    (absolute); ``redis://host:6379/0`` / ``rediss://…`` / ``unix:///path.sock``, with an
    optional ``?prefix=mybot:`` query naming the key namespace (default ``botkit:``).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "memory":
        return MemoryStore()
    if scheme == "sqlite":
        if parts.netloc or not parts.path.startswith("/") or parts.path == "/":
            raise UserError(f"bad SQLite store URL {_shown(url)!r}: write sqlite:///relative.db or "
                            "sqlite:////absolute/path.db")
        from botkit.store.sqlite import SQLiteStore

        return SQLiteStore(Path(unquote(parts.path[1:])))
    if scheme in {"redis", "rediss", "unix"}:
        query = parse_qs(parts.query)
        prefix = query.pop("prefix", ["botkit:"])[-1]
        rest = urlencode(query, doseq=True)
        from botkit.store.redis import RedisStore

        return RedisStore(urlunsplit(parts._replace(query=rest)), prefix=prefix)
    raise UserError(f"unknown store URL {_shown(url)!r}; use one of: {_SCHEMES}")


def _shown(url: str) -> str:
    """``url`` for an error message: any ``user:password@`` and query replaced, so a
    mistyped Redis URL never prints its password."""
    try:
        parts = urlsplit(url.strip())
        host = parts.netloc.rpartition("@")[2]
        netloc = f"…@{host}" if "@" in parts.netloc else host
        return urlunsplit(parts._replace(netloc=netloc, query="…" if parts.query else ""))
    except ValueError:
        return "<unreadable URL>"
