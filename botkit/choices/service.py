"""``Choices``: asking a person (``thread.await_choice``, ``asking``), offering a question
whose answer goes to a named function (``thread.offer_choice``, ``offers``) and routing a
click on a choice's controls to the question it answers, in this process or another
(``answering``, ``relay``). One deadline timer serves the choices asked and offered here."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from botkit.choices.answering import Answerer, Answering, ReplayBlocker, Replayer
from botkit.choices.asking import PendingChoice
from botkit.choices.deadlines import Deadlines
from botkit.choices.offers import Offers, SurfaceFor
from botkit.choices.registry import ChoiceRegistry
from botkit.choices.relay import ChoiceRelay
from botkit.choices.surface import EXPIRED, REQUEST_EXPIRED, ChoiceSurface
from botkit.events import InteractionEvent
from botkit.run.calls import ToolCall
from botkit.store.base import StateStore
from botkit.types import PlatformUser
from botkit.ui.nodes import Renderable

__all__ = ["EXPIRED", "REQUEST_EXPIRED", "ChoiceSurface", "Choices", "Replayer"]


class Choices:
    """Pending choices: this process's (``registry``), and recorded ones (``relay``)."""

    def __init__(self, store: Callable[[], StateStore], *, replay: Replayer,
                 replay_blocker: ReplayBlocker, answer: Answerer | None = None,
                 surface_for: SurfaceFor | None = None) -> None:
        self.registry = ChoiceRegistry()
        self.relay = ChoiceRelay(store, self.registry)
        self.deadlines = Deadlines(self._expire, self._waiting)
        self.offers = Offers(self.relay, self.deadlines, surface_for)
        self.answering = Answering(self.registry, self.relay, self.offers, replay=replay,
                                   replay_blocker=replay_blocker, answer=answer)

    def ask(self, surface: ChoiceSurface, ui: Renderable, *,
            allowed_users: Iterable[PlatformUser | str] | None, timeout: float | None,
            call: ToolCall | None) -> PendingChoice:
        """Post ``ui`` in ``surface``'s conversation and wait for a click on its controls
        (awaiting what this returns gives the clicked value; ``Thread.await_choice``)."""
        return PendingChoice(self, surface, ui, allowed_users=allowed_users, timeout=timeout,
                      call=call)

    async def offer(self, surface: ChoiceSurface, ui: Renderable, *, on_answer: str,
                    allowed_users: Iterable[PlatformUser | str] | None,
                    timeout: float | None) -> str:
        """Post a question answered by the function ``on_answer`` names (``Offers``)."""
        return await self.offers.offer(surface, ui, on_answer=on_answer,
                                       allowed_users=allowed_users, timeout=timeout)

    async def on_click(self, event: InteractionEvent, surface: ChoiceSurface) -> None:
        """A click on a choice's control (``choice_id_of(event.action_id)`` is set)."""
        await self.answering.on_click(event, surface)

    async def cancel(self, surface: ChoiceSurface, reason: str,
                     choice_id: str | None = None) -> list[str]:
        """Cancel this process's choices waiting in ``surface``'s conversation (only
        ``choice_id`` when given); returns the ids cancelled (``Answering.cancel``)."""
        return await self.answering.cancel(surface, reason, choice_id)

    # -- deadlines -----------------------------------------------------------------------
    def _waiting(self, choice_id: str) -> bool:
        """Whether the choice ``choice_id`` (with a deadline here) still waits."""
        pending = self.registry.get(choice_id)
        return self.offers.waiting(choice_id) or \
            (pending is not None and not pending.future.done())

    def _expire(self, choice_id: str) -> None:
        """A choice's deadline passed."""
        if self.offers.waiting(choice_id):
            self.offers.expire(choice_id)
            return
        pending = self.registry.get(choice_id)
        if pending is not None:
            pending.time_out()

    # -- lifecycle -----------------------------------------------------------------------
    def cancel_all(self, reason: BaseException, *, suspend: BaseException | None = None
                   ) -> None:
        self.registry.cancel_all(reason, suspend=suspend)

    async def stop(self) -> None:
        await self.offers.stop()
        await self.relay.stop()

