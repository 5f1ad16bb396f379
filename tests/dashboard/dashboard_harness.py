"""Bots serving the dashboard for the browser tests: the helpdesk example on the Slack
emulator (real slack_bolt / slack_sdk clients), or a bot whose threads are seeded."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from botkit.bot import Bot
from botkit.cli import load_app
from botkit.testing import FakeAdapter
from botkit.threads import ThreadsAPIConfig
from botkit.types import Conversation
from botkit_slack.adapter import SlackAdapter
from botkit_slack.emulator import EmulatorConfig, SlackEmulator

HELPDESK = Path(__file__).resolve().parents[2] / "examples" / "helpdesk.py"
TOKEN = "dashboard-test-token"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}


async def sign_in(browser: Browser, url: str, path: str = "/", *,
                  viewport: dict[str, int] | None = None) -> Page:
    """A new browser tab, signed in through the sign-in form, showing ``path``."""
    context = await browser.new_context(viewport=viewport or WIDE)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(url + path)
    await expect(page).to_have_url(re.compile(r"/ui/login\?next="))
    await page.get_by_label("API token").fill(TOKEN)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(url + path)
    await listening(page)
    return page


async def new_tab(page: Page, url: str) -> Page:
    """Another tab of the same browser session (same cookie)."""
    other = await page.context.new_page()
    await other.goto(url)
    await listening(other)
    return other


async def listening(page: Page) -> None:
    """Once a page with a live feed has it open (changes before that are not sent)."""
    if await page.locator("[sse-connect]").count():
        await expect(page.locator("#live-status")).to_have_text("Live")


@dataclass
class SlackDesk:
    slack: SlackEmulator
    bot: Bot
    url: str

    def at_bot(self, text: str) -> str:
        return f"<@{self.slack.bot_user_id}> {text}"

    async def mention(self, text: str, *, user: str = "alice",
                      thread_ts: str | None = None) -> dict[str, Any]:
        return await self.slack.user_says(user, self.at_bot(text), self.slack.general,
                                          thread_ts)

    async def reply(self, thread_ts: str, text: str, timeout: float = 10.0) -> dict[str, Any]:
        def done(message: dict[str, Any]) -> bool:
            return message.get("streaming_state", "completed") == "completed"
        return await self.slack.wait_for_message(done, channel=self.slack.general,
                                                 thread_ts=thread_ts, from_bot=True, text=text,
                                                 timeout=timeout)

    def thread_id(self, thread_ts: str) -> str:
        return f"{self.slack.general}:{thread_ts}"


@contextlib.asynccontextmanager
async def slack_helpdesk() -> AsyncIterator[SlackDesk]:
    """The helpdesk example on a SlackAdapter (Socket Mode) against the emulator, serving
    the threads API and dashboard with a token."""
    async with SlackEmulator(config=EmulatorConfig.fast()) as slack:
        bot = load_app(str(HELPDESK))
        bot.adapters = [SlackAdapter(bot_token=slack.bot_token, base_url=slack.base_url,
                                     app_token=slack.app_token, socket_mode=True,
                                     edit_interval=0.2, first_post_delay=0.0)]
        bot.threads_api = ThreadsAPIConfig(port=0, token=TOKEN)
        await bot.start()
        try:
            await slack.wait_for_socket()
            assert bot.threads_api_url is not None
            yield SlackDesk(slack, bot, bot.threads_api_url)
        finally:
            await bot.stop()


@contextlib.asynccontextmanager
async def seeded(count: int, *, tokens: tuple[Any, ...] = (), **bot_options: Any
                 ) -> AsyncIterator[Bot]:
    """A bot (on a FakeAdapter) with ``count`` thread records: titles ``Ticket 000``…,
    statuses idle/busy/interrupted/error in turn, every fifth one on platform ``slack``,
    every seventh archived, updated a minute apart (``Ticket 000`` the oldest). ``tokens``:
    more sign-in tokens besides ``TOKEN`` (``APIToken``s)."""
    from botkit import create_bot

    bot = create_bot(adapters=[FakeAdapter()], threads_api=ThreadsAPIConfig(port=0, token=TOKEN,
                                                                            tokens=tokens),
                     **bot_options)
    threads = bot.threads
    statuses = ("idle", "busy", "interrupted", "error")
    now = time.time()
    for n in range(count):
        thread_id = f"T{n:03d}"
        platform = "slack" if n % 5 == 0 else "fake"
        record = threads.new_record(thread_id, platform, Conversation(id=thread_id,
                                                                      channel="C1"),
                                    title=f"Ticket {n:03d}")
        record.update(status=statuses[n % 4], archived=n % 7 == 6,
                      created_at=now - 3600 - 60 * (count - n), updated_at=now - 60 * (count - n))
        await threads.store.set(f"thread:{thread_id}", record)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
