"""Signing in to the dashboard: the threads API's token, typed once into a sign-in form,
becomes an HttpOnly session cookie; every request that changes something must also carry
the page's CSRF token (header ``X-CSRF-Token``, which htmx sends on every request).

Sessions and CSRF tokens are HMACs keyed by the API token, so every process serving the
same token accepts them and changing the token signs everybody out. Without a token (a
loopback-only server) no sign-in is needed; CSRF tokens are then keyed by a per-process
secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

__all__ = ["COOKIE", "SESSION_TTL", "Sessions", "dashboard_guard", "is_dashboard_path",
           "secure", "view_context"]

COOKIE = "botkit_session"
SESSION_TTL = 12 * 3600
PUBLIC = ("/ui/login", "/ui/static/")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Sessions:
    """Issues and checks session cookies and CSRF tokens for one API token."""

    def __init__(self, token: str | None, *, ttl: float = SESSION_TTL) -> None:
        self.required = token is not None
        self._token = token
        self._key = (hmac.new(token.encode(), b"botkit-dashboard-session", hashlib.sha256)
                     .digest() if token else secrets.token_bytes(32))
        self.ttl = ttl

    def __repr__(self) -> str:
        return f"Sessions(required={self.required})"

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()

    def token_matches(self, given: str) -> bool:
        if self._token is None:
            return True
        return hmac.compare_digest(given.strip().encode(), self._token.encode())

    def issue(self) -> str:
        """A new session cookie value: ``<issued>.<nonce>.<signature>``."""
        body = f"{int(time.time())}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._sign(body)}"

    def session_of(self, request: web.Request) -> str | None:
        """The session's nonce (``"open"`` where no sign-in is needed), or None."""
        if not self.required:
            return "open"
        issued, _, rest = request.cookies.get(COOKIE, "").partition(".")
        nonce, _, signature = rest.partition(".")
        if not (issued.isdigit() and nonce and signature):
            return None
        if not hmac.compare_digest(signature, self._sign(f"{issued}.{nonce}")):
            return None
        if time.time() - int(issued) > self.ttl:
            return None
        return nonce

    def csrf_for(self, nonce: str) -> str:
        return self._sign(f"csrf.{nonce}")[:40]

    def csrf_ok(self, request: web.Request, nonce: str) -> bool:
        given = request.headers.get("X-CSRF-Token", "")
        return bool(given) and hmac.compare_digest(given, self.csrf_for(nonce))


SESSIONS: web.AppKey[Sessions] = web.AppKey("dashboard_sessions", Sessions)
NONCE: web.RequestKey[str] = web.RequestKey("dashboard_nonce", str)


def is_dashboard_path(path: str) -> bool:
    return path in ("/", "/dashboard") or path.startswith("/ui/")


def same_origin(request: web.Request) -> bool:
    """A browser's form post from this very site (Origin, else Referer, matches Host)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # not a browser (curl): nothing to forge
    return urlsplit(origin).netloc == request.host


def view_context(request: web.Request) -> dict[str, Any]:
    sessions = request.app[SESSIONS]
    nonce = request.get(NONCE)
    return {"csrf": sessions.csrf_for(nonce) if nonce else "",
            "signed_in": bool(nonce) and sessions.required, "path": request.path}


def _deny(request: web.Request, status: int, text: str) -> web.Response:
    response = web.Response(status=status, text=text)
    if status == 401:
        target = "/ui/login"
        if request.method == "GET" and not request.headers.get("HX-Request"):
            target += f"?next={quote(request.path_qs, safe='')}"
        response.headers["HX-Redirect"] = target
    return response


def dashboard_guard(sessions: Sessions) -> Any:
    """Middleware in front of the API's bearer-token guard: dashboard paths authenticate
    with the session cookie (and CSRF token) instead, and answer pages, not JSON."""

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not is_dashboard_path(request.path):
            return await handler(request)
        route = request.match_info.handler  # the dashboard's own handler, past the API guard
        if request.path.startswith(PUBLIC):
            public = await route(request)
            secure(public)
            return public
        nonce = sessions.session_of(request)
        if nonce is None:
            if request.method == "GET" and not request.headers.get("HX-Request"):
                raise web.HTTPSeeOther(f"/ui/login?next={quote(request.path_qs, safe='')}")
            return _deny(request, 401, "Sign in again: your session has ended.")
        if request.method not in SAFE_METHODS and not sessions.csrf_ok(request, nonce):
            return _deny(request, 403, "This page is out of date (CSRF check failed): reload "
                                       "it and try again.")
        request[NONCE] = nonce
        response = await route(request)
        if not response.prepared:  # an event stream has sent its headers already
            secure(response)
        return response
    return guard


def secure(response: web.StreamResponse) -> None:
    """Headers that keep a page from running anything but its own scripts."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
