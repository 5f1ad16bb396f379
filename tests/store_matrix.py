"""Store fixtures shared by tests/inbox, tests/events, tests/web and tests/recovery:
``make_store`` opens another connection to the same state on every call (memory: the same
object, as it lives in this process), over memory, SQLite and Redis; ``shared_url`` is a
SQLite file or Redis URL for several processes to share."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from botkit.store import MemoryStore, RedisStore, SQLiteStore, StateStore

__all__ = ["make_store", "shared_url", "store_kind"]


@pytest.fixture(params=["memory", "sqlite", "redis"])
def store_kind(request: pytest.FixtureRequest) -> tuple[str, str, str]:
    if request.param != "redis":
        return request.param, "", ""
    return "redis", request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")


@pytest.fixture(params=["sqlite", "redis"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store URL that several processes can share: a SQLite file, or Redis under a
    prefix of this test's own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    return f"{url}/0?prefix={prefix}"


@pytest.fixture
async def make_store(store_kind: tuple[str, str, str],
                     tmp_path: Path) -> AsyncIterator[Callable[[], StateStore]]:
    kind, url, prefix = store_kind
    opened: list[StateStore] = []
    shared = MemoryStore()

    def make() -> StateStore:
        if kind == "memory":
            store: StateStore = shared
        elif kind == "sqlite":
            store = SQLiteStore(tmp_path / "state.db")
        else:
            store = RedisStore(url, prefix=prefix)
        opened.append(store)
        return store
    yield make
    for store in {id(s): s for s in opened}.values():
        await store.close()
