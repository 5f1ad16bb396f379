"""Who may call the threads API: bearer tokens with scopes (``read`` < ``write`` <
``admin``), optionally bound to one user (that token sees and acts on that user's threads
only), and short-lived signed stream tokens for a browser ``EventSource`` (which cannot send
headers)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Literal, get_args

from botkit.errors import UserError

__all__ = ["SCOPES", "APIToken", "Principal", "Scope", "sign_stream_token", "signing_key",
           "verify_stream_token"]

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[str, ...] = get_args(Scope)


@dataclass(frozen=True, kw_only=True)
class APIToken:
    """A bearer token: ``APIToken(token="…", scopes={"read"}, user_id="U1")``. ``write``
    includes ``read``; ``admin`` includes both (and deleting threads)."""

    token: str = field(repr=False)
    scopes: frozenset[str] = frozenset({"read", "write"})
    user_id: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.token, str) or not self.token.strip():
            raise UserError("an APIToken needs a non-empty token string")
        scopes = frozenset(self.scopes)
        if not scopes or scopes - set(SCOPES):
            raise UserError(f"APIToken scopes must be some of {', '.join(SCOPES)}, not "
                            f"{sorted(scopes)!r}")
        object.__setattr__(self, "scopes", scopes)
        if self.user_id is not None and (not isinstance(self.user_id, str) or not self.user_id):
            raise UserError("APIToken user_id must be a non-empty string (or None)")


@dataclass(frozen=True, kw_only=True)
class Principal:
    """The caller of one request."""

    scopes: frozenset[str]
    user_id: str | None = None

    def allows(self, scope: str) -> bool:
        if "admin" in self.scopes:
            return True
        return scope in self.scopes or (scope == "read" and "write" in self.scopes)

    def effective(self) -> list[str]:
        return [s for s in SCOPES if self.allows(s)]


EVERYONE = Principal(scopes=frozenset(SCOPES))


_PROCESS_KEY = secrets.token_bytes(32)


def signing_key(secret: str | None) -> bytes:
    """The key stream tokens are signed with: from ``secret`` (the same on every replica,
    so a token from one works on all, and across restarts), else random for this process
    only (then tokens stop working when it restarts, and on other replicas)."""
    if secret is None:
        return _PROCESS_KEY
    return hashlib.sha256(b"botkit-stream-token\n" + secret.encode()).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_stream_token(key: bytes, principal: Principal, ttl: float,
                      now: float | None = None) -> tuple[str, float]:
    """A token for ``?access_token=`` on stream routes: the caller's scopes (read at most)
    and user, valid ``ttl`` seconds. Returns it and its expiry (Unix seconds)."""
    expires = (time.time() if now is None else now) + ttl
    body = _b64(json.dumps({"u": principal.user_id, "exp": expires},
                           separators=(",", ":")).encode())
    mac = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{mac}", expires


def verify_stream_token(key: bytes, token: str, now: float | None = None) -> Principal | None:
    body, _, mac = token.partition(".")
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not mac or not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        expires, user = float(claims["exp"]), claims["u"]
    except (ValueError, KeyError, TypeError):
        return None
    if expires < (time.time() if now is None else now):
        return None
    return Principal(scopes=frozenset({"read"}), user_id=user if isinstance(user, str) else None)
