"""The web adapter's typed refusals (mapped to HTTP statuses in ``botkit_web.http``)."""

from __future__ import annotations

from botkit.errors import BotkitError

__all__ = ["Conflict", "Forbidden", "NotFound", "NotWaiting"]


class Forbidden(BotkitError):
    """The caller may not answer this (HTTP 403)."""


class NotFound(BotkitError, LookupError):
    """No such message, control or run (HTTP 404)."""


class NotWaiting(BotkitError):
    """Nothing waits for this answer any more, or the thread is not a web thread (409)."""


class Conflict(BotkitError):
    """Already done: a duplicate message id, an answer someone gave first (409)."""
