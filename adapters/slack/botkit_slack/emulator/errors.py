"""The error a Web API method raises to answer ``{"ok": false, "error": ...}``."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Slack method error: HTTP ``status`` (200 unless told), ``{"ok": false, "error": code}``.

    ``extra`` fields (``detail``, ``errors``, ``response_metadata``, ``needed`` ...) are merged into
    the body; ``headers`` go on the HTTP response (``Retry-After`` for 429).
    """

    def __init__(
        self,
        code: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.code, **self.extra}


def missing(arg: str) -> ApiError:
    """Slack answers a missing required argument with ``invalid_arguments`` and a pointer."""
    message = f"[ERROR] missing required field: {arg}"
    return ApiError("invalid_arguments", response_metadata={"messages": [message]})
