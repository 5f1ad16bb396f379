"""The table of emulated Web API methods."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .args import ApiRequest
from .core import Core
from .models import JSON

Handler = Callable[[Core, ApiRequest], Awaitable[JSON]]
BOT_OR_USER = frozenset({"bot", "user"})


@dataclass(frozen=True)
class Method:
    handler: Handler
    tokens: frozenset[str] = BOT_OR_USER
    public: bool = False
    """Called without a token (OAuth exchanges authenticate with the client secret)."""


class Table(dict[str, Method]):
    def method(
        self, name: str, *, tokens: frozenset[str] = BOT_OR_USER, public: bool = False
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self[name] = Method(handler, tokens, public)
            return handler

        return register
