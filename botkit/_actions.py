"""Click handlers by action id: in memory (bounded), and durable where they can be.

A handler that is a module-level function is also recorded in the store at
``action:<id>`` (``{"handler": "module:qualname", "thread": id}``, kept ``ACTION_TTL``), so a
click that arrives after a restart, or at another process sharing the store, finds it again
by looking it up in the modules the app registered handlers from (never by importing
something a store record names). Lambdas, closures, bound methods and ``partial``s carry
data only this process has: they stay in memory, and a click on them after a restart is
answered as expired.
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections import OrderedDict
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from botkit import keys
from botkit.ui.nodes import ClickHandler

if TYPE_CHECKING:
    from botkit.store.base import StateStore

__all__ = ["ACTION_TTL", "ActionRegistry", "handler_ref", "resolve_handler"]

log = logging.getLogger("botkit")
T = TypeVar("T")
MAX_BOUND_ACTIONS = 10_000
ACTION_TTL = 7 * 24 * 3600.0


def _lookup(module_name: str, qualname: str) -> Any:
    found: Any = sys.modules.get(module_name)
    for part in qualname.split("."):
        found = getattr(found, part, None)
        if found is None:
            return None
    return found


def handler_ref(handler: Any) -> str | None:
    """``"module:qualname"`` for a module-level function another process can import again;
    None for anything that carries data of its own (closure, lambda, method, partial)."""
    if not inspect.isfunction(handler) or handler.__closure__:
        return None
    module, qualname = handler.__module__, handler.__qualname__
    if not module or "<" in qualname:
        return None
    return f"{module}:{qualname}" if _lookup(module, qualname) is handler else None


def resolve_handler(ref: str, trusted_modules: Collection[str]) -> ClickHandler | None:
    """The function ``ref`` names, or None. Only modules in ``trusted_modules`` (those the
    app registered handlers or tools from) are searched, and nothing is imported: a record
    in a shared store must not be able to name, say, ``shutil:rmtree``."""
    module, _, qualname = ref.partition(":")
    if not module or not qualname or module not in trusted_modules:
        return None
    found = _lookup(module, qualname)
    if not inspect.isfunction(found) or found.__module__ != module:
        return None
    return found


class ActionRegistry:
    """The most recently bound handlers; the oldest are forgotten past ``limit`` (a click on
    one of those is answered from the store when it was recorded there, else as expired)."""

    def __init__(self, limit: int = MAX_BOUND_ACTIONS) -> None:
        self.limit = limit
        self._handlers: OrderedDict[str, ClickHandler] = OrderedDict()
        self.trusted_modules: set[str] = set()
        """Modules stored click handlers may be restored from."""

    def trusted(self, obj: T, *, origin: Any = None) -> T:
        """Note the module ``obj`` (or ``origin``) comes from as one whose functions may be
        restored as click handlers; returns ``obj``."""
        module = getattr(origin if origin is not None else obj, "__module__", None)
        if isinstance(module, str) and module:
            self.trusted_modules.add(module)
        return obj

    def update(self, handlers: Mapping[str, ClickHandler]) -> None:
        for action_id, handler in handlers.items():
            self._handlers[action_id] = self.trusted(handler)
            self._handlers.move_to_end(action_id)
        while len(self._handlers) > self.limit:
            self._handlers.popitem(last=False)

    async def bind(self, handlers: Mapping[str, ClickHandler], *, thread: str,
                   store: StateStore) -> None:
        """Register ``handlers`` and record the restorable ones in ``store``."""
        for action_id, handler in handlers.items():
            if self._handlers.get(action_id) is handler:
                continue  # recorded when this process bound it first
            ref = handler_ref(handler)
            if ref is None:
                continue
            try:
                await store.set(keys.action_handler(action_id), {"handler": ref, "thread": thread},
                                ttl=ACTION_TTL)
            except Exception:
                log.exception("could not record the click handler %s", ref)
        self.update(handlers)

    async def restore(self, action_id: str, store: StateStore) -> ClickHandler | None:
        """The handler recorded for ``action_id`` (by this process or another), or None."""
        try:
            record = await store.get(keys.action_handler(action_id))
        except Exception:
            log.exception("could not read the click handler of %s", action_id)
            return None
        if not isinstance(record, Mapping):
            return None
        handler = resolve_handler(str(record.get("handler") or ""), self.trusted_modules)
        if handler is None:
            log.info("the stored click handler %r of %s is gone", record.get("handler"),
                     action_id)
            return None
        self.update({action_id: handler})
        return handler

    def get(self, action_id: str) -> ClickHandler | None:
        return self._handlers.get(action_id)

    def __contains__(self, action_id: object) -> bool:
        return action_id in self._handlers

    def __len__(self) -> int:
        return len(self._handlers)
