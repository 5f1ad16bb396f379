"""The ack path of messages with the durable inbox on, without Bolt: parse, decide, dedup,
store the delivery as it came, ack.

Slack wants an ack within 3 seconds, and a bot under load wants it much sooner: every
millisecond between receiving an event and acking it is one Slack may spend retrying it.
With the inbox on, an Events API ``message`` or ``app_mention`` therefore takes the short
way (``DirectIntake.admit``): the pure routing decision (``decide``), this process's dedup,
and one store write (``BotHandle.admit_delivery``: the raw delivery, deduplicated by its
event id); no Bolt middleware, no Slack call. Who sent it (``users.info``), its text with
mentions spelled out, its files and the ``after_bot_reply`` check run later, in the inbox's
consumer (``EventBuilder.rebuild``). A failed store write raises: the delivery is not
acked (HTTP: 503), so Slack sends it again, and it is not taken for a duplicate then.

Edits and deletes (``message_changed`` / ``message_deleted``) only update the history
cache here. Every other envelope (clicks, commands, modals, other events) still goes
through Bolt.

On an ack lane (another thread and loop) those cache updates belong to the bot's loop:
they are queued (``LoopHandoff``) and handed over after the ack, one wake-up of the bot's
loop for all queued meanwhile, and applied before the consumer rebuilds a delivery (so a
message is in the cache before its turn). A wake-up per envelope was one more socket
write on the lane's thread before its store write: the lane gives up the GIL there, and
under load waits for another thread's turn to get it back.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botkit.adapter import Delivery
from botkit_slack.conversations import conversation_id
from botkit_slack.ingress.decide import CHANGE_SUBTYPES, decide
from botkit_slack.ingress.shape import payload_problem

if TYPE_CHECKING:
    from botkit.adapter import BotHandle
    from botkit_slack.ingress.events import EventBuilder

__all__ = ["DIRECT_EVENTS", "DirectIntake", "LoopHandoff"]

log = logging.getLogger("botkit.slack")
DIRECT_EVENTS = frozenset({"message", "app_mention"})


class LoopHandoff:
    """Calls made on one thread for another thread's loop, run there in order: ``add``
    queues, ``hand_over`` wakes that loop once for everything queued (no wake-up while one
    is pending), ``run_pending`` (on that loop) runs what is queued."""

    def __init__(self) -> None:
        self._calls: deque[Callable[[], None]] = deque()
        self._lock = threading.Lock()
        self._scheduled = False
        self.wakeups = 0
        """Hand-overs that woke the loop so far (for tests and benches)."""

    def add(self, call: Callable[[], None]) -> None:
        with self._lock:
            self._calls.append(call)

    def hand_over(self, loop: asyncio.AbstractEventLoop) -> None:
        with self._lock:
            if self._scheduled or not self._calls:
                return
            self._scheduled = True
        self.wakeups += 1
        try:
            loop.call_soon_threadsafe(self.run_pending)
        except RuntimeError:  # the bot's loop is closed: nobody to hand them to
            with self._lock:
                self._scheduled = False
                self._calls.clear()

    def run_pending(self) -> None:
        with self._lock:
            calls = list(self._calls)
            self._calls.clear()
            self._scheduled = False
        for call in calls:
            try:
                call()
            except Exception:  # a cache update; the others still run
                log.exception("updating the Slack history cache failed")


class DirectIntake:
    """Stores ``message`` / ``app_mention`` deliveries as they came (see the module doc)."""

    def __init__(self, events: EventBuilder, bot: BotHandle) -> None:
        self.events = events
        self.bot = bot
        self.stored = 0
        self.bot_loop: asyncio.AbstractEventLoop | None = None
        """Set when ``admit`` runs on another loop (the ack lane's): what touches the
        adapter's state (the history cache) is queued for this one (``hand_over``)."""
        self.for_bot_loop = LoopHandoff()
        events.before_rebuild = self.for_bot_loop.run_pending

    def _on_bot_loop(self, fn: Callable[..., None], *args: Any) -> None:
        if self.bot_loop is None:
            fn(*args)
        else:
            self.for_bot_loop.add(functools.partial(fn, *args))

    def hand_over(self) -> None:
        """On the ack lane, after an ack: the cache updates queued meanwhile go to the
        bot's loop (one wake-up for all of them)."""
        if self.bot_loop is not None:
            self.for_bot_loop.hand_over(self.bot_loop)

    @staticmethod
    def takes(body: Any) -> bool:
        """Whether ``body`` (an Events API payload) is one for ``admit``."""
        if not isinstance(body, Mapping) or body.get("type") != "event_callback":
            return False
        event = body.get("event")
        return isinstance(event, Mapping) and event.get("type") in DIRECT_EVENTS

    def delivery(self, body: Mapping[str, Any], retry: int = 0) -> Delivery | None:
        """What to store of ``body`` (None: nothing to answer, or a duplicate seen here);
        no I/O. A delivery returned is marked seen: ``forget`` it when storing fails."""
        event: Mapping[str, Any] = body["event"]
        events = self.events
        if event.get("subtype") in CHANGE_SUBTYPES:
            self._on_bot_loop(events.on_change, event)
            return None
        channel = event.get("channel")
        if isinstance(channel, str) and channel and not event.get("edited"):
            self._on_bot_loop(functools.partial(events.history.observe, channel, event,
                                                partial=event.get("type") == "app_mention"))
        now = time.time()
        decision = decide(event, bot_user_id=events.identity.user_id,
                          respond_to=events.routing.respond_to, now=now,
                          edit_window=events.dedup_ttl)
        if decision is None:
            return None
        if not events.first_sight(decision.event_id):  # thread-safe (SeenIds)
            log.debug("duplicate delivery of %s (retry %d) ignored", decision.event_id, retry)
            return None
        payload = {"event": dict(event), "team_id": body.get("team_id"), "received": now}
        return Delivery(platform=events.platform, event_id=decision.event_id,
                        conversation=conversation_id(decision.channel, decision.thread),
                        payload=payload, received=now)

    async def admit(self, body: Mapping[str, Any], retry: int = 0) -> None:
        """Store the delivery (or drop it); raises when it could not be stored (no ack)."""
        delivery = self.delivery(body, retry)
        if delivery is None:
            return
        try:
            await self.bot.admit_delivery(delivery)
        except BaseException:
            self.events.forget(delivery.event_id)
            raise
        self.stored += 1

    @staticmethod
    def problem(body: Any) -> str | None:
        """What is wrong with ``body`` as a Slack payload (``shape.payload_problem``)."""
        return payload_problem(body)
