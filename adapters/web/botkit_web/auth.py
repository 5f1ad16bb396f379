"""Who calls the web routes: the pluggable ``authenticate(request) -> PlatformUser`` hook.

The hook may be sync or async. It raises ``aiohttp.web.HTTPUnauthorized`` (or any
``HTTPException``) to refuse a caller; returning a user admits them. The default admits
everyone as one local user: fine on your machine, never on a network.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from aiohttp import web

from botkit.types import PlatformUser

__all__ = ["Authenticate", "header_user", "identify", "local_user"]

Authenticate = Callable[[web.Request], "PlatformUser | Awaitable[PlatformUser]"]

LOCAL_USER = PlatformUser(id="web-user", name="you")


def local_user(request: web.Request) -> PlatformUser:
    """Everyone is the same local user (development only)."""
    return LOCAL_USER


def header_user(header: str = "X-User-Id") -> Authenticate:
    """Trust a header set by a proxy in front of the bot that did the real sign-in
    (the user id, and optionally ``<header>-Name`` for the display name)."""
    def authenticate(request: web.Request) -> PlatformUser:
        user_id = request.headers.get(header, "").strip()
        if not user_id:
            raise web.HTTPUnauthorized(text=f"send the {header} header")
        name = request.headers.get(f"{header}-Name", "").strip() or None
        return PlatformUser(id=user_id, name=name)
    return authenticate


async def identify(authenticate: Authenticate, request: web.Request) -> PlatformUser:
    user = authenticate(request)
    if inspect.isawaitable(user):
        user = await user
    if not isinstance(user, PlatformUser):
        raise TypeError("authenticate(request) must return a botkit PlatformUser")
    return user
