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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from aiohttp import web

from botkit.errors import UserError
from botkit.store.base import StateStore
from botkit.threads.records import ThreadNotFound, ThreadsError

__all__ = ["COOKIE", "SESSION_TTL", "Session", "Sessions", "SignInToken", "dashboard_guard",
           "is_dashboard_path", "loopback_host", "secure", "session", "sign_in_tokens",
           "view_context"]

COOKIE = "botkit_session"
SESSION_TTL = 12 * 3600
PUBLIC = ("/ui/login", "/ui/static/")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class SignInToken:
    """A token that may sign in: ``user_id`` binds it to one person (who then sees their
    own threads and answers as themselves); ``scopes`` without ``write`` / ``admin`` make a
    read-only session."""

    token: str = field(repr=False)
    user_id: str | None = None
    scopes: frozenset[str] = frozenset({"admin"})


@dataclass(frozen=True)
class Session:
    """Who is signed in (``user_id`` None: the operator) and the page's CSRF token."""

    nonce: str
    user_id: str | None
    scopes: frozenset[str]
    csrf: str

    def allows(self, scope: str) -> bool:
        """As the threads API's tokens: ``admin`` implies ``write``, ``write`` implies
        ``read``."""
        return scope in self.scopes or "admin" in self.scopes or (
            scope == "read" and "write" in self.scopes)

    @property
    def may_change(self) -> bool:
        return self.allows("write")


def _key(token: str) -> bytes:
    return hmac.new(token.encode(), b"botkit-dashboard-session", hashlib.sha256).digest()


def _fingerprint(token: str) -> str:
    """Which token signed a cookie in: an HMAC keyed by the token itself, so the cookie
    tells nothing about the token to whoever does not hold it."""
    return hmac.new(token.encode(), b"botkit-dashboard-fingerprint",
                    hashlib.sha256).hexdigest()[:32]


def revoked_key(nonce: str) -> str:
    return f"dashboard:revoked:{nonce}"


LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def loopback_host(request: web.Request) -> bool:
    """Whether the request names this machine in its Host (a DNS-rebound name does not)."""
    host = urlsplit(f"//{request.host}").hostname or ""
    return host in LOOPBACK or host.startswith("127.")


class Sessions:
    """Issues and checks session cookies (``<issued>.<nonce>.<token fingerprint>.<sig>``,
    signed with a key derived from the token that signed in) and CSRF tokens."""

    def __init__(self, tokens: Sequence[SignInToken] = (), *, ttl: float = SESSION_TTL,
                 store: StateStore | None = None, secure_cookie: bool | None = None) -> None:
        self.required = bool(tokens)
        self.store = store  # where signed-out sessions are remembered until they expire
        self.secure_cookie = secure_cookie  # None: Secure when the request came over TLS
        self._tokens = {_fingerprint(t.token): t for t in tokens}
        self._open_key = secrets.token_bytes(32)  # no tokens: CSRF keyed per process
        self.ttl = ttl

    def __repr__(self) -> str:
        return f"Sessions(required={self.required}, tokens={len(self._tokens)})"

    @staticmethod
    def _sign(key: bytes, text: str) -> str:
        return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()

    def match(self, given: str) -> SignInToken | None:
        """The token typed into the sign-in form, if it is one of ours."""
        given = given.strip()
        found = None
        for token in self._tokens.values():  # compare with all: no timing hint of which
            if hmac.compare_digest(given.encode(), token.token.encode()):
                found = token
        return found

    def issue(self, token: SignInToken) -> str:
        body = f"{int(time.time())}.{secrets.token_urlsafe(12)}.{_fingerprint(token.token)}"
        return f"{body}.{self._sign(_key(token.token), body)}"

    async def revoke(self, request: web.Request) -> None:
        """Sign this request's session out on the server too (its cookie stops working in
        every process sharing the store, not only in this browser)."""
        current = self.session_of(request)
        if current is not None and self.required and self.store is not None:
            await self.store.set(revoked_key(current.nonce), True, ttl=self.ttl)

    async def current(self, request: web.Request) -> Session | None:
        """``session_of``, unless that session was signed out."""
        found = self.session_of(request)
        if found is not None and self.required and self.store is not None and \
                await self.store.get(revoked_key(found.nonce)) is not None:
            return None
        return found

    def session_of(self, request: web.Request) -> Session | None:
        """The request's session (an open one where no sign-in is needed), or None."""
        if not self.required:
            return Session(nonce="open", user_id=None, scopes=frozenset({"admin"}),
                           csrf=self._sign(self._open_key, "csrf.open")[:40])
        parts = request.cookies.get(COOKIE, "").split(".")
        if len(parts) != 4 or not parts[0].isdigit():
            return None
        issued, nonce, which, signature = parts
        token = self._tokens.get(which)
        if token is None:
            return None
        key = _key(token.token)
        if not hmac.compare_digest(signature, self._sign(key, f"{issued}.{nonce}.{which}")):
            return None
        if time.time() - int(issued) > self.ttl:
            return None
        return Session(nonce=nonce, user_id=token.user_id, scopes=token.scopes,
                       csrf=self._sign(key, f"csrf.{nonce}")[:40])

    @staticmethod
    def csrf_ok(request: web.Request, session: Session) -> bool:
        given = request.headers.get("X-CSRF-Token", "")
        return bool(given) and hmac.compare_digest(given, session.csrf)


