"""Who calls the web routes: the pluggable ``authenticate(request) -> PlatformUser`` hook.

The hook may be sync or async. It raises ``aiohttp.web.HTTPUnauthorized`` (or any
``HTTPException``) to refuse a caller; returning a user admits them. The default admits
everyone as one local user: fine on your machine, never on a network (``WebAdapter``
refuses to serve it on a non-loopback host unless told to).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from botkit.errors import UserError
from botkit.types import PlatformUser

__all__ = ["LOCAL_USER", "Authenticate", "check_authenticate", "header_user", "identify",
           "local_user"]

log = logging.getLogger("botkit.web")
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


def check_authenticate(authenticate: object) -> Authenticate:
    """``authenticate`` if it can be called with the request, else a ``UserError``."""
    if not callable(authenticate):
        raise UserError("authenticate must be a function (request) -> PlatformUser, not "
                        f"{type(authenticate).__name__}")
    try:
        inspect.signature(authenticate).bind(object())
    except TypeError:
        raise UserError("authenticate must take one argument, the aiohttp request "
                        "(authenticate(request) -> PlatformUser)") from None
    except ValueError:  # no signature to read (some builtins): trust it
        pass
    return authenticate


async def identify(authenticate: Authenticate, request: web.Request) -> PlatformUser:
    user = authenticate(request)
    if inspect.isawaitable(user):
        user = await user
    if not isinstance(user, PlatformUser):
        log.error("the web adapter's authenticate hook returned %s, not a PlatformUser",
                  type(user).__name__)
        raise web.HTTPInternalServerError(text="the server's sign-in hook is misconfigured")
    return user
