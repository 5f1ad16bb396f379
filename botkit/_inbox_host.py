"""The durable inbox in a running bot: ``bot.dispatch`` appends, a consumer runs the pipeline.

With ``create_bot(inbox=InboxConfig())`` (and a store with streams: SQLite or Redis for
durability; memory keeps the same order in-process only), the pipeline admits events by
"dedup and append to the inbox in one store write, and return": an adapter's dispatch is
done once the event is stored, and the inbox consumer runs ``pipeline.process`` for it, in
order per conversation.

Crash recovery around it: this process's turn locks are recorded with its replica id, so
while it runs (every heartbeat) and when it starts, the locks of processes whose heartbeat
expired are released at once (not after their TTL), and threads they left ``busy`` go back
to ``idle`` (or ``interrupted`` when an interrupt waits). Adapters record the replies they
stream (``BotHandle.stream_opened``, under this process's replica id, until
``stream_ended``); the same recovery hands each reply a dead process left open back to its
adapter's ``close_stream`` (a visible notice ends it), in the background while the inbox
runs that turn again. ``drain`` is the graceful stop:
the consumer stops, running turns get ``drain_deadline`` seconds, the rest stays in the
inbox for the next process, and one INFO line tells what happened.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING, Protocol

from botkit import keys
from botkit.adapter import BaseAdapter, Delivery, OpenStream
from botkit.codec import decode_event, encode_event
from botkit.errors import UserError
from botkit.events import Event, MessageEvent, ModalSubmitEvent
from botkit.inbox import Apology, DrainSummary, Inbox, InboxConfig, Owned, Replicas
from botkit.inbox.closing import NOTICE, OPEN_STREAMS
from botkit.run.fair import FAIR
from botkit.store.streams import Streams
from botkit.threads.records import ThreadRecord

if TYPE_CHECKING:
    from botkit._dispatch import Pipeline
    from botkit._runtime import Runtime
    from botkit.thread import Thread
    from botkit.types import Conversation

__all__ = ["InboxHost", "checked_inbox_config"]

log = logging.getLogger("botkit")
TOO_OLD = ("Sorry, I was restarting and this message waited too long for an answer. "
           "Please send it again.")
GAVE_UP = "Sorry, I could not handle this message. Please try again."
CLOSE_GRACE = 15.0  # seconds the adapters get to finish the replies a drain closed
OPEN_REPLY_TTL = 3600.0  # an open-reply record outlives no platform's stream
CLOSING_AT_ONCE = 8  # orphaned replies closed side by side


Item = Event | Delivery
"""What the inbox holds: an event, or a delivery its adapter turns into one later."""


def encode_item(item: Item) -> dict[str, object]:
    return item.to_data() if isinstance(item, Delivery) else encode_event(item)


def decode_item(data: object) -> Item:
    if isinstance(data, dict) and data.get("kind") == "delivery":
        return Delivery.from_data(data)
    return decode_event(data)


def lane_of(event: Item) -> str:
    """The inbox runs one event at a time per lane: a conversation's messages share one (in
    order); a click or command gets its own, since the turn it answers may be waiting for
    it (clicks never queue behind turns). A stored delivery is a message."""
    if isinstance(event, Delivery):
        return event.conversation
    if isinstance(event, MessageEvent):
        return event.conversation.id
    return f"{event.conversation.id}#{type(event).__name__}:{event.event_id}"


def _reply_key(stream: OpenStream) -> str:
    return keys.open_reply(stream.platform, stream.id)


def checked_inbox_config(value: object) -> InboxConfig | None:
    """``create_bot(inbox=…)``: an ``InboxConfig``, True (the defaults), or None/False."""
    if value is None or value is False:
        return None
    if value is True:
        return InboxConfig()
    if isinstance(value, InboxConfig):
        return value
    raise UserError("inbox must be True or botkit.inbox.InboxConfig(...), not "
                    f"{type(value).__name__}")


class ThreadMaker(Protocol):
    """The part of the bot the host needs: a conversation's ``Thread`` (for apologies)."""

    def thread(self, platform: str, conversation: Conversation, *,
               message: MessageEvent | None = None) -> Thread: ...


