"""Serving the dashboard from the threads API's aiohttp application: ``/`` is the threads
list, everything else lives under ``/ui/`` (pages, fragments, the live feed, static files).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from aiohttp import web

from botkit.dashboard import actions, chat, inbox, listing, live, thread_view
from botkit.dashboard.auth import (
    COOKIE,
    SESSIONS,
    Sessions,
    dashboard_guard,
    same_origin,
    sign_in_tokens,
)
from botkit.dashboard.render import page
from botkit.dashboard.wiring import BOT, THREADS, BotRef, RunningBot
from botkit.threads.service import Threads

__all__ = ["mount_dashboard"]

STATIC = Path(__file__).parent / "static"


def safe_next(target: str) -> str:
    """Only paths of this site (never ``//elsewhere``, ``/\\elsewhere``, ``https://…``, nor
    anything a browser would turn into one by dropping tabs and newlines, even
    percent-encoded): else ``/``."""
    for text in (target, unquote(target)):
        if not text.startswith("/") or any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F
                                           for c in text):
            return "/"
        parts = urlsplit(text)
        if parts.scheme or parts.netloc or parts.path.startswith("//"):
            return "/"
    normal = urlunsplit(("", "", *urlsplit(target)[2:]))
    return target if normal == target else "/"


async def login_form(request: web.Request) -> web.Response:
    sessions = request.app[SESSIONS]
    if not sessions.required or await sessions.current(request):
        raise web.HTTPSeeOther(safe_next(request.query.get("next", "/")))
    return page(request, "login.html", error=None, next=safe_next(request.query.get("next",
                                                                                      "/")))


async def login(request: web.Request) -> web.Response:
    sessions = request.app[SESSIONS]
    form = await request.post()
    target = safe_next(str(form.get("next", "/")))
    if not same_origin(request):
        return page(request, "login.html", status=403, next=target,
                    error="Sign in from this site's own page.")
    token = sessions.match(str(form.get("token", "")))
    if token is None:
        return page(request, "login.html", status=401, next=target,
                    error="That token is not right. Use the threads API token the bot was "
                          "started with.")
    response = web.HTTPSeeOther(target)
    tls = request.secure if sessions.secure_cookie is None else sessions.secure_cookie
    response.set_cookie(COOKIE, sessions.issue(token), max_age=int(sessions.ttl),
                        httponly=True, samesite="Strict", path="/", secure=tls)
    raise response


async def logout(request: web.Request) -> web.Response:
    await request.app[SESSIONS].revoke(request)
    response = web.Response(status=204)
    response.del_cookie(COOKIE, path="/")
    response.headers["HX-Redirect"] = "/ui/login"
    return response


async def to_list(request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/")


def mount_dashboard(app: web.Application, threads: Threads, *, token: str | None,
                    tokens: Sequence[Any] = (), bot: RunningBot | None = None,
                    secure_cookie: bool | None = None,
                    keepalive: float = live.KEEPALIVE) -> None:
    """Add the dashboard's routes to ``app`` (before it starts). People sign in with the
    API's ``token`` or one of its scoped / user-bound ``tokens`` (``ThreadsAPIConfig``'s);
    with none, the page opens without sign-in, and only on a loopback address.

    ``bot`` is the running bot (for platform messages, answers, the web chat);
    ``secure_cookie`` True marks the session cookie Secure even over plain HTTP (behind a
    TLS proxy), None follows the request; ``keepalive`` is how often idle event streams
    send a comment."""
    sessions = Sessions(sign_in_tokens(token, tokens), store=threads.store,
                        secure_cookie=secure_cookie)
    app[SESSIONS] = sessions
    app[THREADS] = threads
    app[BOT] = BotRef(bot)
    app[live.LIVE] = live.LiveStreams(keepalive)
    app[inbox.PEOPLE] = inbox.People()
    app.middlewares.insert(0, dashboard_guard(sessions))
    app.on_shutdown.append(live.end_streams)
    r = app.router
    r.add_get("/", listing.threads_page)
    r.add_get("/dashboard", to_list)
    r.add_get("/ui/login", login_form)
    r.add_post("/ui/login", login)
    r.add_post("/ui/logout", logout)
    r.add_static("/ui/static/", STATIC, append_version=True)
    r.add_get("/ui/events", live.events)
    r.add_get("/ui/threads", listing.threads_table)
    r.add_get("/ui/threads/{id}", thread_view.thread_page)
    r.add_get("/ui/threads/{id}/header", thread_view.header_part)
    r.add_get("/ui/threads/{id}/conversation", thread_view.conversation_part)
    r.add_get("/ui/threads/{id}/runs", thread_view.runs_part)
    r.add_get("/ui/threads/{id}/state", thread_view.state_part)
    r.add_post("/ui/threads/{id}/rename", actions.rename)
    r.add_post("/ui/threads/{id}/archive", actions.archive)
    r.add_post("/ui/threads/{id}/unarchive", actions.unarchive)
    r.add_post("/ui/threads/{id}/delete", actions.delete)
    r.add_post("/ui/threads/{id}/copy", actions.copy)
    r.add_post("/ui/threads/{id}/state", actions.save_state)
    r.add_post("/ui/threads/{id}/state/clear", actions.clear_state)
    r.add_post("/ui/threads/{id}/resume", inbox.answer_interrupt)
    r.add_post("/ui/threads/{id}/cancel", thread_view.cancel_runs)
    r.add_get("/ui/inbox", inbox.inbox_page)
    r.add_get("/ui/inbox/items", inbox.inbox_items)
    r.add_post("/ui/inbox/choices/{choice_id}", inbox.answer_choice)
    r.add_get("/ui/chat", chat.chat_page)
    r.add_post("/ui/chat", chat.new_chat)
    r.add_get("/ui/chat/sidebar", chat.chat_sidebar)
    r.add_get("/ui/chat/{id}", chat.chat_page)
    r.add_get("/ui/chat/{id}/log", chat.chat_log)
    r.add_post("/ui/chat/{id}/messages", chat.send_message)
    r.add_post("/ui/chat/{id}/actions", chat.click)
    r.add_get("/ui/chat/{id}/runs/{run_id}/events", chat.run_events)
    r.add_post("/ui/chat/{id}/runs/{run_id}/cancel", chat.cancel)
