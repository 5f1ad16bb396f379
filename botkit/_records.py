"""What ``BotHandle`` offers beyond ingress, built on the ``Runtime`` (``HandleViews``, a
base of ``Bot``): the questions waiting for an answer, the checks an answer must pass
before an adapter accepts it (``may_answer``, ``check_resume``) so adapters ask the core
instead of copying its rules, the bot's records for an adapter whose platform is botkit
itself (``BotRecords``, a ``PlatformRecords``), the open streamed replies crash recovery
closes (``stream_opened`` / ``stream_ended``, kept by the inbox host), and mounting an
adapter's HTTP routes on the threads API server (``mount_routes``)."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from botkit import keys
from botkit.adapter import AnswerCheck, OpenChoice, OpenStream, RecordEdit, ThreadChange
from botkit.errors import InteractionExpired
from botkit.inbox.replicas import Replicas
from botkit.run.interrupts import PendingInterrupt
from botkit.run.result import RunResult
from botkit.store.base import StateStore
from botkit.threads.records import ThreadRecord
from botkit.types import Conversation, PlatformUser

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from botkit._inbox_host import InboxHost
    from botkit._runtime import Runtime
    from botkit.events import MessageEvent
    from botkit.thread import Thread
    from botkit.threads.config import ThreadsAPIConfig
    from botkit.threads.routes import RouteGroup

__all__ = ["BotRecords", "HandleViews", "check_resume", "may_answer"]


async def may_answer(runtime: Runtime, choice_id: str, user: PlatformUser,
                     conversation_id: str | None = None) -> AnswerCheck:
    """The rule ``Choices`` applies to a click, without claiming anything: a question
    waiting in this process, else its record in the store (another process, or from
    before a restart)."""
    pending = runtime.choices.registry.get(choice_id)
    if pending is not None:
        if pending.answered or pending.future.done() or (
                conversation_id is not None and pending.conversation.id != conversation_id):
            return AnswerCheck(status="closed")
        if not pending.allows(user):
            return AnswerCheck(status="not_allowed", allowed_names=pending.allowed_names)
        return AnswerCheck(status="open")
    record = await runtime.choices.relay.read(choice_id)
    if record is None or record.expired() or (
            conversation_id is not None and record.conversation.id != conversation_id):
        return AnswerCheck(status="closed")
    if not record.allows(user):
        return AnswerCheck(status="not_allowed", allowed_names=record.allowed_names)
    return AnswerCheck(status="open")


async def check_resume(store: StateStore, conversation_id: str, value: Any,
                       cancel: bool) -> None:
    """``InteractionExpired`` when nothing waits, ``UserError`` for an answer that does not
    fit (the check ``Thread.resume`` makes before it claims the interrupt)."""
    (await PendingInterrupt.peek(store, conversation_id)).check_answer(value, cancel)


class BotRecords:
    """``PlatformRecords`` over the bot's ``Threads`` (``BotHandle.records``)."""

    def __init__(self, runtime: Runtime,
                 thread_for: Callable[[str, Conversation, PlatformUser | None], Thread]
                 ) -> None:
        self.runtime = runtime
        self.thread_for = thread_for

    @property
    def store(self) -> StateStore:
        return self.runtime.store

    async def thread_record(self, thread_id: str) -> dict[str, Any] | None:
        found = await self.runtime.threads.mutate(thread_id, lambda old: None)
        return None if found is None else found.to_dict()

    async def edit_thread_record(self, thread_id: str, edit: RecordEdit
                                 ) -> dict[str, Any] | None:
        """``edit`` sees and returns the record's stored form (adapters get plain data, not
        the threads layer's ``ThreadRecord``); the change is one atomic ``mutate``."""
        def typed(old: ThreadRecord | None) -> ThreadRecord | None:
            changed = edit(None if old is None else old.to_dict())
            return None if changed is None else ThreadRecord.from_dict(changed)
        made = await self.runtime.threads.mutate(thread_id, typed)
        return None if made is None else made.to_dict()

    def new_thread_record(self, thread_id: str, platform: str, conversation: Conversation,
                          *, title: str = "") -> dict[str, Any]:
        return self.runtime.threads.new_record(thread_id, platform, conversation,
                                               title=title).to_dict()

    def thread_changes(self) -> AbstractAsyncContextManager[AsyncIterator[ThreadChange]]:
        changes: Any = self.runtime.threads.subscribe()
        return changes  # type: ignore[no-any-return]

    async def read_state(self, thread_id: str) -> Any:
        return await self.runtime.threads.read_state(thread_id)

    async def set_state(self, thread_id: str, state: Any) -> None:
        await self.runtime.threads.set_state(thread_id, state)

    async def resume(self, platform: str, conversation: Conversation, value: Any = None, *,
                     user: PlatformUser | None = None, cancel: bool = False) -> RunResult:
        return await self.thread_for(platform, conversation, user).resume(value, cancel=cancel)


class HandleViews:
    """``Bot``'s side of ``BotHandle`` beyond ingress (a base class of ``Bot``)."""

    _runtime: Runtime
    _inbox: InboxHost | None
    threads_api: ThreadsAPIConfig | None

    def thread(self, platform: str, conversation: Conversation, *,
               message: MessageEvent | None = None, user: PlatformUser | None = None
               ) -> Thread:
        raise NotImplementedError  # Bot's

    def pending_choices(self, conversation_id: str) -> list[OpenChoice]:
        return [OpenChoice(id=p.id, message=p.message, ref=p.ref, kept=p.suspend)
                for p in self._runtime.choices.registry.pending_in(conversation_id)]

    async def waiting_for_input(self, conversation_id: str) -> None:
        await self._runtime.choices.registry.wait_until_pending(conversation_id)

    def cancel_choices(self, reason: str) -> None:
        self._runtime.choices.cancel_all(InteractionExpired(reason))

    async def may_answer(self, choice_id: str, user: PlatformUser, *,
                         conversation_id: str | None = None) -> AnswerCheck:
        return await may_answer(self._runtime, choice_id, user, conversation_id)

    async def check_resume(self, conversation_id: str, value: Any = None, *,
                           cancel: bool = False) -> None:
        await check_resume(self._runtime.store, conversation_id, value, cancel)

    async def stream_opened(self, stream: OpenStream) -> None:
        if self._inbox is not None:
            await self._inbox.stream_opened(stream)

    async def stream_ended(self, stream: OpenStream) -> None:
        if self._inbox is not None:
            await self._inbox.stream_ended(stream)

    def mount_routes(self, group: RouteGroup) -> bool:
        if self.threads_api is None:
            return False
        groups = self._runtime.threads.route_groups  # one group per name: a restart replaces it
        groups[:] = [*(g for g in groups if g.name != group.name), group]
        return True

    async def heartbeat(self) -> str:
        relay = self._runtime.choices.relay  # its heartbeat is the process registry's
        await relay.start()
        turns = self._runtime.turns
        if turns.owners is None:  # turn locks name this process, so the living can free them
            turns.owners = Replicas(self._runtime.store, relay.replica)
        return relay.replica

    async def replica_alive(self, replica: str) -> bool:
        return await self._runtime.choices.relay.alive(replica)

    async def release_stopped_turns(self) -> list[str]:
        owners = self._runtime.turns.owners
        if owners is None:
            return []
        released = await owners.release_orphaned_locks(keys.turn_lock(""))
        return [lock.removeprefix(keys.turn_lock("")) for lock in released]

    @property
    def records(self) -> BotRecords:
        """The store, thread records and resuming, for a platform-of-record adapter."""
        return BotRecords(self._runtime, lambda p, c, u: self.thread(p, c, user=u))