def sign_in_tokens(token: str | None, tokens: Sequence[Any] = ()) -> list[SignInToken]:
    """The API's admin ``token`` and its scoped / user-bound ``tokens`` (objects with
    ``token``, ``user_id`` and ``scopes``, as ``ThreadsAPIConfig.tokens``)."""
    found = [SignInToken(token=token)] if token else []
    for t in tokens:
        found.append(SignInToken(token=str(t.token), user_id=getattr(t, "user_id", None),
                                 scopes=frozenset(getattr(t, "scopes", None) or {"admin"})))
    return found


SESSIONS: web.AppKey[Sessions] = web.AppKey("dashboard_sessions", Sessions)
SESSION: web.RequestKey[Session] = web.RequestKey("dashboard_session", Session)


def session(request: web.Request) -> Session:
    """The signed-in session of a dashboard request (set by the guard)."""
    return request[SESSION]


def is_dashboard_path(path: str) -> bool:
    return path in ("/", "/dashboard") or path.startswith("/ui/")


def same_origin(request: web.Request) -> bool:
    """A browser's form post from this very site (Origin, else Referer, matches Host)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # not a browser (curl): nothing to forge
    return urlsplit(origin).netloc == request.host


def view_context(request: web.Request) -> dict[str, Any]:
    current = request.get(SESSION)
    return {"csrf": current.csrf if current else "", "path": request.path,
            "signed_in": current is not None and request.app[SESSIONS].required,
            "who": current.user_id if current else None,
            "read_only": current is not None and not current.may_change,
            "admin": current is not None and current.allows("admin")}


def _deny(request: web.Request, status: int, text: str) -> web.Response:
    response = web.Response(status=status, text=text)
    response.headers.update({"HX-Retarget": "#problem", "HX-Reswap": "innerHTML"})
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
        if not sessions.required and not loopback_host(request):
            return web.Response(status=421, text="This dashboard has no sign-in, so it only "
                                "answers to a loopback address (127.0.0.1 or localhost).")
        if request.path.startswith(PUBLIC):
            public = await _answer(request, route)
            secure(public)
            return public
        current = await sessions.current(request)
        if current is None:
            if request.method == "GET" and not request.headers.get("HX-Request"):
                raise web.HTTPSeeOther(f"/ui/login?next={quote(request.path_qs, safe='')}")
            return _deny(request, 401, "Sign in again: your session has ended.")
        if request.method not in SAFE_METHODS:
            if not sessions.csrf_ok(request, current):
                return _deny(request, 403, "This page is out of date (CSRF check failed): "
                                           "reload it and try again.")
            if not current.may_change:
                return _deny(request, 403, "This token can only read: sign in with one "
                                           "that may write.")
        request[SESSION] = current
        response = await _answer(request, route)
        if not response.prepared:  # an event stream has sent its headers already
            secure(response)
        return response
    return guard


async def _answer(request: web.Request, route: Handler) -> web.StreamResponse:
    """The handler's answer, its refusals mapped to statuses as the API maps them (the
    dashboard's routes run outside the API's error middleware): never a 500 for bad input."""
    try:
        return await route(request)
    except ThreadNotFound:
        return _deny(request, 404, "No such thread (it may have been deleted).")
    except ThreadsError as exc:  # busy, conflict, precondition
        return _deny(request, exc.status, str(exc))
    except UserError as exc:
        return _deny(request, 422, str(exc))
    except RecursionError:
        return _deny(request, 422, "That is nested too deeply.")


def secure(response: web.StreamResponse) -> None:
    """Headers that keep a page from running anything but its own scripts."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
