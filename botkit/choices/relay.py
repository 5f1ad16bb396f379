"""Recorded choices across processes: so whichever process gets the click can take it,
and a tool waiting for a person survives a restart.

Each choice is recorded at ``keys.choice``: its conversation and card, who may answer,
the process waiting for it (its replica id) and, inside a bot tool, what a replay needs
(``ChoiceRecord``). Popping that record is the claim, so exactly one process acts on a
click:

- where the click arrives at the waiting process, its future is resolved;
- elsewhere, while the owner's ``keys.replica_alive`` heartbeat lives, the answer is left at
  ``keys.choice_answer`` and the owner is woken on the store's pub/sub (channel
  ``keys.choice_wakeup_channel``; without pub/sub, as on SQLite, the owner polls). The
  owner takes the answer by popping it; if it does not within ``handoff_timeout``, the
  clicker's process takes it back;
- with no live owner (a restart, a crash), a tool's call is replayed where the click
  arrived (``choices.replay``); a choice that cannot be replayed is closed as expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from botkit import keys
from botkit.choices.records import ChoiceRecord, HandedAnswer
from botkit.choices.registry import ChoiceRegistry
from botkit.errors import InteractionExpired, RunSuspended
from botkit.store.base import PubSub, StateStore, Subscription

__all__ = ["ChoiceRelay"]

log = logging.getLogger("botkit")
CHOICE_TTL = 7 * 24 * 3600.0
ALIVE_TTL = 6.0
BEAT_EVERY = 2.0
POLL_EVERY = 1.0
HANDOFF_TIMEOUT = 10.0


class ChoiceRelay:
    """This process's side of recorded choices (one per bot)."""

    def __init__(self, store: Callable[[], StateStore], registry: ChoiceRegistry) -> None:
        self._store = store
        self.registry = registry
        self.replica = uuid.uuid4().hex[:12]
        self.handoff_timeout = HANDOFF_TIMEOUT
        self.poll_every = POLL_EVERY
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False
        self._orphaned: dict[str, float] = {}

    @property
    def store(self) -> StateStore:
        return self._store()

    # -- the record --------------------------------------------------------------------
    def ttl(self, timeout: float | None) -> float:
        """How long a choice's record is kept."""
        return CHOICE_TTL if timeout is None else max(CHOICE_TTL, timeout + 3600.0)

    async def save(self, choice_id: str, record: ChoiceRecord) -> bool:
        """Record the choice; False (logged) when the store refused."""
        try:
            await self.store.set(keys.choice(choice_id), record.to_json(),
                                 ttl=self.ttl(record.timeout))
        except Exception:
            log.warning("could not record choice %s; only this process can take its answer",
                        choice_id, exc_info=True)
            return False
        return True

    async def note_ref(self, choice_id: str, record: ChoiceRecord, noted: ChoiceRecord
                       ) -> None:
        """Add the posted card's ref to the record, unless a click claimed it already."""
        try:
            await self.store.compare_and_set(keys.choice(choice_id), record.to_json(),
                                             noted.to_json(), ttl=self.ttl(record.timeout))
        except Exception:
            log.warning("could not note the card of choice %s", choice_id, exc_info=True)

    async def read(self, choice_id: str) -> ChoiceRecord | None:
        """The record (None when there is none, it cannot be read or is malformed)."""
        try:
            data = await self.store.get(keys.choice(choice_id))
        except Exception:
            log.exception("could not read choice %s", choice_id)
            return None
        try:
            return None if data is None else ChoiceRecord.from_json(data)
        except ValueError:
            log.warning("choice %s has a malformed record", choice_id, exc_info=True)
            return None

    async def take(self, choice_id: str) -> ChoiceRecord | None:
        """Claim the record: it for exactly one caller, None for the others."""
        data = await self.store.pop(keys.choice(choice_id))
        try:
            return None if data is None else ChoiceRecord.from_json(data)
        except ValueError:
            log.warning("choice %s had a malformed record", choice_id, exc_info=True)
            return None

    async def forget(self, choice_id: str) -> None:
        with contextlib.suppress(Exception):
            await self.store.delete(keys.choice(choice_id))

    async def claim(self, choice_id: str) -> bool:
        """Take the click on a recorded choice: True for exactly one caller."""
        try:
            return await self.store.pop(keys.choice(choice_id)) is not None
        except Exception:
            log.exception("could not claim choice %s in the store; answering it here", choice_id)
            return True

    async def hand_over(self, choice_id: str, owner: str, value: Any) -> bool:
        """Leave ``value`` for the process ``owner``: True once it took it; False when it
        did not (it is gone, or silent for ``handoff_timeout``) and the answer is back
        here."""
        store, box = self.store, keys.choice_answer(choice_id)
        await store.set(box, HandedAnswer(value=value, by=self.replica).to_json(),
                        ttl=self.handoff_timeout * 6)
        if isinstance(store, PubSub):
            try:
                heard = await store.publish(keys.choice_wakeup_channel(owner),
                                            {"choice": choice_id})
            except Exception:
                log.warning("could not publish choice %s; its owner will poll", choice_id,
                            exc_info=True)
                heard = -1
            if heard == 0:  # nobody listens: the owner's subscription went with it
                return await store.pop(box) is None
        loop = asyncio.get_running_loop()
        give_up, delay = loop.time() + self.handoff_timeout, 0.005
        while loop.time() < give_up:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.1)
            if await store.get(box) is None:
                return True
            if not await self.alive(owner):
                break
        return await store.pop(box) is None

    # -- answers other processes left here ------------------------------------------------
    async def alive(self, replica: Any) -> bool:
        """Whether the process ``replica`` is running (its heartbeat key lives)."""
        if not isinstance(replica, str):
            return False
        return await self.store.get(keys.replica_alive(replica)) is not None

    async def collect(self, choice_ids: list[str], *, orphans: bool = False) -> None:
        """Take the answers other processes left for these choices waiting here."""
        boxes = await self.store.get_many([keys.choice_answer(i) for i in choice_ids])
        records = await self.store.get_many([keys.choice(i) for i in choice_ids]) if orphans \
            else [True] * len(choice_ids)
        now = time.monotonic()
        for choice_id, box, record in zip(choice_ids, boxes, records, strict=True):
            pending = self.registry.get(choice_id)
            if pending is None or pending.answered or pending.future.done():
                continue
            if box is not None:
                answer = await self.store.pop(keys.choice_answer(choice_id))
                if answer is None:
                    continue  # taken back by the clicker's process
                if pending.answered or pending.future.done():  # ended meanwhile: give it back
                    await self.store.set(keys.choice_answer(choice_id), answer,
                                         ttl=self.handoff_timeout * 6)
                    continue
                pending.answered = True
                try:
                    pending.future.set_result(HandedAnswer.from_json(answer).value)
                except ValueError:
                    pending.future.set_exception(InteractionExpired("a malformed answer"))
            elif record is None:  # claimed elsewhere and no answer came: let go, eventually
                since = self._orphaned.setdefault(choice_id, now)
                if now - since > self.handoff_timeout * 2:
                    pending.answered = True
                    pending.future.set_exception(
                        RunSuspended("another process took this tool call over")
                        if pending.in_tool else InteractionExpired("answered elsewhere"))
        if orphans:
            self._orphaned = {k: v for k, v in self._orphaned.items() if k in choice_ids}

    # -- this process's presence ---------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def start(self) -> None:
        """Announce this process (heartbeat) and listen for answers (pub/sub, polling)."""
        if self._running:
            return
        self._running = True
        try:
            await self._beat()
        except Exception:
            log.warning("could not announce this process in the store", exc_info=True)
        self._spawn(self._heartbeat())
        self._spawn(self._poll())
        store = self.store
        if isinstance(store, PubSub):
            self._spawn(self._listen(store, await self._subscribe(store)))

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        with contextlib.suppress(Exception):  # others stop waiting for this process at once
            await self.store.delete(keys.replica_alive(self.replica))

    async def _beat(self) -> None:
        await self.store.set(keys.replica_alive(self.replica), {"pid": os.getpid()}, ttl=ALIVE_TTL)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(BEAT_EVERY)
            try:
                await self._beat()
            except Exception:
                log.warning("could not renew this process's heartbeat", exc_info=True)

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_every)
            ids = [p.id for p in self.registry.waiting() if p.recorded]
            if not ids:
                self._orphaned.clear()
                continue
            try:
                await self.collect(ids, orphans=True)
            except Exception:
                log.warning("could not check the store for answers", exc_info=True)

    async def _subscribe(self, store: PubSub) -> Subscription | None:
        try:
            return await store.subscribe(keys.choice_wakeup_channel(self.replica))
        except Exception:
            log.warning("could not subscribe to answers; polling instead", exc_info=True)
            return None

    async def _listen(self, store: PubSub, subscription: Subscription | None) -> None:
        while True:
            if subscription is None:
                await asyncio.sleep(self.poll_every)
                subscription = await self._subscribe(store)
                continue
            try:
                async for message in subscription:
                    if isinstance(message, dict) and isinstance(message.get("choice"), str):
                        await self.collect([message["choice"]])
            except Exception:
                log.warning("the answers channel failed; subscribing again", exc_info=True)
            finally:
                with contextlib.suppress(Exception):
                    await subscription.close()
            subscription = None
