"""Thread change events: what ``bot.threads`` publishes on its event bus when a record or
a state changes, and ``subscribe`` to read them."""

from __future__ import annotations

import contextlib
from typing import Any

from botkit.store.streams import StreamId
from botkit.threads.errors import ThreadQueryError
from botkit.threads.events import EventHub, Subscription
from botkit.threads.records import ThreadEvent, ThreadRecord

__all__ = ["ThreadAnnounceMixin"]


class ThreadAnnounceMixin:
    hub: EventHub
    _seq: int

    def now(self) -> float:
        raise NotImplementedError

    def subscribe(self, *, last_event_id: str | None = None, after: str | None = None,
                  thread_id: str | None = None
                  ) -> contextlib.AbstractAsyncContextManager[Subscription]:
        """``async with bot.threads.subscribe() as events: async for event in events: …``
        With ``last_event_id`` (or ``after``), first the events after it that the event bus
        still keeps (every process's, in one order); ``thread_id`` keeps one thread's."""
        since = last_event_id or after
        if since is not None:
            try:
                StreamId.parse(since)
            except ValueError:
                raise ThreadQueryError([("Last-Event-ID", "must be an event id, as sent in "
                                         "the stream's id: lines")]) from None
        return self.hub.subscribe(after=since, thread_id=thread_id)

    def _emit(self, kind: Any, thread_id: str, record: ThreadRecord | None) -> None:
        self._seq += 1
        self.hub.publish(ThreadEvent(seq=self._seq, type=kind, thread_id=thread_id,
                                     at=self.now(), thread=record))

    def _announce(self, old: ThreadRecord | None, new: ThreadRecord) -> None:
        tid = new.id
        if old is None:
            self._emit("created", tid, new)
            return
        if old.title != new.title:
            self._emit("renamed", tid, new)
        if old.archived != new.archived:
            self._emit("archived" if new.archived else "unarchived", tid, new)
        if old.status != new.status:
            self._emit("status_changed", tid, new)
        if (old.metadata, old.user_id, old.participants) != (
                new.metadata, new.user_id, new.participants):
            self._emit("updated", tid, new)
