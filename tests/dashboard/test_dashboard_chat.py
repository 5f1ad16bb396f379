"""The web chat in a real browser, on the web adapter: a streamed answer, a choice answered
with its buttons, the sidebar in sync across tabs."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from dashboard_harness import TOKEN, new_tab, sign_in
from playwright.async_api import Browser, expect

from botkit import Bot, ToolContext, TurnContext, create_bot, ui
from botkit.store import SQLiteStore
from botkit.testing import CallTool, Rule, Say, ScriptedAgent
from botkit.threads import ThreadsAPIConfig

botkit_web = pytest.importorskip("botkit_web", reason="the web adapter (adapters/web) is "
                                 "not installed in this checkout")


@contextlib.asynccontextmanager
async def web_bot(tmp_path: Path) -> AsyncIterator[Bot]:
    agent = ScriptedAgent([
        Rule(r"ticket", Say("Let me check.", delay=0.01),
             CallTool("create_ticket", {"title": "Printer on fire"}),
             Say("Ticket says: {result}")),
        Rule(r"story", Say("Once upon a time " * 40, delay=0.25)),
    ], default=Say("Hello, I am the helpdesk. How can I help?", delay=0.02))
    store = SQLiteStore(tmp_path / "chat.db")
    bot = create_bot(adapters=[botkit_web.WebAdapter(port=0)], agent=agent, store=store,
                     threads_api=ThreadsAPIConfig(port=0, token=TOKEN))

    @bot.tool
    async def create_ticket(title: str, ctx: ToolContext) -> str:
        """Open a ticket once the requester approves it."""
        approved = await ctx.thread.await_choice(
            ui.Message(ui.Section(f"Open a ticket for {title}?"),
                       ui.Actions(ui.Button("Open it", value=True),
                                  ui.Button("Cancel", value=False))), timeout=60)
        return "opened HD-7" if approved else "cancelled"

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
        await store.close()


async def test_a_web_chat_streams_an_answer_and_takes_a_choice(browser: Browser,
                                                               tmp_path: Path) -> None:
    async with web_bot(tmp_path) as bot:
        url = bot.threads_api_url
        assert url is not None
        page = await sign_in(browser, url, "/ui/chat")
        await page.get_by_role("button", name="New conversation").click()
        await expect(page).to_have_url(re.compile(r"/ui/chat/[^/]+$"))
        other = await new_tab(page, page.url)

        await page.get_by_label("Message", exact=True).fill("hi <b>there</b>")
        await page.get_by_role("button", name="Send").click()
        log = page.locator("#chat-log")
        await expect(log.locator(".msg.from-person")).to_contain_text("hi <b>there</b>")
        await expect(log.locator(".msg.from-bot")).to_contain_text(
            "Hello, I am the helpdesk. How can I help?")
        await expect(page.get_by_label("Message", exact=True)).to_have_value("")
        # screen readers hear the answer once it is complete, not every streamed fragment
        await expect(page.locator("#chat-announce")).to_contain_text(
            "The bot answered: Hello, I am the helpdesk")
        assert await page.locator("#live-area").get_attribute("aria-live") is None
        # the other tab shows the conversation too
        await expect(other.locator("#chat-log .msg.from-bot")).to_contain_text(
            "Hello, I am the helpdesk")

        await page.get_by_label("Message", exact=True).fill("open a ticket please")
        await page.get_by_role("button", name="Send").click()
        card = log.locator(".msg", has=page.get_by_role("button", name="Open it"))
        await expect(card).to_contain_text("Open a ticket for Printer on fire?")
        await card.get_by_role("button", name="Open it").click()
        await expect(log).to_contain_text("Ticket says: opened HD-7")
        await expect(log.get_by_role("button", name="Open it")).to_have_count(0)
        await expect(log.locator("details.tool summary")).to_contain_text("create_ticket")

        # the sidebar lists it, renamed live in the other tab
        await page.get_by_label("Title").fill("Printer trouble")
        await page.get_by_role("button", name="Rename").click()
        await expect(other.locator("#chat-sidebar")).to_contain_text("Printer trouble")


async def test_a_streaming_answer_can_be_stopped(browser: Browser, tmp_path: Path) -> None:
    async with web_bot(tmp_path) as bot:
        url = bot.threads_api_url
        assert url is not None
        page = await sign_in(browser, url, "/ui/chat")
        await page.get_by_role("button", name="New conversation").click()
        await page.get_by_label("Message", exact=True).fill("tell me a story")
        await page.get_by_role("button", name="Send").click()
        bubble = page.locator("#live-area .msg.live")
        await expect(bubble.locator(".live-text")).to_contain_text("Once upon a time")
        await bubble.get_by_role("button", name="Stop").click()
        await expect(bubble).to_have_count(0)
        thread_id = page.url.rsplit("/", 1)[1]
        web = next(a for a in bot.adapters if a.platform == "web")
        (run,) = await web.engine.log.list(thread_id)
        assert (await asyncio.wait_for(web.engine.wait(run), 10)).status == "cancelled"
        text = await page.locator("#chat-log").inner_text()
        assert text.count("Once upon a time") < 40


async def test_a_running_web_run_is_cancelled_from_its_thread_page(browser: Browser,
                                                                   tmp_path: Path) -> None:
    async with web_bot(tmp_path) as bot:
        url = bot.threads_api_url
        assert url is not None
        web = next(a for a in bot.adapters if a.platform == "web")
        thread_id = await web.create_thread(title="Story time")
        page = await sign_in(browser, url, f"/ui/threads/{thread_id}")
        await web.send(thread_id, "tell me a story")
        await expect(page.locator("#thread-header [data-status]")).to_have_text("busy")
        await expect(page.locator("#conversation")).to_contain_text("tell me a story")
        await page.get_by_role("button", name="Cancel run").click()
        await expect(page.locator("#thread-header [data-status]")).not_to_have_text("busy")
        (run,) = await web.engine.log.list(thread_id)
        assert (await asyncio.wait_for(web.engine.wait(run), 10)).status == "cancelled"


async def test_without_a_web_adapter_the_chat_says_so(browser: Browser) -> None:
    from botkit.testing import FakeAdapter

    bot = create_bot(adapters=[FakeAdapter()], threads_api=ThreadsAPIConfig(port=0,
                                                                            token=TOKEN))
    await bot.start()
    try:
        assert bot.threads_api_url is not None
        page = await sign_in(browser, bot.threads_api_url, "/ui/chat")
        await expect(page.get_by_role("note")).to_contain_text("needs the web adapter")
    finally:
        await bot.stop()
