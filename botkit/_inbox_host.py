"""The durable inbox in a running bot: ``bot.dispatch`` appends, a consumer runs the pipeline.

With ``create_bot(inbox=InboxConfig())`` (and a store with streams: SQLite or Redis for
durability; memory keeps the same order in-process only), the pipeline's intake becomes
"append to the inbox and return": an adapter's dispatch is done once the event is stored,
and the inbox consumer runs ``pipeline.process`` for it, in order per conversation.

Crash recovery around it: this process's turn locks are recorded with its replica id, so
while it runs (every heartbeat) and when it starts, the locks of processes whose heartbeat
expired are released at once (not after their TTL), and threads they left ``busy`` go back
to ``idle`` (or ``interrupted`` when an interrupt waits). ``drain`` is the graceful stop:
the consumer stops, running turns get ``drain_deadline`` seconds, the rest stays in the
inbox for the next process, and one INFO line tells what happened.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING, Protocol

from botkit import keys
from botkit.codec import decode_event, encode_event
from botkit.errors import UserError
from botkit.events import Event, MessageEvent
from botkit.inbox import Apology, DrainSummary, Inbox, InboxConfig, Replicas
from botkit.inbox.closing import OPEN_STREAMS
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


def lane_of(event: Event) -> str:
    """The inbox runs one event at a time per lane: a conversation's messages share one (in
    order); a click or command gets its own, since the turn it answers may be waiting for
    it (clicks never queue behind turns)."""
    if isinstance(event, MessageEvent):
        return event.conversation.id
    return f"{event.conversation.id}#{type(event).__name__}:{event.event_id}"


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
        self.inbox: Inbox[Event] | None = None
        self.replicas: Replicas | None = None
        self._draining = False

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
        self.inbox = Inbox(store, encode=encode_event, decode=decode_event,
                           handle=self._process, apologize=self._apologize,
                           replicas=self.replicas, max_age=cfg.max_age,
                           max_deliveries=cfg.max_deliveries, claim_after=cfg.claim_after,
                           heartbeat=cfg.heartbeat, on_heartbeat=self.recover)
        await self.replicas.start()
        await self.recover()
        await self.inbox.start()
        self.pipeline.intake = self._append

    async def _append(self, event: Event) -> None:
        assert self.inbox is not None
        await self.inbox.append(event, conversation=lane_of(event))

    async def _process(self, event: Event) -> None:
        """Run the pipeline on a stored event; a burst of them (a backlog, many
        conversations at once) is let through a slice of the loop at a time."""
        await FAIR.turn()
        await self.pipeline.process(event)

    async def recover(self) -> None:
        """Release dead processes' turn locks and put the threads they left busy back."""
        if self.replicas is None:
            return
        released = await self.replicas.release_orphaned_locks(keys.turn_lock(""))
        for lock in released:
            await self.settle(lock.removeprefix(keys.turn_lock("")))

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

    async def _apologize(self, event: Event, apology: Apology) -> None:
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
        if self.replicas is not None:
            await self.replicas.stop()
        return summary
