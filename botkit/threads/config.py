"""``ThreadsAPIConfig``: where the threads HTTP API listens and how callers authenticate."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from botkit.errors import UserError
from botkit.threads.access import APIToken

if TYPE_CHECKING:
    from botkit.threads.service import Threads

__all__ = ["APIServer", "ThreadsAPIConfig", "is_loopback", "provide_server", "start_server"]

STREAM_SECRET_ENV = "BOTKIT_THREADS_STREAM_SECRET"
TOKEN_HELP = ("ThreadsAPIConfig(token=...), `botkit run --threads-api-token TOKEN` or the "
              "BOTKIT_THREADS_API_TOKEN environment variable")


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, kw_only=True)
class ThreadsAPIConfig:
    """Serve the threads API with the bot: ``create_bot(threads_api=ThreadsAPIConfig(port=8787))``.

    Callers send ``Authorization: Bearer <token>`` (or ``X-Api-Key: <token>``, as the
    LangGraph SDK does). ``token`` is an admin token; ``tokens`` adds scoped and user-bound
    ones (``APIToken``). A token is optional on a loopback host (127.0.0.1, ::1, localhost)
    and required on any other: botkit refuses to start without. ``port=0`` picks a free
    port (read it from ``bot.threads_api_url``).

    ``cors_origins``: origins a browser page may call from (``("*",)`` for any); none by
    default. ``max_body_bytes``: larger bodies get 413. ``stream_token_ttl``: how long a
    ``POST /threads/events/token`` token lets an ``EventSource`` connect.
    ``stream_token_secret`` (default: the ``BOTKIT_THREADS_STREAM_SECRET`` environment
    variable) signs those tokens: give every replica the same random secret so a token
    works on all of them and across restarts. Without one, each process signs with a
    random key of its own (tokens then last until it restarts, on that process only).
    """

    port: int = 8787
    host: str = "127.0.0.1"
    token: str | None = field(default=None, repr=False)
    tokens: tuple[APIToken, ...] = ()
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 1024 * 1024
    stream_token_ttl: float = 300.0
    stream_token_secret: str | None = field(
        default_factory=lambda: os.environ.get(STREAM_SECRET_ENV) or None, repr=False)

    def __post_init__(self) -> None:
        if self.stream_token_secret is not None and (
                not isinstance(self.stream_token_secret, str)
                or len(self.stream_token_secret) < 16):
            raise UserError("the stream token secret must be a random string of 16 or "
                            f"more characters (ThreadsAPIConfig(stream_token_secret=...) or "
                            f"{STREAM_SECRET_ENV}); e.g. python -c 'import secrets; "
                            "print(secrets.token_urlsafe(32))'")
        if self.token is not None and not isinstance(self.token, str):
            raise UserError(f"the threads API token must be a string: {TOKEN_HELP}")
        object.__setattr__(self, "tokens", tuple(self.tokens))
        object.__setattr__(self, "cors_origins", tuple(self.cors_origins))
        if not all(isinstance(t, APIToken) for t in self.tokens):
            raise UserError("ThreadsAPIConfig(tokens=...) takes APIToken(token=..., "
                            "scopes=..., user_id=...) values")
        if not all(isinstance(o, str) and o for o in self.cors_origins):
            raise UserError("ThreadsAPIConfig(cors_origins=...) takes origins like "
                            "'https://app.example.com' (or '*')")
        if isinstance(self.max_body_bytes, bool) or not isinstance(self.max_body_bytes, int) \
                or self.max_body_bytes < 1024:
            raise UserError("ThreadsAPIConfig(max_body_bytes=...) must be an integer >= 1024")
        if not isinstance(self.stream_token_ttl, int | float) or self.stream_token_ttl <= 0:
            raise UserError("ThreadsAPIConfig(stream_token_ttl=...) must be seconds > 0")
        if not isinstance(self.host, str):
            raise UserError(f"threads API host must be a host name or address, not {self.host!r}")
        if isinstance(self.port, bool) or not isinstance(self.port, int) \
                or not 0 <= self.port <= 65535:
            raise UserError(f"threads API port must be 0-65535, not {self.port!r}")
        if self.token is not None and not self.token.strip():
            raise UserError(f"the threads API token is empty; set a real one: {TOKEN_HELP}")
        if self.token is None and not self.tokens and not is_loopback(self.host):
            raise UserError(f"the threads API would listen on {self.host!r}, which is not "
                            f"loopback, without a token: set a bearer token with {TOKEN_HELP}")

    def all_tokens(self) -> tuple[APIToken, ...]:
        """``token`` (admin) and ``tokens``."""
        admin = () if self.token is None else (
            APIToken(token=self.token, scopes=frozenset({"admin"})),)
        return admin + self.tokens


class APIServer(Protocol):
    """A running threads API: its base ``url``, and ``stop``."""

    url: str

    async def stop(self) -> None: ...


Serve = Callable[["Threads", "ThreadsAPIConfig"], Awaitable[APIServer]]
_serve: list[Serve] = []


def provide_server(serve: Serve) -> None:
    """Name what serves the threads API (the HTTP server lives at the edge, L5, and
    ``botkit`` wires it in here; a test may wire another)."""
    _serve[:] = [serve]


async def start_server(threads: Threads, config: ThreadsAPIConfig) -> APIServer:
    """Serve ``threads`` with what ``provide_server`` named."""
    if not _serve:
        raise UserError("no threads API server is wired in: import botkit (the package) "
                        "before starting a bot with threads_api=...")
    return await _serve[0](threads, config)
