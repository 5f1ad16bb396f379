"""``thread.offer_choice``: a question whose answer goes to a function the app named
(``on_answer``). Nothing waits for it in memory: the question is its store record, claimed
by the first allowed click in whichever process gets it (``answering``); with a timeout,
this process also keeps its deadline and closes the card unanswered then."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable, Iterable

from botkit import keys
from botkit.choices.deadlines import Deadlines
from botkit.choices.records import ChoiceRecord
from botkit.choices.relay import ChoiceRelay
from botkit.choices.surface import ChoiceSurface, close_card
from botkit.errors import UserError
from botkit.types import PlatformUser
from botkit.ui.binding import mark_choice, to_message
from botkit.ui.nodes import Renderable

__all__ = ["Offers", "SurfaceFor"]

log = logging.getLogger("botkit")
SurfaceFor = Callable[[ChoiceRecord], "ChoiceSurface | None"]
"""The conversation a record was asked in (None: not one of this bot's platforms)."""


class Offers:
    """This process's offered choices: posting them, and their deadlines."""

    def __init__(self, relay: ChoiceRelay, deadlines: Deadlines,
                 surface_for: SurfaceFor | None) -> None:
        self._relay = relay
        self._deadlines = deadlines
        self._surface_for = surface_for
        self._offered: set[str] = set()
        """Offered choices with a deadline this process keeps (nothing else waits for
        them here)."""
        self._expiring: set[asyncio.Task[None]] = set()

    async def offer(self, surface: ChoiceSurface, ui: Renderable, *, on_answer: str,
                    allowed_users: Iterable[PlatformUser | str] | None,
                    timeout: float | None) -> str:
        """Post a question whose answer goes to the function ``on_answer`` names: nothing
        waits for it in memory, only its record in the store (and, with ``timeout``, its
        deadline). Returns the choice id."""
        relay = self._relay
        choice_id = uuid.uuid4().hex[:16]
        message, labels = mark_choice(to_message(ui), choice_id)
        if not labels:
            raise UserError("offer_choice needs a message with at least one Button or Select")
        allowed = None if allowed_users is None else list(allowed_users)
        record = ChoiceRecord(
            platform=surface.platform, conversation=surface.conversation, card=message,
            labels=labels, allowed=None if allowed is None else tuple(sorted(
                {u.id if isinstance(u, PlatformUser) else u for u in allowed})),
            allowed_names=() if allowed is None else tuple(
                u.display_name if isinstance(u, PlatformUser) else u for u in allowed),
            owner=relay.replica, timeout=timeout,
            deadline=None if timeout is None else time.time() + timeout, on_answer=on_answer)
        await relay.store.set(keys.choice(choice_id), record.to_json(),
                              ttl=relay.ttl(timeout))  # no record, no answer
        try:
            ref = await surface.post(message)
        except BaseException:
            await relay.forget(choice_id)
            raise
        await relay.note_ref(choice_id, record, dataclasses.replace(record, ref=ref))
        if timeout is not None:
            self._offered.add(choice_id)
            self._deadlines.add(choice_id, timeout)
        return choice_id

    def waiting(self, choice_id: str) -> bool:
        """Whether ``choice_id`` is an offer whose deadline this process keeps."""
        return choice_id in self._offered

    def answered(self, choice_id: str) -> None:
        """A click claimed ``choice_id``: its deadline here is void."""
        if choice_id in self._offered:
            self._offered.discard(choice_id)
            self._deadlines.discard(choice_id)

    def expire(self, choice_id: str) -> None:
        """The offer's deadline passed: claim its record and close its card."""
        self._offered.discard(choice_id)
        task = asyncio.get_running_loop().create_task(self._expire(choice_id))
        self._expiring.add(task)
        task.add_done_callback(self._expiring.discard)

    async def _expire(self, choice_id: str) -> None:
        try:
            record = await self._relay.take(choice_id)
            surface = None if record is None or self._surface_for is None \
                else self._surface_for(record)
            if record is not None and surface is not None:
                await close_card(surface, record.ref, record.card, "⏱ No answer in time.")
        except Exception:
            log.exception("could not expire the offered choice %s", choice_id)

    async def stop(self) -> None:
        for task in list(self._expiring):
            task.cancel()
        await asyncio.gather(*self._expiring, return_exceptions=True)
