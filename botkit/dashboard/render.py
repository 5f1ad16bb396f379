"""Rendering the dashboard's pages: one Jinja2 environment (autoescaped: every user- and
model-supplied string is shown as text) and the filters its templates use."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

__all__ = ["json_text", "page", "templates"]


def _ago(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    delta = max(0.0, time.time() - float(seconds))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if delta >= size:
            return f"{int(delta // size)} {unit} ago"
    return "just now" if delta < 5 else f"{int(delta)} s ago"


def _iso(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return dt.datetime.fromtimestamp(float(seconds), dt.UTC).isoformat(timespec="seconds")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def json_text(value: Any, indent: int | None = 2) -> str:
    """Readable JSON (non-ASCII kept), escaped where a lone surrogate cannot be sent."""
    text = json.dumps(value, indent=indent, ensure_ascii=False, default=str, sort_keys=True)
    try:
        text.encode()
    except UnicodeEncodeError:
        text = json.dumps(value, indent=indent, ensure_ascii=True, default=str,
                          sort_keys=True)
    return text


def _pretty(value: Any) -> str:
    return json_text(value, 2)


def _compact(value: Any) -> str:
    text = value if isinstance(value, str) else json_text(value, None)
    return text if len(text) <= 120 else text[:119] + "…"


def _link(url: Any) -> str:
    """An address from a platform or a model, kept only if it is http(s) (never
    ``javascript:``)."""
    text = str(url or "")
    return text if text.startswith(("https://", "http://")) else ""


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("botkit.dashboard", "templates"),
        autoescape=True,  # every template, whatever its name
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        enable_async=False,
    )
    env.filters.update(pid=lambda v: quote(str(v), safe=""), link=_link, ago=_ago, iso=_iso,
                       duration=_duration, pretty=_pretty, compact=_compact)
    return env


templates = _environment()


def page(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    """Render ``templates/<name>`` with the request's session values (CSRF token, whether
    sign-in is required) available to every template."""
    from botkit.dashboard.auth import view_context  # the session lives in auth

    context.setdefault("tid", quote(request.match_info.get("id", ""), safe=""))
    html = templates.get_template(name).render(**view_context(request), **context)
    # text that cannot be UTF-8 (a lone surrogate from a store) is shown replaced, never a 500
    html = html.encode("utf-8", errors="replace").decode("utf-8")
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response
