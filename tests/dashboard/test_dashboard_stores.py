"""The dashboard on durable stores: the same page over SQLite and over Redis (list, live
rename from another tab, state edit, the inbox reading recorded choices)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dashboard_harness import new_tab, seeded, sign_in
from playwright.async_api import Browser, expect

from botkit.store import RedisStore, SQLiteStore, StateStore


@pytest.fixture(params=["sqlite", "redis"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    if request.param == "sqlite":
        made: StateStore = SQLiteStore(tmp_path / "state.db")
    else:
        url = request.getfixturevalue("redis_url")  # skips without Redis (fails under CI)
        made = RedisStore(url, prefix=f"botkit-test-dashboard-{uuid.uuid4().hex[:12]}:")
    try:
        yield made
    finally:
        if isinstance(made, RedisStore):
            for key in await made.scan(""):
                await made.delete(key)
        await made.close()


async def test_the_dashboard_works_on_a_durable_store(browser: Browser, store: StateStore
                                                      ) -> None:
    async with seeded(12, store=store) as bot:
        url = bot.threads_api_url
        assert url is not None
        page = await sign_in(browser, url)
        await expect(page.locator("[data-count=total]")).to_have_text("11 threads")
        await page.get_by_label("Search").fill("Ticket 004")
        await expect(page.locator("tr[data-thread-id]")).to_have_count(1)

        detail = await new_tab(page, url + "/ui/threads/T004")
        await detail.get_by_label("Title").fill("Stored for good")
        await detail.get_by_role("button", name="Rename").click()
        await page.get_by_label("Search").fill("Stored")
        await expect(page.locator("tr[data-thread-id=T004]")).to_contain_text("Stored for good")
        assert (await store.get("thread:T004"))["title"] == "Stored for good"

        await detail.get_by_label("Agent state (JSON)").fill('{"kept": true}')
        await detail.get_by_role("button", name="Save state").click()
        await expect(detail.locator("#state").get_by_role("status")).to_have_text("Saved.")
        assert await bot.threads.get_state("T004") == {"kept": True}

        # a choice recorded in the store shows in the inbox (this process does not wait
        # for it, as after a restart)
        await store.set("choice:c0ffee", {
            "platform": "fake", "conversation": {"id": "T004", "channel": "C1"},
            "card": None, "labels": {}, "allowed": None, "allowed_names": [],
            "owner": "gone", "timeout": None, "deadline": None})
        inbox = await new_tab(page, url + "/ui/inbox")
        await expect(inbox.locator("article.pending")).to_have_count(1)
        await expect(inbox.locator("article.pending h2")).to_contain_text("Stored for good")
