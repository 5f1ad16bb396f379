"""Pending ``await_choice`` calls kept in the store, so whichever process gets the click can
take it, and a tool waiting for a person survives a restart.

Each choice is recorded at ``choice:<id>``: its conversation and card, who may answer, the
process waiting for it (its replica id) and, inside a bot tool, what a replay needs.
Popping that record is the claim, so exactly one process acts on a click:

- where the click arrives at the waiting process, its future is resolved (``_interactions``);
- elsewhere (``_choice_answers``), while the owner's ``replica:<id>`` heartbeat lives, the
  answer is left at ``choiceans:<id>`` and the owner is woken on the store's pub/sub
  (channel ``choices:<replica>``; without pub/sub, as on SQLite, the owner polls). The owner
  takes the answer by popping it; if it does not within ``handoff_timeout``, the clicker's
  process takes it back;
- with no live owner (a restart, a crash), a tool's call is replayed where the click
  arrived; a choice that cannot be replayed is closed as expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from botkit import keys
from botkit._tool_calls import ToolCall
from botkit.codec import encode_conversation, encode_event, encode_user
from botkit.errors import ChoiceTimeout, InteractionExpired, RunSuspended, UserError
from botkit.store.base import PubSub, StateStore, Subscription
from botkit.store.memory import MemoryStore
from botkit.types import MessageRef
from botkit.ui.binding import close_controls, mark_choice, to_message
from botkit.ui.codec import encode_message
from botkit.ui.nodes import Renderable

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.choices import PendingChoice
    from botkit.thread import Thread

__all__ = ["ChoiceRelay", "alive_key", "answer_key", "channel", "choice_key"]

log = logging.getLogger("botkit")
CHOICE_TTL = 7 * 24 * 3600.0
ALIVE_TTL = 6.0
BEAT_EVERY = 2.0
POLL_EVERY = 1.0
HANDOFF_TIMEOUT = 10.0


choice_key = keys.choice
answer_key = keys.choice_answer
alive_key = keys.replica_alive
channel = keys.choice_wakeup_channel


class ChoiceRelay:
    """This process's side of recorded choices (one per bot)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.replica = uuid.uuid4().hex[:12]
        self.handoff_timeout = HANDOFF_TIMEOUT
        self.poll_every = POLL_EVERY
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = False
        self._orphaned: dict[str, float] = {}

    @property
    def store(self) -> StateStore:
        return self.bot.store

    # -- asking ------------------------------------------------------------------------
    async def ask(self, thread: Thread, ui: Renderable, *, allowed_users: Iterable[Any] | None,
                  timeout: float | None, call: ToolCall | None) -> Any:
        choice_id = uuid.uuid4().hex[:16]
        message, labels = mark_choice(to_message(ui), choice_id)
        if not labels:
            raise UserError("await_choice needs a message with at least one Button or Select")
        choices = self.bot.choices
        pending = choices.open(choice_id, conversation=thread.conversation, message=message,
                               labels=labels, allowed_users=allowed_users)
        pending.in_tool = call is not None
        record = self._record(thread, pending, timeout, call)
        pending.recorded = await self._save(choice_id, record, timeout)
        pending.suspend = pending.recorded and call is not None and \
            not isinstance(self.store, MemoryStore)
        try:
            if pending.recorded:
                await self.start()
            pending.ref = await thread.post(message)
            if pending.recorded:
                await self._note_ref(choice_id, record, pending.ref, timeout)
            choices.announce()
            return await self._wait(thread, pending, timeout)
        except RunSuspended:
            raise  # the record stays: the answer will be replayed
        except BaseException:
            if pending.recorded:  # nobody waits for it any more
                with contextlib.suppress(Exception):
                    await self.store.delete(choice_key(choice_id))
            raise
        finally:
            choices.close(choice_id)

    def _record(self, thread: Thread, pending: PendingChoice, timeout: float | None,
                call: ToolCall | None) -> dict[str, Any]:
        c = thread.conversation
        record: dict[str, Any] = {
            "platform": thread.platform,
            "conversation": encode_conversation(c),
            "card": encode_message(pending.message), "labels": pending.labels,
            "allowed": None if pending.allowed_user_ids is None
            else sorted(pending.allowed_user_ids),
            "allowed_names": list(pending.allowed_names), "owner": self.replica,
            "timeout": timeout, "deadline": None if timeout is None else time.time() + timeout,
        }
        if call is not None:
            record["call"] = call.to_record()
            record["user"] = None if thread.user is None else encode_user(thread.user)
            record["message"] = encode_event(thread.message) if thread.message else None
        return record

    def _ttl(self, timeout: float | None) -> float:
        return CHOICE_TTL if timeout is None else max(CHOICE_TTL, timeout + 3600.0)

    async def _save(self, choice_id: str, record: dict[str, Any], timeout: float | None) -> bool:
        try:
            await self.store.set(choice_key(choice_id), record, ttl=self._ttl(timeout))
        except Exception:
            log.warning("could not record choice %s; only this process can take its answer",
                        choice_id, exc_info=True)
            return False
        return True

    async def _note_ref(self, choice_id: str, record: dict[str, Any], ref: MessageRef,
                        timeout: float | None) -> None:
        noted = {**record, "ref": {"id": ref.id, "channel": ref.channel}}
        try:  # unless a click claimed it already
            await self.store.compare_and_set(choice_key(choice_id), record, noted,
                                             ttl=self._ttl(timeout))
        except Exception:
            log.warning("could not note the card of choice %s", choice_id, exc_info=True)

    async def _wait(self, thread: Thread, pending: PendingChoice, timeout: float | None) -> Any:
        try:
            return await asyncio.wait_for(asyncio.shield(pending.future), timeout)
        except TimeoutError:
            pass
        if pending.recorded and not await self.claim(pending.id):
            # answered at the last moment, here or in another process: its answer is coming
            try:
                return await asyncio.wait_for(asyncio.shield(pending.future),
                                              self.handoff_timeout * 2)
            except TimeoutError:
                if pending.in_tool:
                    raise RunSuspended("another process took this tool call over") from None
        if pending.ref is not None:
            await thread._adapter.update(thread.conversation, pending.ref,
                                         close_controls(pending.message, "⏱ No answer in time."))
        raise ChoiceTimeout(f"nobody answered within {timeout} seconds")

    async def claim(self, choice_id: str) -> bool:
        """Take the click on a recorded choice: True for exactly one caller."""
        try:
            return await self.store.pop(choice_key(choice_id)) is not None
        except Exception:
            log.exception("could not claim choice %s in the store; answering it here", choice_id)
            return True

    # -- answers other processes left here ------------------------------------------------
    async def alive(self, replica: Any) -> bool:
        """Whether the process ``replica`` is running (its heartbeat key lives)."""
        return isinstance(replica, str) and await self.store.get(alive_key(replica)) is not None

    async def collect(self, choice_ids: list[str], *, orphans: bool = False) -> None:
        """Take the answers other processes left for these choices waiting here."""
        boxes = await self.store.get_many([answer_key(i) for i in choice_ids])
        records = await self.store.get_many([choice_key(i) for i in choice_ids]) if orphans \
            else [True] * len(choice_ids)
        now = time.monotonic()
        for choice_id, box, record in zip(choice_ids, boxes, records, strict=True):
            pending = self.bot.choices.get(choice_id)
            if pending is None or pending.answered or pending.future.done():
                continue
            if box is not None:
                answer = await self.store.pop(answer_key(choice_id))
                if answer is None:
                    continue  # taken back by the clicker's process
                if pending.answered or pending.future.done():  # ended meanwhile: give it back
                    await self.store.set(answer_key(choice_id), answer,
                                         ttl=self.handoff_timeout * 6)
                    continue
                pending.answered = True
                pending.future.set_result(answer.get("value"))
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
            await self.store.delete(alive_key(self.replica))

    async def _beat(self) -> None:
        await self.store.set(alive_key(self.replica), {"pid": os.getpid()}, ttl=ALIVE_TTL)

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
            ids = [p.id for p in self.bot.choices.waiting() if p.recorded]
            if not ids:
                self._orphaned.clear()
                continue
            try:
                await self.collect(ids, orphans=True)
            except Exception:
                log.warning("could not check the store for answers", exc_info=True)

    async def _subscribe(self, store: PubSub) -> Subscription | None:
        try:
            return await store.subscribe(channel(self.replica))
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
