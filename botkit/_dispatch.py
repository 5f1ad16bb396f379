"""Running a handler and the error policy around it."""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from botkit.errors import InteractionExpired, RunSuspended

if TYPE_CHECKING:
    from botkit.thread import Thread

__all__ = ["Handler", "notify", "run_handler"]

log = logging.getLogger("botkit")
Handler = Callable[[Any], Awaitable[Any] | Any]


async def run_handler(handler: Handler, ctx: Any, thread: Thread) -> None:
    """Run a handler; if it raises, log it and tell the user briefly. Never raises."""
    try:
        result = handler(ctx)
        if inspect.isawaitable(result):
            await result
    except InteractionExpired:
        await notify(thread, "This request has already been answered or has expired.")
    except RunSuspended as suspended:
        log.info("a run in %s is suspended: %s", thread.id, suspended)
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("handler %s failed (error %s)", getattr(handler, "__name__", handler),
                      ref)
        await notify(thread, f"⚠️ Sorry, something went wrong handling that (error {ref}).")


async def notify(thread: Thread, text: str) -> None:
    try:
        await thread.show_notice(text)
    except Exception:
        log.exception("could not post an error notice in %s", thread.id)