class InboxHost:
    def __init__(self, bot: ThreadMaker, runtime: Runtime, pipeline: Pipeline,
                 config: InboxConfig) -> None:
        self.bot, self.runtime, self.pipeline, self.config = bot, runtime, pipeline, config
        self.inbox: Inbox[Item] | None = None
        self.replicas: Replicas | None = None
        self._draining = False
        self._closing: asyncio.Task[int] | None = None

    async def start(self) -> None:
        store = self.runtime.store
        if not isinstance(store, Streams):
            log.warning("the store %r has no streams: events are handled without the inbox",
                        store)
            return
        cfg = self.config
        self._draining = False
        self.replicas = Replicas(store, self.runtime.choices.relay.replica, ttl=cfg.replica_ttl,
                                 beat_every=cfg.heartbeat)
        self.runtime.turns.owners = self.replicas
        self.inbox = Inbox(store, encode=encode_item, decode=decode_item,
                           handle=self._process, apologize=self._apologize,
                           replicas=self.replicas, max_age=cfg.max_age,
                           max_deliveries=cfg.max_deliveries, claim_after=cfg.claim_after,
                           heartbeat=cfg.heartbeat, on_heartbeat=self.recover)
        await self.replicas.start()
        await self.recover()
        await self.inbox.start()
        self.pipeline.admit = self._admit

    async def _admit(self, event: Event) -> None:
        """The ack path: dedup and append as one store write (an urgent one on SQLite:
        it overtakes the turns' queued writes); the platform is acknowledged after it."""
        assert self.inbox is not None
        adapter = self.runtime.adapter_for(event.platform)
        if isinstance(event, ModalSubmitEvent) or (
                adapter is not None and adapter.capabilities.own_intake):
            # its platform keeps it durable; or a modal submission, whose answer (field
            # errors) goes back in the ack: the handler runs before it, not after
            if not await self.pipeline.is_duplicate(event):
                await self.pipeline.process(event)
            return
        stored = await self.inbox.append_once(event, conversation=lane_of(event),
                                              seen_key=self.pipeline.seen_key(event),
                                              ttl=self.runtime.dedup_ttl)
        if stored is None:
            log.debug("duplicate event %s ignored", event.event_id)

    @property
    def accepting(self) -> bool:
        """Whether deliveries are appended as they came (the inbox runs)."""
        return self.inbox is not None and self.pipeline.admit is not None

    @property
    def accepting_from_any_thread(self) -> bool:
        """``accepting``, and ``admit_delivery`` may run on another thread's event loop."""
        return self.accepting and self.inbox is not None and \
            self.inbox.appends_from_any_thread

    async def admit_delivery(self, delivery: Delivery, *,
                             home: asyncio.AbstractEventLoop | None = None) -> bool:
        """The ack path of a delivery stored as it came: dedup (by the id its event will
        have) and append, one store write; False for a duplicate. Awaited on another loop
        than the bot's (``home``: an adapter's ack lane), the write runs from there when
        the store can (``Inbox.appends_from_any_thread``), else on the bot's loop. Before
        the inbox runs (the bot is starting), the delivery is rebuilt and dispatched."""
        if home is not None and asyncio.get_running_loop() is not home and \
                not self.accepting_from_any_thread:
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(
                self.admit_delivery(delivery), home))
        if self.inbox is None or not self.accepting:
            event = await self.rebuild(delivery)
            if event is not None:
                await self.pipeline.dispatch(event)
            return event is not None
        stored = await self.inbox.append_once(
            delivery, conversation=delivery.conversation,
            seen_key=keys.event_seen(delivery.platform, delivery.event_id),
            ttl=self.runtime.dedup_ttl, received=delivery.received)
        if stored is None:
            log.debug("duplicate delivery %s ignored", delivery.event_id)
        return stored is not None

    async def rebuild(self, delivery: Delivery) -> Event | None:
        """The event of a stored delivery, built by its adapter (None: nothing to do)."""
        adapter = self.runtime.adapter_for(delivery.platform)
        if not isinstance(adapter, BaseAdapter):
            log.warning("a stored %s delivery has no adapter here; dropped", delivery.platform)
            return None
        return await adapter.rebuild_delivery(delivery)

    async def _process(self, item: Item) -> None:
        """Run the pipeline on a stored event (a stored delivery is first rebuilt by its
        adapter); a burst of them (a backlog, many conversations at once) is let through
        a slice of the loop at a time."""
        await FAIR.turn()
        event = await self.rebuild(item) if isinstance(item, Delivery) else item
        if event is not None:
            await self.pipeline.process(event)

    async def recover(self) -> None:
        """Release dead processes' turn locks, put the threads they left busy back, and
        close the replies they left streaming."""
        if self.replicas is None:
            return
        released = await self.replicas.release_orphaned_locks(keys.turn_lock(""))
        for lock in released:
            await self.settle(lock.removeprefix(keys.turn_lock("")))
        if self._closing is None or self._closing.done():  # in the background: the platform
            # may pace these calls, and the inbox must not wait for them
            self._closing = asyncio.create_task(self._close_in_background(),
                                                name="botkit-close-orphaned-replies")

    # -- open streamed replies ---------------------------------------------------------
    async def stream_opened(self, stream: OpenStream) -> None:
        if self.replicas is None:
            return
        try:
            await self.replicas.record(_reply_key(stream), stream.to_data(),
                                       ttl=OPEN_REPLY_TTL)
        except Exception as exc:  # the reply goes on; only its crash recovery is lost
            log.warning("could not record an open reply (%s: %s)", type(exc).__name__, exc)

    async def stream_ended(self, stream: OpenStream) -> None:
        if self.replicas is None:
            return
        try:
            await self.replicas.forget(_reply_key(stream))
        except Exception as exc:
            log.warning("could not forget an ended reply (%s: %s)", type(exc).__name__, exc)

    async def _close_in_background(self) -> int:
        try:
            return await self.close_orphaned_streams()
        except Exception as exc:  # the next heartbeat tries again
            log.warning("closing replies left open failed (%s: %s)", type(exc).__name__, exc)
            return 0

    async def close_orphaned_streams(self) -> int:
        """Have the adapters close the replies that stopped processes left open; how many
        were closed."""
        if self.replicas is None:
            return 0
        orphans = await self.replicas.orphans(keys.open_reply(""))
        room = asyncio.Semaphore(CLOSING_AT_ONCE)

        async def close(item: Owned) -> bool:
            async with room:
                return await self._close_orphan(item)
        closed = sum(await asyncio.gather(*(close(item) for item in orphans)))
        if closed:
            log.info("closed %d reply stream(s) left open by stopped processes", closed)
        return closed

    async def _close_orphan(self, item: Owned) -> bool:
        assert self.replicas is not None
        if not await self.replicas.adopt(item):
            return False  # another process is closing it
        try:
            stream = OpenStream.from_data(item.data)
        except ValueError:
            await self.replicas.forget(item.key)
            return False
        adapter = self.runtime.adapter_for(stream.platform)
        if not isinstance(adapter, BaseAdapter):
            await self.replicas.forget(item.key)
            return False
        try:
            await adapter.close_stream(stream, NOTICE)
        except Exception as exc:  # best effort: the platform ends the stream in its time
            log.warning("could not close a reply left open in %s (%s: %s)",
                        stream.conversation.id, type(exc).__name__, exc)
            await self.replicas.forget(item.key)
            return False
        await self.replicas.forget(item.key)
        return True

    async def settle(self, thread_id: str) -> None:
        """A ``busy`` thread nobody runs any more: ``interrupted`` if an interrupt waits
        for an answer, else ``idle``."""
        waiting = await self.runtime.store.get(keys.pending_interrupt(thread_id)) is not None

        def change(record: ThreadRecord | None) -> ThreadRecord | None:
            if record is None or record.status != "busy":
                return None
            return dataclasses.replace(record, status="interrupted" if waiting else "idle",
                                       current_run=None, live_runs=())
        if await self.runtime.threads.mutate(thread_id, change) is not None:
            log.info("thread %s was left busy by a stopped process; now %s", thread_id,
                     "interrupted" if waiting else "idle")

    async def _close_streams(self) -> None:
        """The drain deadline passed: end every open reply with a notice, and let the
        adapters finish those messages."""
        if OPEN_STREAMS.close_all():
            await OPEN_STREAMS.wait_closed(timeout=CLOSE_GRACE)

    async def _apologize(self, item: Item, apology: Apology) -> None:
        event = await self.rebuild(item) if isinstance(item, Delivery) else item
        if not isinstance(event, MessageEvent):
            log.info("a %s waited too long (%s); dropped", type(event).__name__,
                     apology.reason)
            return
        thread = self.bot.thread(event.platform, event.conversation, message=event)
        await thread.show_notice(TOO_OLD if apology.reason == "too_old" else GAVE_UP)

    async def drain(self) -> DrainSummary | None:
        """Stop consuming; finish or hand over what is in flight (see the module doc)."""
        inbox = self.inbox
        if inbox is None or self._draining:
            return None
        self._draining = True  # deliveries from now on are still appended, for the next process
        closed_before = OPEN_STREAMS.closed
        summary = await inbox.drain(self.config.drain_deadline, at_deadline=self._close_streams)
        summary = dataclasses.replace(summary, closed_streams=OPEN_STREAMS.closed - closed_before)
        self.runtime.turns.owners = None
        closing, self._closing = self._closing, None
        if closing is not None:  # what it adopted and did not close is closed by the next one
            await asyncio.wait({closing}, timeout=CLOSE_GRACE)
            closing.cancel()
            await asyncio.gather(closing, return_exceptions=True)
        if self.replicas is not None:
            await self.replicas.stop()
        return summary
