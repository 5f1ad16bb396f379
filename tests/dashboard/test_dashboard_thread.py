"""One thread and the inbox in a real browser: tool calls in the conversation, state edits
with inline validation, actions, and an approval answered from the inbox continuing the
Slack thread."""

from __future__ import annotations

import asyncio
import re

from dashboard_harness import new_tab, seeded, sign_in, slack_helpdesk
from playwright.async_api import Browser, Dialog, expect


async def test_a_thread_shows_its_tool_calls_runs_and_checkpoints(browser: Browser) -> None:
    async with slack_helpdesk() as desk:
        asked = await desk.mention("who is bob")
        await desk.reply(asked["ts"], "Bob")
        thread_id = desk.thread_id(asked["ts"])
        page = await sign_in(browser, desk.url)
        await page.locator(f"tr[data-thread-id='{thread_id}'] a").click()
        await expect(page.locator("#thread-title")).to_have_text("who is bob")

        conversation = page.locator("#conversation")
        await expect(conversation.locator(".msg.from-person .who")).to_contain_text("Alice")
        tool = conversation.locator("details.tool").first
        await expect(tool.locator("summary")).to_contain_text("find_colleague")
        await expect(tool.locator("dd").last).to_be_hidden()  # folded
        await tool.locator("summary").click()
        await expect(tool.locator("dd").last).to_contain_text("Bob")

        runs = page.locator("#runs table.run-list tbody tr")
        await expect(runs).to_have_count(1)
        await expect(runs.first).to_contain_text("completed")
        await expect(runs.first).to_contain_text("find_colleague")

        # a second turn streams in live while the page is open
        await desk.mention("what did I say", thread_ts=asked["ts"])
        await expect(conversation).to_contain_text("You first said")
        await expect(runs).to_have_count(2)


async def test_state_is_edited_with_a_422_inline_for_bad_json(browser: Browser) -> None:
    async with seeded(2) as bot:
        url = bot.threads_api_url
        assert url is not None
        page = await sign_in(browser, url, "/ui/threads/T000")  # an idle one
        editor = page.get_by_label("Agent state (JSON)")
        await expect(editor).to_have_value("{}")
        await editor.fill('{"plan": ["call", "fix"')
        async with page.expect_response(re.compile(r"/state$")) as answered:
            await page.get_by_role("button", name="Save state").click()
        assert (await answered.value).status == 422
        await expect(page.locator("#state-error")).to_contain_text("Not valid JSON")
        await expect(editor).to_have_value('{"plan": ["call", "fix"')  # the draft is kept
        await expect(editor).to_have_attribute("aria-invalid", "true")
        assert await bot.threads.get_state("T000") == {}

        await editor.fill('{"plan": ["call", "fix"], "step": 2}')
        await page.get_by_role("button", name="Save state").click()
        await expect(page.locator("#state").get_by_role("status")).to_have_text("Saved.")
        assert await bot.threads.get_state("T000") == {"plan": ["call", "fix"], "step": 2}

        page.once("dialog", lambda dialog: dialog.accept())
        await page.locator("#state").get_by_role("button", name="Clear").click()
        await expect(page.get_by_label("Agent state (JSON)")).to_have_value("{}")
        assert await bot.threads.get_state("T000") == {}


async def test_rename_copy_and_delete_with_confirmation(browser: Browser) -> None:
    async with seeded(2) as bot:
        url = bot.threads_api_url
        assert url is not None
        page = await sign_in(browser, url, "/ui/threads/T000")
        title = page.get_by_label("Title")
        await title.fill("x" * 201)
        await page.get_by_role("button", name="Rename").click()
        await expect(page.locator("#rename-error")).to_contain_text("at most 200 characters")
        assert (await bot.threads.get("T000")).title == "Ticket 000"

        await page.get_by_role("button", name="Copy").click()
        await expect(page.locator("#thread-title")).to_have_text("Copy of Ticket 000")
        copied = page.url.rsplit("/", 1)[1]
        assert (await bot.threads.get(copied.replace("%7E", "~"))).copied_from == "T000"

        asked: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def dismiss(dialog: Dialog) -> None:
            asked.set_result(dialog.message)
            await dialog.dismiss()
        page.once("dialog", dismiss)
        await page.get_by_role("button", name="Delete").click()
        assert "Delete this thread" in await asyncio.wait_for(asked, 10)
        await expect(page.locator("#thread-title")).to_be_visible()
        assert len(await bot.threads.list()) == 3

        other = await new_tab(page, page.url)
        page.once("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="Delete").click()
        await expect(page).to_have_url(url + "/")
        await expect(page.locator("tr[data-thread-id]")).to_have_count(2)
        # the other tab showing it says so
        await expect(other.locator("#thread-header")).to_contain_text("This thread was deleted")


async def test_an_approval_answered_from_the_inbox_continues_the_slack_thread(
        browser: Browser) -> None:
    async with slack_helpdesk() as desk:
        asked = await desk.mention("my printer is broken")
        card = await desk.reply(asked["ts"], "New ticket")
        page = await sign_in(browser, desk.url, "/ui/inbox")
        item = page.locator("article.pending[data-kind=choice]")
        await expect(item).to_have_count(1)
        await expect(item).to_contain_text("my printer is broken")
        await expect(item.get_by_label("Answer as")).to_have_value("U0EMUALICE")
        await expect(item.get_by_label("Answer as").locator("option")).to_have_text(
            ["Alice Example"])
        await item.get_by_role("button", name="Open it").click()
        done = await desk.reply(asked["ts"], "Ticket HD-")
        assert "is open" in done["text"]
        closed = desk.slack.message(card["ts"])
        assert "✓ Open it (by Alice Example)" in str(closed["blocks"])
        await expect(page.locator("article.pending")).to_have_count(0)
        await expect(page.get_by_text("Nothing is waiting on a person.")).to_be_visible()


async def test_an_interrupted_run_is_resumed_from_the_inbox(browser: Browser) -> None:
    async with slack_helpdesk() as desk:
        asked = await desk.mention("reset my password")
        await desk.reply(asked["ts"], "Reset the password")
        page = await sign_in(browser, desk.url, "/ui/inbox")
        item = page.locator("article.pending[data-kind=interrupt]")
        await expect(item).to_contain_text("Reset the password for your account?")
        await item.get_by_role("button", name="Approve").click()
        await desk.reply(asked["ts"], "Password reset: approved.")
        await expect(page.locator("article.pending")).to_have_count(0)
