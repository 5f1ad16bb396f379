"""A change made by another bot process on the same store appears live on the page."""

from __future__ import annotations

import asyncio
import inspect
import sys
import textwrap
from pathlib import Path

import pytest
from dashboard_harness import TOKEN, sign_in
from playwright.async_api import Browser, expect

from botkit import create_bot
from botkit.store import SQLiteStore
from botkit.testing import FakeAdapter
from botkit.threads import ThreadsAPIConfig
from botkit.threads.events import EventHub
from botkit.types import Conversation

if "after" not in inspect.signature(EventHub.subscribe).parameters:
    pytest.skip("thread events reach other processes once they go through the store "
                "(the store-backed event bus, issue 11)", allow_module_level=True)

RENAME = textwrap.dedent("""
    import asyncio, sys
    from botkit import create_bot
    from botkit.store import SQLiteStore
    from botkit.testing import FakeAdapter

    async def main() -> None:
        store = SQLiteStore(sys.argv[1])
        bot = create_bot(adapters=[FakeAdapter()], store=store)
        await bot.start()
        await bot.threads.rename("T1", "Renamed in process B")
        await bot.stop()
        await store.close()

    asyncio.run(main())
""")


async def test_a_rename_in_another_bot_process_appears_live(browser: Browser,
                                                            tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    store = SQLiteStore(path)
    bot = create_bot(adapters=[FakeAdapter()], store=store,
                     threads_api=ThreadsAPIConfig(port=0, token=TOKEN))
    await bot.threads.mutate("T1", lambda old: bot.threads.new_record(
        "T1", "fake", Conversation(id="T1", channel="C1"), title="Started in process A"))
    await bot.start()
    try:
        assert bot.threads_api_url is not None
        page = await sign_in(browser, bot.threads_api_url)
        await expect(page.locator("tr[data-thread-id=T1]")).to_contain_text(
            "Started in process A")
        other = await asyncio.create_subprocess_exec(sys.executable, "-c", RENAME, str(path))
        assert await asyncio.wait_for(other.wait(), 60) == 0
        await expect(page.locator("tr[data-thread-id=T1]")).to_contain_text(
            "Renamed in process B")
    finally:
        await bot.stop()
        await store.close()
