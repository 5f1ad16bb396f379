"""The web adapter's typed refusals: ``ThreadsError``s, so the threads API's error
middleware (``botkit.threads.http.base.error_middleware``) answers them with their
``status`` wherever the web routes are served."""

from __future__ import annotations

from botkit import ThreadsError

__all__ = ["Conflict", "Forbidden", "NotFound", "NotWaiting"]


class Forbidden(ThreadsError):
    """The caller may not answer this (HTTP 403)."""

    status = 403
    code = "forbidden"


class NotFound(ThreadsError, LookupError):
    """No such message, control or run (HTTP 404)."""

    status = 404
    code = "not_found"


class NotWaiting(ThreadsError):
    """Nothing waits for this answer any more, or the thread is not a web thread (409)."""


class Conflict(ThreadsError):
    """Already done: a duplicate message id, an answer someone gave first (409)."""
