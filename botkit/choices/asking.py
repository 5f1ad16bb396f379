"""``thread.await_choice``: one question, from posting its card to its answer, as a
coroutine object written by hand (``Asking``).

Thousands of turns wait for a person at once, for hours. A coroutine function would keep
its frame (every local and its value stack, ~300 B) and an iterator over the choice's
future for the whole wait; ``Asking`` keeps seven slots. It runs in three steps:

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
import dataclasses
import time
import uuid
from collections.abc import Coroutine, Generator, Iterable
from typing import TYPE_CHECKING, Any

from botkit.choices.records import ChoiceRecord
from botkit.choices.registry import PendingChoice
from botkit.choices.surface import ChoiceSurface
from botkit.errors import ChoiceTimeout, RunSuspended, UserError
from botkit.run.calls import ToolCall
from botkit.store.memory import MemoryStore
from botkit.types import MessageRef, PlatformUser
from botkit.ui.binding import close_controls, mark_choice, to_message
from botkit.ui.nodes import Message, Renderable

if TYPE_CHECKING:
    from botkit.choices.service import Choices

__all__ = ["Asking", "time_out"]

_TIMED_OUT = object()
"""What a choice's future is resolved with at its deadline (``time_out``)."""
_OPENED = object()
"""What opening returns (closing returns the answer)."""


def time_out(pending: PendingChoice) -> None:
    """``pending``'s deadline passed: wake its wait; an answer given at the last moment
    resolves the fresh future left in its place."""
    if not pending.future.done():
        waiting, pending.future = pending.future, pending.future.get_loop().create_future()
        waiting.set_result(_TIMED_OUT)


class Asking(Coroutine[Any, Any, Any], Generator[Any, None, Any]):
    """One ``await_choice``, from asking to the answer (see the module's text)."""

    __slots__ = ("_call", "_choices", "_pending", "_step", "_surface", "_timeout",
                 "_waiting")

    def __init__(self, choices: Choices, surface: ChoiceSurface, ui: Renderable, *,
                 allowed_users: Iterable[PlatformUser | str] | None, timeout: float | None,
                 call: ToolCall | None) -> None:
        self._choices = choices
        self._surface = surface
        self._timeout = timeout
        self._call = call
        self._pending: PendingChoice | None = None
        self._waiting = False
        """Whether opening marked the thread as waiting for a person (closing unmarks)."""
        self._step: Coroutine[Any, Any, Any] | asyncio.Future[Any] | None = \
            self._open(ui, allowed_users)
        """The coroutine running (opening, then closing), or the future waited on."""

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
            if isinstance(step, asyncio.Future):  # woken: the answer, or what was thrown
                if error is None:
                    try:
                        value = step.result()
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
            # opened: wait for the answer as ``await future`` would
            assert self._pending is not None
            step = self._step = self._pending.future
            value, error = None, None
            if not step.done():
                step._asyncio_future_blocking = True
                return step

    def close(self) -> None:
        if self._step is None:
            return
        try:
            self.throw(GeneratorExit)
        except (GeneratorExit, StopIteration):
            return
        raise RuntimeError("coroutine ignored GeneratorExit")

    # -- the steps -------------------------------------------------------------------------
    async def _open(self, ui: Renderable, allowed_users: Iterable[PlatformUser | str] | None
                    ) -> object:
        """Say a person has the turn, register, record and post the choice."""
        choices, surface, call = self._choices, self._surface, self._call
        self._waiting = await surface.waiting(True)
        try:
            choice_id = uuid.uuid4().hex[:16]
            card = to_message(ui)
            message, labels = mark_choice(card, choice_id)
            if not labels:
                raise UserError("await_choice needs a message with at least one Button or "
                                "Select")
            pending = choices.registry.open(choice_id, conversation=surface.conversation,
                                            card=card, allowed_users=allowed_users)
            relay = choices.relay
            try:
                pending.in_tool = call is not None
                record = self._record(message, labels, pending)
                pending.recorded = await relay.save(choice_id, record)
                pending.suspend = pending.recorded and call is not None and \
                    not isinstance(relay.store, MemoryStore)
                if pending.recorded:
                    await relay.start()
                pending.ref = await surface.post(message)
                if pending.recorded:
                    await relay.note_ref(choice_id, record, _with_ref(record, pending.ref))
            except BaseException:
                if pending.recorded:  # nobody waits for it any more
                    await relay.forget(choice_id)
                choices.registry.close(choice_id)
                raise
        except BaseException:
            if self._waiting:
                await surface.waiting(False)
            raise
        self._pending = pending
        choices.registry.announce()
        if self._timeout is not None:  # at the deadline ``time_out`` wakes the wait
            choices.deadlines.add(choice_id, self._timeout)
        return _OPENED

    def _record(self, card: Message, labels: dict[str, str], pending: PendingChoice
                ) -> ChoiceRecord:
        surface, call, timeout = self._surface, self._call, self._timeout
        return ChoiceRecord(
            platform=surface.platform, conversation=surface.conversation,
            card=card, labels=labels,
            allowed=None if pending.allowed_user_ids is None
            else tuple(sorted(pending.allowed_user_ids)),
            allowed_names=pending.allowed_names, owner=self._choices.relay.replica,
            timeout=timeout, deadline=None if timeout is None else time.time() + timeout,
            call=call, user=surface.user if call is not None else None,
            message=surface.message if call is not None else None)

    async def _closing(self, value: Any, error: BaseException | None) -> Any:
        """The answer (``value``) or how the wait ended (``error``): tidy up, return it."""
        pending, choices = self._pending, self._choices
        assert pending is not None
        if self._timeout is not None:
            choices.deadlines.discard(pending.id)
        try:
            if error is not None:
                raise error
            if value is _TIMED_OUT:
                value = await self._timed_out(pending)
            if self._call is not None:
                self._call.answers.append(value)  # replayed, if the tool call runs again
            return value
        except RunSuspended:
            raise  # the record stays: the answer will be replayed
        except BaseException:
            if pending.recorded:  # nobody waits for it any more
                await choices.relay.forget(pending.id)
            raise
        finally:
            choices.registry.close(pending.id)
            if self._waiting:
                await self._surface.waiting(False)

    async def _timed_out(self, pending: PendingChoice) -> Any:
        relay = self._choices.relay
        if pending.recorded and not await relay.claim(pending.id):
            # answered at the last moment, here or in another process: its answer is coming
            try:
                return await asyncio.wait_for(asyncio.shield(pending.future),
                                              relay.handoff_timeout * 2)
            except TimeoutError:
                if pending.in_tool:
                    raise RunSuspended("another process took this tool call over") from None
        if pending.ref is not None:
            await self._surface.close(pending.ref, close_controls(pending.message,
                                                                  "⏱ No answer in time."))
        raise ChoiceTimeout(f"nobody answered within {self._timeout} seconds")


def _with_ref(record: ChoiceRecord, ref: MessageRef) -> ChoiceRecord:
    return dataclasses.replace(record, ref=ref)
