"""Click handlers by action id, bounded so a long-running bot does not grow forever."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping

from botkit.ui.nodes import ClickHandler

MAX_BOUND_ACTIONS = 10_000


class ActionRegistry:
    """The most recently bound handlers; the oldest are forgotten past ``limit`` (a click on
    one of those is answered as expired, like any unknown button)."""

    def __init__(self, limit: int = MAX_BOUND_ACTIONS) -> None:
        self.limit = limit
        self._handlers: OrderedDict[str, ClickHandler] = OrderedDict()

    def update(self, handlers: Mapping[str, ClickHandler]) -> None:
        for action_id, handler in handlers.items():
            self._handlers[action_id] = handler
            self._handlers.move_to_end(action_id)
        while len(self._handlers) > self.limit:
            self._handlers.popitem(last=False)

    def get(self, action_id: str) -> ClickHandler | None:
        return self._handlers.get(action_id)

    def __contains__(self, action_id: object) -> bool:
        return action_id in self._handlers

    def __len__(self) -> int:
        return len(self._handlers)
