"""Misuse fails at once with the fix in the message; background failures are not lost."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from botkit import UserError, create_bot
from botkit.store import MemoryStore
from botkit.testing import FakeAdapter, running


@pytest.mark.parametrize(("kwargs", "hint"), [
    ({"adapters": FakeAdapter()}, "adapters must be a list"),
    ({"adapters": ["slack"]}, "is not a platform adapter"),
    ({"agent": "http://127.0.0.1:9/agent"}, "AgUiHttpAgent(url)"),
    ({"agent": 42}, "agent must be an Agent"),
    ({"tools": [42]}, "neither a function nor a BotTool"),
    ({"context": ["just text"]}, "(description, value) pair"),
    ({"context": [{"a": 1}]}, "(description, value) pair"),
    ({"max_iterations": "3"}, "max_iterations must be a whole number"),
    ({"max_iterations": 0}, "max_iterations must be a whole number"),
])
def test_bad_arguments_name_the_fix(kwargs: dict[str, Any], hint: str) -> None:
    with pytest.raises(UserError) as raised:
        create_bot(**kwargs)
    assert hint in str(raised.value)


def test_good_arguments_in_any_iterable_shape() -> None:
    bot = create_bot(adapters=(FakeAdapter(),), context=iter([("Company", "Acme")]),
                     tools=(t for t in ()))
    assert [c.value for c in bot._runtime.registry.context] == ["Acme"]


class BrokenStore(MemoryStore):
    async def get(self, key: str) -> Any:
        raise OSError("disk is a file, not a folder")


async def test_an_unusable_store_fails_at_start_naming_the_option() -> None:
    bot = create_bot(adapters=[FakeAdapter()], store=BrokenStore())
    with pytest.raises(UserError, match="--store"):
        await bot.start()


async def test_failures_of_background_work_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    bot = create_bot(adapters=[FakeAdapter()])

    async def boom() -> None:
        raise RuntimeError("lost?")

    async with running(bot):
        with caplog.at_level(logging.ERROR, logger="botkit"):
            task = bot.spawn(boom())
            await asyncio.wait({task})
            await asyncio.sleep(0)  # done-callbacks run on the next loop iteration
    assert any("background work failed" in r.message and r.exc_info for r in caplog.records)


class ClosingStore(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    async def set(self, key: str, value: Any, *, ttl: float | None = None) -> None:
        self.events.append(f"set {key}")
        await super().set(key, value, ttl=ttl)

    async def close(self) -> None:
        self.events.append("close")
        await super().close()


async def test_stop_lets_cancelled_work_unwind_before_the_store_closes(
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = ClosingStore()
    bot = create_bot(adapters=[FakeAdapter()], store=store)
    bot.owns_store = True
    started = asyncio.Event()

    async def long_turn() -> None:
        try:
            started.set()
            await asyncio.Event().wait()
        finally:
            await store.set("released", True)

    real_wait = asyncio.wait

    async def no_grace(tasks: Any, timeout: float | None = None, **kw: Any) -> Any:
        return await real_wait(tasks, timeout=0, **kw)  # skip the 10 s grace period

    await bot.start()
    bot.spawn(long_turn())
    await started.wait()
    monkeypatch.setattr(asyncio, "wait", no_grace)
    await bot.stop()
    assert store.events[-2:] == ["set released", "close"]
