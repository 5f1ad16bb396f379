"""State stores: memory (tests, one process), SQLite (durable, one machine), Redis (several
processes). ``store_from_url`` picks one from a URL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit, urlunsplit

from botkit.errors import UserError
from botkit.store.base import StateStore
from botkit.store.memory import MemoryStore
from botkit.store.redis import RedisStore
from botkit.store.sqlite import SQLiteStore

__all__ = ["MemoryStore", "RedisStore", "SQLiteStore", "StateStore", "store_from_url"]

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
            raise UserError(f"bad SQLite store URL {url!r}: write sqlite:///relative.db or "
                            "sqlite:////absolute/path.db")
        return SQLiteStore(Path(unquote(parts.path[1:])))
    if scheme in {"redis", "rediss", "unix"}:
        query = parse_qs(parts.query)
        prefix = query.pop("prefix", ["botkit:"])[-1]
        rest = urlencode(query, doseq=True)
        return RedisStore(urlunsplit(parts._replace(query=rest)), prefix=prefix)
    raise UserError(f"unknown store URL {url!r}; use one of: {_SCHEMES}")
