"""``until``: wait for state that no event announces (another process's making, a store's,
a platform's), polling with a deadline. A deadline, never a timing assertion: it only
bounds how long a broken test hangs."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

__all__ = ["until"]


async def until(check: Callable[[], bool | Awaitable[bool]], what: str = "the condition", *,
                timeout: float = 15.0) -> None:
    """Return once ``check()`` (sync or async) is true; ``AssertionError`` naming ``what``
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.01)
