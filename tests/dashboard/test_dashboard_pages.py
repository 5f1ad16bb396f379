"""Every page at 390 pixels wide, and what a read-only session is offered, in a real
browser."""

from __future__ import annotations

from dashboard_harness import NARROW, TOKEN, WIDE, seeded
from playwright.async_api import Browser, Page, expect

from botkit import ui
from botkit.threads import APIToken
from botkit.ui.binding import mark_choice
from botkit.ui.codec import encode_message


async def _signed_in(browser: Browser, url: str, token: str, viewport: dict[str, int]
                     ) -> Page:
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(url + "/ui/login")
    await page.get_by_label("API token").fill(token)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Threads")).to_be_visible()
    return page


async def test_thread_inbox_and_chat_are_readable_at_390_pixels(browser: Browser) -> None:
    async with seeded(3) as bot:
        card, labels = mark_choice(ui.Message(ui.Section("Deploy the release now?"),
                                              ui.Actions(ui.Button("Yes", value=True),
                                                         ui.Button("No", value=False))), "c1")
        await bot.store.set("choice:c1", {
            "platform": "fake", "conversation": {"id": "T001", "channel": "C1"},
            "card": encode_message(card), "labels": labels, "allowed": None,
            "owner": "gone", "timeout": None, "deadline": None})
        page = await _signed_in(browser, str(bot.threads_api_url), TOKEN, NARROW)
        for path, shown in (("/ui/threads/T001", "#state-json"),
                            ("/ui/inbox", "text=Deploy the release now?"),
                            ("/ui/chat", "text=Chat with the bot")):
            await page.goto(str(bot.threads_api_url) + path)
            await expect(page.locator(shown).first).to_be_visible()
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= NARROW["width"], (path, width)


async def test_a_read_only_session_is_not_offered_changes(browser: Browser) -> None:
    reader = APIToken(token="reader-token", scopes=frozenset({"read"}))
    writer = APIToken(token="writer-token", scopes=frozenset({"write"}))
    async with seeded(2, tokens=(reader, writer)) as bot:
        url = str(bot.threads_api_url)
        page = await _signed_in(browser, url, "reader-token", WIDE)
        await page.goto(url + "/ui/threads/T000")
        await expect(page.locator("#state-json")).to_be_visible()
        for name in ("Archive", "Copy", "Delete", "Rename", "Save state", "Clear"):
            await expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
        await expect(page.locator("#state-json")).to_have_attribute("readonly", "")
        page = await _signed_in(browser, url, "writer-token", WIDE)
        await page.goto(url + "/ui/threads/T000")
        await expect(page.get_by_role("button", name="Archive")).to_be_visible()
        await expect(page.get_by_role("button", name="Delete")).to_have_count(0)  # admin only
