"""What a person can do to a thread from the page: rename, archive, unarchive, delete,
copy, and edit or clear its state. Bad input is answered inline (422) and changes nothing."""

from __future__ import annotations

import json
from urllib.parse import quote

from aiohttp import web

from botkit.dashboard.auth import session
from botkit.dashboard.render import page
from botkit.dashboard.thread_view import load_thread, state_context
from botkit.dashboard.wiring import THREADS
from botkit.errors import UserError

__all__ = ["MAX_TITLE", "archive", "clear_state", "copy", "delete", "rename", "save_state",
           "unarchive"]

MAX_TITLE = 200
MAX_STATE_BYTES = 1_000_000


def thread_url(thread_id: str) -> str:
    return f"/ui/threads/{quote(thread_id, safe='')}"


def _go(url: str) -> web.Response:
    """Send htmx (and so the browser) to ``url``."""
    response = web.Response(status=204)
    response.headers["HX-Redirect"] = url
    return response


async def rename(request: web.Request) -> web.Response:
    record = await load_thread(request)
    title = " ".join(str((await request.post()).get("title", "")).split())
    error = None
    if not title:
        error = "A title cannot be empty."
    elif len(title) > MAX_TITLE:
        error = f"A title has at most {MAX_TITLE} characters (this one has {len(title)})."
    if error is None:
        record = await request.app[THREADS].rename(record.id, title)
    return page(request, "_thread_header.html", status=422 if error else 200, thread=record,
                error=error)


async def archive(request: web.Request) -> web.Response:
    record = await request.app[THREADS].archive((await load_thread(request)).id)
    return page(request, "_thread_header.html", thread=record, error=None)


async def unarchive(request: web.Request) -> web.Response:
    record = await request.app[THREADS].unarchive((await load_thread(request)).id)
    return page(request, "_thread_header.html", thread=record, error=None)


async def delete(request: web.Request) -> web.Response:
    """Deleting needs the ``admin`` scope, as ``DELETE /threads/{id}`` does."""
    if not session(request).allows("admin"):
        return page(request, "_note.html", status=403, ok=False,
                    text="Deleting a thread needs a token with the admin scope.")
    await request.app[THREADS].delete((await load_thread(request)).id)
    return _go("/")


async def copy(request: web.Request) -> web.Response:
    record = await load_thread(request)
    copied = await request.app[THREADS].copy(record.id, title=f"Copy of {record.title}"[:MAX_TITLE]
                                             if record.title else None)
    return _go(thread_url(copied.id))


async def save_state(request: web.Request) -> web.Response:
    record = await load_thread(request)
    draft = str((await request.post()).get("state", ""))
    error, status = None, 422
    if len(draft.encode()) > MAX_STATE_BYTES:
        error = f"The state is larger than {MAX_STATE_BYTES // 1000} kB."
    else:
        try:
            value = json.loads(draft)
            json.dumps(value, ensure_ascii=False).encode()  # a lone surrogate (\ud800)
        except RecursionError:
            error = "Not valid here: the JSON is nested too deeply."
        except UnicodeEncodeError:
            error = "Not valid here: the text holds a lone surrogate (\\ud800 to \\udfff)."
        except ValueError as exc:
            error = f"Not valid JSON: {exc}."
        else:
            try:
                await request.app[THREADS].set_state(record.id, value)
            except UserError as exc:  # bad values, or a run is changing it (busy)
                error = str(exc)
                status = getattr(exc, "status", 422)
    if error is not None:
        return page(request, "_state.html", status=status,
                    **await state_context(request, draft=draft, error=error))
    return page(request, "_state.html", **await state_context(request, saved=True))


async def clear_state(request: web.Request) -> web.Response:
    record = await load_thread(request)
    try:
        await request.app[THREADS].clear_state(record.id)
    except UserError as exc:  # a run is changing it (busy)
        return page(request, "_state.html", status=getattr(exc, "status", 422),
                    **await state_context(request, error=str(exc)))
    return page(request, "_state.html", **await state_context(request, saved=True))
