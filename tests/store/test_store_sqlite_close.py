"""Closing a SQLite store while work is queued is safe, and store URLs never echo secrets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from botkit import UserError
from botkit.store import SQLiteStore, store_from_url


async def test_closing_while_work_is_queued_never_shares_the_connection(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "state.db")
    await store.set("k", 1)
    for _ in range(5):
        before = [asyncio.create_task(store.get("k")) for _ in range(30)]
        closing = asyncio.create_task(store.close())
        after = [asyncio.create_task(store.get("k")) for _ in range(30)]
        results = await asyncio.gather(*before, closing, *after)
        assert results[:30] == [1] * 30
        assert results[31:] == [1] * 30
    await store.close()


@pytest.mark.parametrize("url", ["reddis://:s3cret@cache:6379/0",
                                 "sqlite://user:s3cret@host/x.db",
                                 "ftp://host/x?token=s3cret"])
def test_bad_store_urls_are_reported_without_their_secrets(url: str) -> None:
    with pytest.raises(UserError) as raised:
        store_from_url(url)
    assert "s3cret" not in str(raised.value)
