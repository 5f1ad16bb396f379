"""``thread.await_choice``: one question, from posting its card to its answer
(``PendingChoice``: the registry's entry for it, and the coroutine, written by hand, that
asks it and waits).

Thousands of turns wait for a person at once, for hours. A coroutine function would keep
its frame (every local and its value stack, ~300 B) and an iterator over the choice's
future for the whole wait, beside the registry's record of the choice; a
``PendingChoice`` is both, in slots. It runs in three steps:

- opening, a coroutine: the thread's status says a person has the turn, the choice is
  registered, recorded in the store, its card posted, its deadline set;
- waiting: the choice's future is handed to the task as ``await future`` would hand it
  (nothing of a frame is suspended, only this object, which the handler awaits);
- closing, a coroutine: a timeout's claim and card, a tool call's recorded answer, the
  record forgotten when nobody waits for it any more, the status back.

A task can run it (``asyncio.iscoroutine`` holds), ``await`` reaches it through the
handler's frame: ``send``, ``throw`` and ``close`` are the coroutine protocol.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import time
import uuid
from collections.abc import Callable, Coroutine, Generator, Iterable
from typing import TYPE_CHECKING, Any

from botkit.choices.records import ChoiceRecord
from botkit.choices.surface import ChoiceSurface
from botkit.errors import ChoiceTimeout, RunSuspended, UserError
from botkit.run.calls import ToolCall
from botkit.store.memory import MemoryStore
from botkit.types import MessageRef, PlatformUser
from botkit.ui.binding import close_controls, mark_choice, to_message
from botkit.ui.nodes import Message, Renderable

if TYPE_CHECKING:
    from botkit.choices.service import Choices

__all__ = ["PendingChoice"]

_TIMED_OUT = object()
"""What the wait ends with at the choice's deadline (``PendingChoice.time_out``)."""
_OPENED = object()
"""What opening returns (closing returns the answer)."""
_NO_OUTCOME = object()
"""The outcome of a choice still waiting."""


class _Raised:
    """An outcome that is an exception (``cancelled``: by ``cancel``)."""

    __slots__ = ("cancelled", "error")

    def __init__(self, error: BaseException, *, cancelled: bool = False) -> None:
        self.error = error
        self.cancelled = cancelled


