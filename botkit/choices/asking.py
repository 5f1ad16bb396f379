"""``thread.await_choice``: one question, from posting its card to its answer
(``PendingChoice``: the registry's entry for it, the coroutine, written by hand, that asks
it and waits, and what the waiting task waits on).

Thousands of turns wait for a person at once, for hours. A coroutine function would keep
its frame (every local and its value stack, ~300 B), an iterator over an
``asyncio.Future`` and the future itself (~200 B) for the whole wait, beside the
registry's record of the choice; a ``PendingChoice`` is all of them, in slots. It runs in
three steps:

- opening, a coroutine: the thread's status says a person has the turn, the choice is
  registered, recorded in the store, its card posted, its deadline set;
- waiting: the task waits on the choice itself (asyncio's future-like protocol: one
  waiter, the task); nothing of a frame is suspended;
- closing, a coroutine: a timeout's claim and card, a tool call's recorded answer, the
  record forgotten when nobody waits for it any more, the status back.

A task can run it (``asyncio.iscoroutine`` holds), ``await`` reaches it through the
handler's frame: ``send``, ``throw`` and ``close`` are the coroutine protocol. A click
resolves it through ``future`` (the choice itself until its deadline; past it, a future
made for an answer given at the last moment).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import Coroutine, Generator, Iterable
from typing import TYPE_CHECKING, Any

from botkit.choices.outcome import TIMED_OUT, Outcome
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

_OPENED = object()
"""What opening returns (closing returns the answer)."""


class PendingChoice(Outcome, Coroutine[Any, Any, Any], Generator[Any, None, Any]):
    """One ``await_choice`` asked in this process, from asking to the answer (see the
    module's text): who may answer, its card and what an answer resolves (``future``),
    for the registry and the clicks; ``send``/``throw``/``close`` for the handler awaiting
    it; ``add_done_callback``/``result``/``cancel`` for the task waiting on it."""

    __slots__ = ("_call", "_choices", "_step", "_surface", "_timeout", "_waiting",
                 "allowed_names", "allowed_user_ids", "answered", "card", "conversation",
                 "id", "recorded", "ref")
    card: Message
    """The card as the handler gave it (the handler keeps it too): its controls pointed at
    this choice (``message``) are made again when needed, not kept beside it."""

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
        super().__init__()

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
            if not self.done():
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
            if value is TIMED_OUT:
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
