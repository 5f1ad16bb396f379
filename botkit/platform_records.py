"""What ``BotHandle`` gives beyond ingress (re-exported by ``botkit.adapter``): the checks
an answer must pass before an adapter accepts it (``AnswerCheck``), and the bot's records
for an adapter whose platform is botkit itself (``PlatformRecords``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from botkit.store.base import StateStore
from botkit.types import Conversation, PlatformUser

if TYPE_CHECKING:
    from botkit.run.result import RunResult

__all__ = ["AnswerCheck", "PlatformRecords", "RecordEdit", "ThreadChange"]


@dataclass(frozen=True, kw_only=True)
class AnswerCheck:
    """Whether a person may answer a question (``BotHandle.may_answer``): ``open`` (yes),
    ``closed`` (answered, expired, or not a question of this bot) or ``not_allowed``
    (``allowed_users`` names others: ``allowed_names``)."""

    status: Literal["open", "closed", "not_allowed"]
    allowed_names: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The refusal as the core words it in a chat ("" when open)."""
        if self.status == "closed":
            return "This request has already been answered or has expired."
        if self.status == "not_allowed":
            return f"Sorry, only {', '.join(self.allowed_names) or 'someone else'} can " \
                   "answer this one."
        return ""


RecordEdit = Callable[[dict[str, Any] | None], dict[str, Any] | None]
"""A step of ``PlatformRecords.edit_thread_record``: the stored record (None: none yet) ->
the new record, or None for "leave it"."""


class ThreadChange(Protocol):
    """A change to a thread record, as ``PlatformRecords.thread_changes`` yields it."""

    @property
    def type(self) -> str:
        """``created``, ``renamed``, ``status_changed``, ``updated``, ``deleted`` …"""
        ...

    @property
    def thread_id(self) -> str: ...


@runtime_checkable
class PlatformRecords(Protocol):
    """The bot's records, for an adapter whose platform is botkit itself (the web adapter
    keeps its messages in the bot's store). Chat platforms with their own history never
    need it. ``BotHandle.records`` gives it."""

    @property
    def store(self) -> StateStore:
        """The bot's store: an adapter keeps its own keys there (under its own prefix)."""
        ...

    async def thread_record(self, thread_id: str) -> dict[str, Any] | None:
        """The thread's record as stored (``botkit.ThreadRecord.to_dict()``), or None."""
        ...

    async def edit_thread_record(self, thread_id: str, edit: RecordEdit
                                 ) -> dict[str, Any] | None:
        """Apply ``edit`` atomically (compare-and-set, retried; subscribers hear of the
        change); returns the record as it is afterwards."""
        ...

    def new_thread_record(self, thread_id: str, platform: str, conversation: Conversation,
                          *, title: str = "") -> dict[str, Any]:
        """A fresh record for ``edit_thread_record`` to store."""
        ...

    def thread_changes(self) -> AbstractAsyncContextManager[AsyncIterator[ThreadChange]]:
        """``async with records.thread_changes() as changes: async for c in changes: …``"""
        ...

    async def read_state(self, thread_id: str) -> Any:
        """The agent state of the thread (``{}`` when none)."""
        ...

    async def set_state(self, thread_id: str, state: Any) -> None:
        """Replace the agent state (a new checkpoint; refused while a run is busy)."""
        ...

    async def resume(self, platform: str, conversation: Conversation, value: Any = None, *,
                     user: PlatformUser | None = None, cancel: bool = False) -> RunResult:
        """Continue the agent run interrupted in ``conversation`` (``Thread.resume``):
        ``InteractionExpired`` when nothing waits, ``UserError`` for an answer that does
        not fit (see ``BotHandle.check_resume``)."""
        ...
