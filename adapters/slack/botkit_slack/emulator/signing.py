"""Slack's v0 request signing, with the deliberate breakages used to test verifiers."""

from __future__ import annotations

import hashlib
import hmac
import time

from .config import SigningMode


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    body: bytes,
    mode: SigningMode = "valid",
    *,
    stale_by: float = 600.0,
    now: float | None = None,
) -> dict[str, str]:
    """``X-Slack-Request-Timestamp`` and ``X-Slack-Signature`` for ``body``.

    The timestamp is wall-clock time (the receiver compares it with its own clock), even when the
    emulator runs on a fake clock. ``bad_signature`` signs with a wrong secret, ``stale_timestamp``
    signs correctly but ``stale_by`` seconds in the past, ``unsigned`` sends no headers.
    """
    if mode == "unsigned":
        return {}
    moment = time.time() if now is None else now
    if mode == "stale_timestamp":
        moment -= stale_by
    timestamp = str(int(moment))
    key = secret if mode != "bad_signature" else secret + "-forged"
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(key, timestamp, body),
    }


def verify(secret: str, timestamp: str, body: bytes, sig: str, *, now: float | None = None) -> bool:
    """The check a Slack app performs (5-minute window, constant-time compare)."""
    try:
        moment = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - moment) > 300:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), sig)
