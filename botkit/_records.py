"""What ``BotHandle`` offers beyond ingress, built on the ``Runtime``: the bot's records for
an adapter whose platform is botkit itself (``BotRecords``, a ``PlatformRecords``), and
the checks an answer must pass before an adapter accepts it (``may_answer``,
``check_resume``), so adapters ask the core instead of copying its rules."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any

from botkit.adapter import AnswerCheck, RecordEdit, ThreadChange
from botkit.run.interrupts import PendingInterrupt
from botkit.run.result import RunResult
from botkit.store.base import StateStore
from botkit.types import Conversation, PlatformUser

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from botkit._runtime import Runtime
    from botkit.thread import Thread

__all__ = ["BotRecords", "check_resume", "may_answer"]


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
        return await self.runtime.threads.mutate(thread_id, lambda old: None)

    async def edit_thread_record(self, thread_id: str, edit: RecordEdit
                                 ) -> dict[str, Any] | None:
        return await self.runtime.threads.mutate(thread_id, edit)

    def new_thread_record(self, thread_id: str, platform: str, conversation: Conversation,
                          *, title: str = "") -> dict[str, Any]:
        return self.runtime.threads.new_record(thread_id, platform, conversation, title=title)

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
