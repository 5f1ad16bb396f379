"""The shipped conformance suite on all three stores, and the suite's own behaviour."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from botkit import MemoryStore, StateStore
from botkit.testing.store_conformance import (
    CHECKS,
    check_store,
    run_store_check,
    store_conformance_tests,
)


@pytest.mark.parametrize("check", list(CHECKS))
async def test_conformance(make_store: Callable[[], StateStore], check: str) -> None:
    await run_store_check(make_store, check)


async def test_every_store_meets_the_protocol(make_store: Callable[[], StateStore]) -> None:
    store = make_store()
    try:
        assert isinstance(store, StateStore)
    finally:
        await store.close()


# The helper users call from their own test modules: one test per check.
test_memory_store_through_the_shipped_pytest_helper = store_conformance_tests(MemoryStore)


class LeakyLocks(MemoryStore):
    """A broken store: anyone may release a lock."""

    async def release_lock(self, key: str, token: str) -> bool:
        await self.delete(key)
        return True


async def test_the_suite_names_what_a_broken_store_gets_wrong() -> None:
    with pytest.raises(AssertionError) as failed:
        await check_store(LeakyLocks)
    report = str(failed.value)
    assert "locks_are_exclusive" in report
    assert "locks_expire_and_never_release_a_newer_holder" in report
    assert "values_round_trip" not in report


async def test_check_store_passes_a_good_store() -> None:
    await check_store(MemoryStore)



async def test_the_memory_store_keeps_values_as_json_like_the_sqlite_store(
        tmp_path: Path) -> None:
    """What works on the memory store works on the serializing ones: values come back as
    their JSON (a tuple as a list), every kind of value."""
    from botkit.store.sqlite import SQLiteStore

    memory, sqlite = MemoryStore(), SQLiteStore(tmp_path / "s.db")
    try:
        for store in (memory, sqlite):
            await store.set("v", {"pair": (1, "a"), "n": 2})
            await store.list_append("l", ("x", 1))
            assert await store.compare_and_set("v", {"n": 2, "pair": [1, "a"]}, (3,))
        assert await memory.get("v") == await sqlite.get("v") == [3]
        assert await memory.list_range("l") == await sqlite.list_range("l") == [["x", 1]]
        with pytest.raises(TypeError):
            await memory.set("bad", {"a": object()})
    finally:
        await sqlite.close()
        await memory.close()