class PendingChoice(Coroutine[Any, Any, Any], Generator[Any, None, Any]):
    """One ``await_choice`` asked in this process, from asking to the answer (see the
    module's text): who may answer, its card and the future an answer resolves, for the
    registry and the clicks; ``send``/``throw``/``close`` for the handler awaiting it."""

    __slots__ = ("_asyncio_future_blocking", "_call", "_choices", "_late", "_loop",
                 "_outcome", "_step", "_surface", "_timeout", "_waiting", "_wake",
                 "_wake_context", "allowed_names", "allowed_user_ids", "answered", "card",
                 "conversation", "id", "recorded", "ref")
    card: Message
    """The card as the handler gave it (the handler keeps it too): its controls pointed at
    this choice (``message``) are made again when needed, not kept beside it."""
    _loop: asyncio.AbstractEventLoop
    """The loop it waits on (set once the choice is open)."""

    def __init__(self, choices: Choices, surface: ChoiceSurface, ui: Renderable, *,
                 allowed_users: Iterable[PlatformUser | str] | None, timeout: float | None,
                 call: ToolCall | None) -> None:
        self.id = uuid.uuid4().hex[:16]
        self.conversation = surface.conversation
        allowed = None if allowed_users is None else list(allowed_users)
        self.allowed_user_ids = None if allowed is None else frozenset(
            u.id if isinstance(u, PlatformUser) else u for u in allowed)
        self.allowed_names: tuple[str, ...] = () if allowed is None else tuple(
            u.display_name if isinstance(u, PlatformUser) else u for u in allowed)
        self.ref: MessageRef | None = None
        self.answered = False
        """Set by the first accepted click, before the card is closed, so a second click
        arriving meanwhile is refused instead of resolving the future twice."""
        self.recorded = False
        """Recorded in the store: a click is claimed there, wherever it arrives."""
        self._choices = choices
        self._surface = surface
        self._timeout = timeout
        self._call = call
        self._waiting = False
        """Whether opening marked the thread as waiting for a person (closing unmarks)."""
        self._step: Coroutine[Any, Any, Any] | PendingChoice | None = self._open(ui)
        """The coroutine running (opening, then closing), or this choice while it waits."""
        self._outcome: Any = _NO_OUTCOME
        """The answer, or a ``_Raised``: how the wait ended."""
        self._late: asyncio.Future[Any] | None = None
        """Made at the deadline: where an answer given at the last moment goes."""
        self._wake: Callable[[Any], object] | None = None
        self._wake_context: contextvars.Context | None = None
        """The task waiting on this choice: its wake-up and its context."""
        self._asyncio_future_blocking: bool | None = None
        """``asyncio``'s mark of a future-like object a task waits on: None but while it
        waits (so ``asyncio.isfuture`` does not take it for one before it is awaited)."""

    @property
    def in_tool(self) -> bool:
        """Asked by a bot tool (its call can be replayed elsewhere)."""
        return self._call is not None

    @property
    def suspend(self) -> bool:
        """Inside a tool, on a durable store: when the bot stops, the run is suspended (to
        be replayed after the restart) rather than told the choice expired."""
        return self.recorded and self._call is not None and \
            not isinstance(self._choices.relay.store, MemoryStore)

    def allows(self, user: PlatformUser) -> bool:
        return self.allowed_user_ids is None or user.id in self.allowed_user_ids

    @property
    def message(self) -> Message:
        """The card as posted: its controls' action ids name this choice."""
        return mark_choice(self.card, self.id)[0]

    @property
    def labels(self) -> dict[str, str]:
        """Per action id, the label to show once answered."""
        return mark_choice(self.card, self.id)[1]

    # -- the answer: what a click resolves, and what the task waits on -------------------
    @property
    def future(self) -> PendingChoice | asyncio.Future[Any]:
        """What an answer resolves (``done``, ``set_result``, ``set_exception``): this
        choice itself, or past its deadline the future a last-moment answer goes to."""
        return self if self._late is None else self._late

    def time_out(self) -> None:
        """The deadline passed: wake the wait; an answer given at the last moment goes to a
        future made now (``future``)."""
        if self._late is None and self._outcome is _NO_OUTCOME:
            self._late = self._loop.create_future()
            self._end(_TIMED_OUT)

    def done(self) -> bool:
        return self._outcome is not _NO_OUTCOME

    def cancelled(self) -> bool:
        outcome = self._outcome
        return isinstance(outcome, _Raised) and outcome.cancelled

    def set_result(self, value: Any) -> None:
        self._end(value)

    def set_exception(self, error: BaseException) -> None:
        self._end(_Raised(error))

    def _end(self, outcome: Any) -> None:
        if self._outcome is not _NO_OUTCOME:
            raise asyncio.InvalidStateError("the choice has its outcome already")
        self._outcome = outcome
        wake, context = self._wake, self._wake_context
        if wake is not None:
            self._wake = self._wake_context = None
            self._loop.call_soon(wake, self, context=context)

    # asyncio's future-like protocol, as a task uses it while it waits on this object (no
    # ``asyncio.Future`` per waiting choice: ~150 B)
    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def add_done_callback(self, fn: Callable[[Any], object], *,
                          context: contextvars.Context | None = None) -> None:
        if self._outcome is not _NO_OUTCOME:
            self._loop.call_soon(fn, self, context=context)
        elif self._wake is not None:
            raise RuntimeError("a waiting choice has one waiter, the task awaiting it")
        else:
            self._wake, self._wake_context = fn, context

    def remove_done_callback(self, fn: Callable[[Any], object]) -> int:
        if self._wake is None or self._wake != fn:
            return 0
        self._wake = self._wake_context = None
        return 1

    def cancel(self, msg: Any | None = None) -> bool:
        if self._outcome is not _NO_OUTCOME:
            return False
        self._end(_Raised(asyncio.CancelledError(msg), cancelled=True))
        return True

    def result(self) -> Any:
        outcome = self._outcome
        if outcome is _NO_OUTCOME:
            raise asyncio.InvalidStateError("the choice has no outcome yet")
        if isinstance(outcome, _Raised):
            raise outcome.error
        return outcome

    def exception(self) -> BaseException | None:
        outcome = self._outcome
        if outcome is _NO_OUTCOME:
            raise asyncio.InvalidStateError("the choice has no outcome yet")
        if isinstance(outcome, _Raised):
            if outcome.cancelled:
                raise outcome.error
            return outcome.error
        return None

    # -- the coroutine protocol ----------------------------------------------------------
    def __await__(self) -> Generator[Any, None, Any]:
        return self

    def send(self, value: Any) -> Any:
        return self._run(value, None)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        if val is None:
            val = typ if isinstance(typ, BaseException) else typ()
        elif not isinstance(val, BaseException):
            val = typ(val)
        return self._run(None, val if tb is None else val.with_traceback(tb))

    def _run(self, value: Any, error: BaseException | None) -> Any:
        """Go on with ``value`` sent in (or ``error`` thrown in) until the next wait."""
        step = self._step
        while True:
            if step is None:
                raise RuntimeError("cannot reuse already awaited coroutine")
            if step is self:  # woken: the answer, or what was thrown
                self._asyncio_future_blocking = None
                if error is None:
                    try:
                        value = self.result()
                    except BaseException as exc:
                        error = exc
                step = self._step = self._closing(value, error)
                value, error = None, None
            try:
                return step.send(value) if error is None else step.throw(error)
            except StopIteration as stop:
                if stop.value is not _OPENED:
                    self._step = None
                    raise  # closing returned: the answer
            except BaseException:
                self._step = None
                raise
            # opened: the task waits on this object, as ``await future`` would make it
            step = self._step = self
            value, error = None, None
            if self._outcome is _NO_OUTCOME:
                self._asyncio_future_blocking = True
                return self

    def close(self) -> None:
        if self._step is None:
            return
        try:
            self.throw(GeneratorExit)
        except (GeneratorExit, StopIteration):
            return
        raise RuntimeError("coroutine ignored GeneratorExit")

    # -- the steps -------------------------------------------------------------------------
    async def _open(self, ui: Renderable) -> object:
        """Say a person has the turn, register, record and post the choice."""
        choices, surface, relay = self._choices, self._surface, self._choices.relay
        self._waiting = await surface.waiting(True)
        try:
            self.card = card = to_message(ui)
            message, labels = mark_choice(card, self.id)
            if not labels:
                raise UserError("await_choice needs a message with at least one Button or "
                                "Select")
            self._loop = asyncio.get_running_loop()
            choices.registry.add(self)
            try:
                record = self._record(message, labels)
                self.recorded = await relay.save(self.id, record)
                if self.recorded:
                    await relay.start()
                self.ref = await surface.post(message)
                if self.recorded:
                    await relay.note_ref(self.id, record, _with_ref(record, self.ref))
            except BaseException:
                if self.recorded:  # nobody waits for it any more
                    await relay.forget(self.id)
                choices.registry.close(self.id)
                raise
        except BaseException:
            if self._waiting:
                await surface.waiting(False)
            raise
        choices.registry.announce()
        if self._timeout is not None:  # at the deadline ``time_out`` wakes the wait
            choices.deadlines.add(self.id, self._timeout)
        return _OPENED

    def _record(self, card: Message, labels: dict[str, str]) -> ChoiceRecord:
        surface, call, timeout = self._surface, self._call, self._timeout
        return ChoiceRecord(
            platform=surface.platform, conversation=self.conversation, card=card,
            labels=labels, allowed=None if self.allowed_user_ids is None
            else tuple(sorted(self.allowed_user_ids)),
            allowed_names=self.allowed_names, owner=self._choices.relay.replica,
            timeout=timeout, deadline=None if timeout is None else time.time() + timeout,
            call=call, user=surface.user if call is not None else None,
            message=surface.message if call is not None else None)

    async def _closing(self, value: Any, error: BaseException | None) -> Any:
        """The answer (``value``) or how the wait ended (``error``): tidy up, return it."""
        choices = self._choices
        if self._timeout is not None:
            choices.deadlines.discard(self.id)
        try:
            if error is not None:
                raise error
            if value is _TIMED_OUT:
                value = await self._timed_out()
            if self._call is not None:
                self._call.answers.append(value)  # replayed, if the tool call runs again
            return value
        except RunSuspended:
            raise  # the record stays: the answer will be replayed
        except BaseException:
            if self.recorded:  # nobody waits for it any more
                await choices.relay.forget(self.id)
            raise
        finally:
            choices.registry.close(self.id)
            if self._waiting:
                await self._surface.waiting(False)

    async def _timed_out(self) -> Any:
        relay = self._choices.relay
        if self.recorded and not await relay.claim(self.id):
            # answered at the last moment, here or in another process: its answer is coming
            try:
                assert self._late is not None
                return await asyncio.wait_for(asyncio.shield(self._late),
                                              relay.handoff_timeout * 2)
            except TimeoutError:
                if self.in_tool:
                    raise RunSuspended("another process took this tool call over") from None
        if self.ref is not None:
            await self._surface.close(self.ref, close_controls(self.message,
                                                               "⏱ No answer in time."))
        raise ChoiceTimeout(f"nobody answered within {self._timeout} seconds")


def _with_ref(record: ChoiceRecord, ref: MessageRef) -> ChoiceRecord:
    return dataclasses.replace(record, ref=ref)
