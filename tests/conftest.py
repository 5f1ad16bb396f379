"""Shared fixtures. Redis comes from ``REDIS_URL`` (default redis://127.0.0.1:6379): when it
is unreachable the tests that need it skip, except under CI (env ``CI`` set), where they
fail."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import redis

from botkit.store import RedisStore

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")


def _under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def _unreachable(url: str) -> str | None:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    error = _unreachable(REDIS_URL)
    if error is not None:
        message = (f"Redis is not reachable at {REDIS_URL} ({error}); start redis-server or "
                   "set REDIS_URL")
        if _under_ci():
            pytest.fail(f"{message}. CI is set, so a missing Redis fails the run.")
        pytest.skip(message)
    return REDIS_URL


def unique_prefix() -> str:
    return f"botkit-test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture
async def redis_prefix(redis_url: str) -> AsyncIterator[str]:
    """A fresh key namespace; everything under it is deleted after the test."""
    prefix = unique_prefix()
    yield prefix
    cleaner = RedisStore(redis_url, prefix=prefix)
    try:
        for key in await cleaner.scan(""):
            await cleaner.delete(key)
    finally:
        await cleaner.close()
