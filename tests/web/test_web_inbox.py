"""A bot with the durable inbox on still answers web runs inside the run: the web adapter
keeps its events durable itself (run records), so the inbox hands them to the handlers at
once, while a Slack-like platform's events still go through the inbox."""

from __future__ import annotations

from pathlib import Path

from web_helpers import ALICE, helpdesk_bot

from botkit.store import SQLiteStore
from botkit.testing import FakeAdapter
from botkit_web import WebAdapter


async def test_web_runs_answer_inside_the_run_with_the_inbox_on(tmp_path: Path) -> None:
    web, fake = WebAdapter(), FakeAdapter()
    store = SQLiteStore(tmp_path / "inbox.db")
    bot = helpdesk_bot(web, store)
    bot.add_adapter(fake)
    bot.use_inbox(True)
    await bot.start()
    try:
        assert bot.durable_intake
        await web.create_thread("t")
        run = await web.run("t", "hello", user=ALICE)
        assert run.status == "success"
        said = [m.text for m in await web.messages.all("t")]
        assert said == ["hello", "Hello hello, I am the helpdesk."]
        await fake.emit_mention("hi there")  # returns once stored; answered from the inbox
        answer = await fake.wait_for(lambda s: "Hello hi there" in s.text, timeout=30)
        assert answer.kind in ("post", "stream", "update")
    finally:
        await bot.stop()
        await store.close()
