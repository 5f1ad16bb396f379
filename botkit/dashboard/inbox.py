"""Waiting on a person: every pending ``await_choice`` and agent interrupt, across threads
and platforms, answered from the page.

Both are read from the store where the bot records them: a choice at ``choice:<id>`` (its
card, who may answer, the message on the platform), an interrupt at
``interrupt:<thread id>``. A choice is answered exactly as a click on its card would be
(an ``InteractionEvent`` dispatched to the bot, so its card on the platform closes and the
waiting tool continues, in whichever process waits); an interrupt is resumed with
``thread.resume``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from botkit import keys
from botkit.dashboard.auth import session
from botkit.dashboard.render import page
from botkit.dashboard.wiring import THREADS, running_bot
from botkit.errors import InteractionExpired, UserError
from botkit.events import InteractionEvent
from botkit.threads.records import ThreadNotFound
from botkit.threads.service import Threads
from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.codec import decode_message
from botkit.ui.nodes import Actions, Message
from botkit.ui.text import Choice, numbered_choices, render_plain

__all__ = ["OPERATOR", "PEOPLE", "Pending", "People", "pending_items"]

log = logging.getLogger("botkit")
CHOICE_PREFIX, INTERRUPT_PREFIX = keys.choice(""), keys.pending_interrupt("")
OPERATOR = PlatformUser(id="dashboard", name="dashboard operator")
"""Who answers a choice that anyone may answer, from the page."""


@dataclass
class Pending:
    kind: str  # "choice" or "interrupt"
    key: str  # the choice id, or the interrupted thread's id
    thread_id: str
    title: str
    platform: str
    text: str
    options: list[Choice]
    allowed: list[str] | None = None
    allowed_names: tuple[str, ...] = ()
    deadline: float | None = None
    wants_object: bool = False
    people: list[PlatformUser] = field(default_factory=list)
    """Who may answer, with their names where the platform can tell."""


def _card_text(card: Message) -> str:
    return render_plain(Message(*[b for b in card.blocks if not isinstance(b, Actions)]))


def _question(payload: Any) -> str:
    if isinstance(payload, dict):
        for name in ("question", "message", "prompt"):
            if isinstance(payload.get(name), str):
                return str(payload[name])
    return json.dumps(payload, ensure_ascii=False, default=str)


async def pending_items(threads: Threads) -> list[Pending]:
    store = threads.store
    items: list[Pending] = []
    titles: dict[str, str] = {}

    async def title_of(thread_id: str) -> str:
        if thread_id not in titles:
            record = await store.get(keys.thread_record(thread_id))
            titles[thread_id] = str((record or {}).get("title") or "")
        return titles[thread_id]

    names = await store.scan(CHOICE_PREFIX)
    for key, record in zip(names, await store.get_many(names), strict=True):
        if not isinstance(record, dict):
            continue
        card = decode_message(record.get("card")) or Message()
        thread_id = str((record.get("conversation") or {}).get("id", ""))
        items.append(Pending(
            kind="choice", key=key[len(CHOICE_PREFIX):], thread_id=thread_id,
            title=await title_of(thread_id), platform=str(record.get("platform", "")),
            text=_card_text(card), options=numbered_choices(card),
            allowed=record.get("allowed"), allowed_names=tuple(record.get("allowed_names")
                                                               or ()),
            deadline=record.get("deadline")))
    names = await store.scan(INTERRUPT_PREFIX)
    for key, record in zip(names, await store.get_many(names), strict=True):
        if not isinstance(record, dict):
            continue
        thread_id = key[len(INTERRUPT_PREFIX):]
        thread = await store.get(keys.thread_record(thread_id)) or {}
        wants = any("approved" in ((i or {}).get("responseSchema") or {}).get("properties", {})
                    for i in record.get("interrupts") or () if isinstance(i, dict))
        items.append(Pending(
            kind="interrupt", key=thread_id, thread_id=thread_id,
            title=str(thread.get("title") or ""), platform=str(thread.get("platform", "")),
            text=_question(record.get("payload")), options=[], wants_object=wants))
    return items


async def _items(request: web.Request) -> list[Pending]:
    threads = request.app[THREADS]
    items = await pending_items(threads)
    bound = session(request).user_id
    if bound is not None:  # a person's token: their threads, answered as themselves
        mine = []
        for item in items:
            if await _visible(threads, item.thread_id, bound):
                if item.allowed is not None:
                    item.allowed = [u for u in item.allowed if u == bound]
                mine.append(item)
        items = mine
    bot = running_bot(request.app)
    for item in items:
        for user_id in item.allowed or ():
            item.people.append(await _person(request.app, bot.adapters if bot else [],
                                             item.platform, user_id))
    return items


async def _visible(threads: Threads, thread_id: str, user_id: str | None) -> bool:
    """Whether the thread exists and ``user_id`` (None: the operator) may see it."""
    try:
        record = await threads.get(thread_id)
    except ThreadNotFound:
        return False
    return record is not None and record.visible_to(user_id)


async def inbox_page(request: web.Request) -> web.Response:
    return page(request, "inbox.html", items=await _items(request))


async def inbox_items(request: web.Request) -> web.Response:
    return page(request, "_inbox_items.html", items=await _items(request))


def _note(request: web.Request, text: str, status: int) -> web.Response:
    return page(request, "_note.html", status=status, text=text, ok=status < 300)


async def answer_choice(request: web.Request) -> web.Response:
    threads = request.app[THREADS]
    choice_id = request.match_info["choice_id"]
    form = await request.post()
    record = await threads.store.get(CHOICE_PREFIX + choice_id)
    if not isinstance(record, dict):
        return _note(request, "This question was already answered or has expired.", 410)
    current = session(request)
    conv = record.get("conversation") or {}
    if current.user_id is not None and not await _visible(threads, str(conv.get("id", "")),
                                                          current.user_id):
        return _note(request, "This question was already answered or has expired.", 410)
    bot = running_bot(request.app)
    if bot is None:
        return _note(request, "Only the running bot can take answers.", 409)
    card = decode_message(record.get("card")) or Message()
    number = str(form.get("number", ""))
    picked = next((c for c in numbered_choices(card) if str(c.number) == number), None)
    if picked is None:
        return _note(request, "Pick one of the answers shown.", 422)
    allowed = record.get("allowed")
    bound = current.user_id
    user = OPERATOR if bound is None else PlatformUser(id=bound)
    if allowed is not None:
        who = str(form.get("as_user", "")) if bound is None else bound
        if who not in allowed:
            names = ", ".join(record.get("allowed_names") or ()) or "someone else"
            return _note(request, f"Only {names} can answer this one.", 403)
        if bound is None and not current.allows("admin"):
            return _note(request, "Answering for someone else needs a token with the admin "
                                  "scope.", 403)
        user = await _person(request.app, bot.adapters, str(record.get("platform", "")),
                             who)
    log.info("dashboard: choice %s answered %r as %s by %s", choice_id, picked.label,
             user.id, "the operator" if bound is None else f"user-bound session of {bound}")
    ref = record.get("ref")
    thread_record = await threads.store.get(keys.thread_record(str(conv.get('id')))) or {}
    event = InteractionEvent(
        platform=str(record.get("platform", "")), event_id=f"dashboard-{uuid.uuid4().hex}",
        conversation=Conversation(id=str(conv.get("id")), channel=str(conv.get("channel")),
                                  thread=conv.get("thread"), is_direct=bool(
                                      (thread_record.get("conversation") or {})
                                      .get("is_direct"))),
        user=user, action_id=picked.action_id, value=picked.value,
        message=MessageRef(id=str(ref["id"]), channel=str(ref.get("channel") or ""))
        if isinstance(ref, dict) else None)
    bot.spawn(bot.dispatch(event))
    return _note(request, f"Answered “{picked.label}” as {user.display_name}.", 200)


class People:
    """Names of the people who may answer, looked up once per ``ttl`` seconds (the inbox
    refreshes often; the platform is asked at most once per person in that time)."""

    def __init__(self, ttl: float = 300.0) -> None:
        self.ttl = ttl
        self._known: dict[tuple[str, str], tuple[float, PlatformUser]] = {}

    def get(self, platform: str, user_id: str) -> PlatformUser | None:
        found = self._known.get((platform, user_id))
        if found is None or time.monotonic() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, platform: str, person: PlatformUser) -> None:
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[(platform, person.id)] = (time.monotonic(), person)


PEOPLE: web.AppKey[People] = web.AppKey("dashboard_people", People)


async def _person(app: web.Application, adapters: list[Any], platform: str, user_id: str
                  ) -> PlatformUser:
    cache = app.get(PEOPLE)
    if cache is not None and (known := cache.get(platform, user_id)) is not None:
        return known
    adapter = next((a for a in adapters if a.platform == platform), None)
    person = PlatformUser(id=user_id)
    if adapter is not None and adapter.capabilities.lookup_user:
        try:
            found = await adapter.lookup_user(user_id)
        except Exception:
            log.warning("could not look up %s on %s", user_id, platform, exc_info=True)
            return person  # not remembered: asked again next time
        if isinstance(found, PlatformUser) and found.id == user_id:
            person = found
    if cache is not None:
        cache.put(platform, person)
    return person


async def answer_interrupt(request: web.Request) -> web.Response:
    threads = request.app[THREADS]
    thread_id = request.match_info["id"]
    form = await request.post()
    bot = running_bot(request.app)
    if bot is None:
        return _note(request, "Only the running bot can resume a run.", 409)
    if not await _visible(threads, thread_id, session(request).user_id):
        raise web.HTTPNotFound(text="No such thread (it may have been deleted).")
    record = await threads.store.get(keys.thread_record(thread_id))
    if not isinstance(record, dict) or await threads.store.get(INTERRUPT_PREFIX + thread_id) \
            is None:
        return _note(request, "This run is no longer waiting.", 410)
    raw = str(form.get("answer", ""))
    try:
        value = json.loads(raw)
    except ValueError as exc:
        return _note(request, f"The answer is not valid JSON: {exc}.", 422)
    conv = record.get("conversation") or {}
    try:
        thread = bot.thread(str(record.get("platform")), Conversation(
            id=str(conv.get("id", thread_id)), channel=str(conv.get("channel", "")),
            thread=conv.get("thread"), is_direct=bool(conv.get("is_direct"))))
    except UserError as exc:
        return _note(request, str(exc), 409)

    async def resume() -> None:
        try:
            await thread.resume(value)
        except InteractionExpired:
            log.info("the interrupt in %s was answered elsewhere first", thread_id)
        except UserError as exc:
            log.warning("could not resume %s from the dashboard: %s", thread_id, exc)
    log.info("dashboard: interrupt of %s resumed by %s", thread_id,
             session(request).user_id or "the operator")
    bot.spawn(resume())
    return _note(request, "Resumed the run.", 200)
