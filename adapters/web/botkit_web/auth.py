"""Who calls the web routes: the pluggable ``authenticate(request) -> PlatformUser`` hook,
and, where the routes are served by the bot's threads API, its tokens.

On the threads API server (``botkit run APP --threads-api PORT``, or
``create_bot(threads_api=...)``) the token check comes first: no or a wrong token is 401,
a token without the route's scope 403 (GET needs ``read``, the rest ``write``). Then:

- a token bound to a user (``APIToken(token=..., user_id="alice")``) IS that web user:
  ``authenticate`` is not asked (the name comes from ``WebAdapter(users=...)`` when listed);
- an unbound token (the admin ``token``, or none on a loopback host) is a trusted caller
  such as your own backend or a signing-in proxy: ``authenticate`` says who the person is.

On the adapter's own port (``WebAdapter(port=...)``) only ``authenticate`` decides.

The hook may be sync or async. It raises ``aiohttp.web.HTTPUnauthorized`` (or any
``HTTPException``) to refuse a caller; returning a user admits them. The default admits
everyone as one local user: fine on your machine, never on a network (``WebAdapter``
refuses to serve it on a non-loopback host unless told to).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web

from botkit.errors import UserError
from botkit.threads.http.base import PRINCIPAL
from botkit.types import PlatformUser

__all__ = ["LOCAL_USER", "Authenticate", "caller", "check_authenticate", "header_user",
           "identify", "local_user"]

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


async def caller(authenticate: Authenticate, directory: Sequence[PlatformUser],
                 request: web.Request) -> PlatformUser:
    """Who calls: the user a threads-API token is bound to, else ``authenticate``'s answer
    (see the module's docstring)."""
    principal = request.get(PRINCIPAL)
    if principal is not None and principal.user_id is not None:
        known = next((u for u in directory if u.id == principal.user_id), None)
        return known or PlatformUser(id=principal.user_id)
    return await identify(authenticate, request)
