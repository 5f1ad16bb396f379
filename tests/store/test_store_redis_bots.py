"""Bots sharing one Redis behave as one: dedup, serialized turns, queued turns, records.
Also: what happens to the Redis tests when Redis is missing (skip; fail under CI)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from botkit import Bot, RedisStore, TurnContext, create_bot
from botkit.testing import FakeAdapter, running

ROOT = Path(__file__).resolve().parents[2]


class Spy(RedisStore):
    """Tells when a lock it asked for was held by someone else."""

    refused_once: asyncio.Event

    async def acquire_lock(self, key: str, *, ttl: float) -> str | None:
        token = await super().acquire_lock(key, ttl=ttl)
        if token is None:
            self.refused_once.set()
        return token


def two_bots(url: str, prefix: str, **kwargs: Any) -> tuple[Bot, FakeAdapter, Bot, FakeAdapter]:
    fake_a, fake_b = FakeAdapter(), FakeAdapter()
    store_b = Spy(url, prefix=prefix)
    store_b.refused_once = asyncio.Event()
    bot_a = create_bot(adapters=[fake_a], store=RedisStore(url, prefix=prefix), **kwargs)
    bot_b = create_bot(adapters=[fake_b], store=store_b, **kwargs)
    return bot_a, fake_a, bot_b, fake_b


async def close(*bots: Bot) -> None:
    for bot in bots:
        await bot.store.close()


async def test_an_event_delivered_to_both_is_handled_once(redis_url: str,
                                                          redis_prefix: str) -> None:
    bot_a, fake_a, bot_b, _ = two_bots(redis_url, redis_prefix)
    seen: list[str] = []
    for bot in (bot_a, bot_b):
        bot.on_mention(lambda ctx: seen.append(ctx.text))
    try:
        async with running(bot_a), running(bot_b):
            event = fake_a.message_event("once")
            await asyncio.gather(bot_a.dispatch(event), bot_b.dispatch(event))
        assert len(seen) == 1
        assert [t.id for t in await bot_b.threads.list()] == ["C1:t1"]  # one shared record
    finally:
        await close(bot_a, bot_b)


async def test_turns_of_one_conversation_are_serialized_across_bots(
    redis_url: str, redis_prefix: str
) -> None:
    bot_a, fake_a, bot_b, fake_b = two_bots(redis_url, redis_prefix, lock_ttl=5)
    gate, started = asyncio.Event(), asyncio.Event()
    log: list[str] = []

    async def slow(ctx: TurnContext) -> None:
        log.append(f"start {ctx.text}")
        started.set()
        await gate.wait()
        log.append(f"end {ctx.text}")
    bot_a.on_mention(slow)
    bot_b.on_mention(lambda ctx: log.append(f"b {ctx.text}"))
    try:
        async with running(bot_a), running(bot_b), asyncio.timeout(10):
            first = bot_a.spawn(bot_a.dispatch(fake_a.message_event("one")))
            await started.wait()
            other = replace(fake_b.message_event("two"), event_id="ev-two")
            second = bot_b.spawn(bot_b.dispatch(other))
            assert isinstance(bot_b.store, Spy)
            await bot_b.store.refused_once.wait()  # b asked for the lock a holds
            assert not second.done()
            gate.set()
            await asyncio.gather(first, second)
        assert log == ["start one", "end one", "b two"]
    finally:
        await close(bot_a, bot_b)


async def test_a_queued_message_is_answered_by_the_other_bots_turn(
    redis_url: str, redis_prefix: str
) -> None:
    bot_a, fake_a, bot_b, fake_b = two_bots(redis_url, redis_prefix, concurrency="queue")
    gate, started = asyncio.Event(), asyncio.Event()
    turns: list[tuple[str, tuple[str, ...]]] = []

    async def handle(ctx: TurnContext) -> None:
        turns.append((ctx.text, tuple(m.text for m in ctx.skipped)))
        if len(turns) == 1:
            started.set()
            await gate.wait()
    bot_a.on_mention(handle)
    bot_b.on_mention(handle)
    try:
        async with running(bot_a), running(bot_b), asyncio.timeout(10):
            first = bot_a.spawn(bot_a.dispatch(fake_a.message_event("first")))
            await started.wait()
            for i, text in enumerate(("b1", "b2")):
                await bot_b.dispatch(replace(fake_b.message_event(text), event_id=f"ev-b{i}"))
            gate.set()
            await first
        assert turns == [("first", ()), ("b2", ("b1",))]
        assert await bot_a.store.scan("turn") == []
    finally:
        await close(bot_a, bot_b)


def run_redis_test(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    target = "tests/store/test_store_url.py::test_redis_keys_live_under_the_prefix"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", target],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_without_redis_the_tests_skip_except_under_ci() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["REDIS_URL"] = "redis://127.0.0.1:1"  # nothing listens there
    skipped = run_redis_test(env)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "1 skipped" in skipped.stdout
    assert "Redis is not reachable at redis://127.0.0.1:1" in skipped.stdout
    failed = run_redis_test({**env, "CI": "true"})
    assert failed.returncode != 0
    assert "CI is set, so a missing Redis fails the run" in failed.stdout
