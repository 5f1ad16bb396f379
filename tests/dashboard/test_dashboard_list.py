"""The threads list in a real browser: sign-in, live updates from Slack, search, filters,
sorting, paging, two tabs in sync, and user text shown as text."""

from __future__ import annotations

import re

from dashboard_harness import NARROW, TOKEN, new_tab, seeded, sign_in, slack_helpdesk
from playwright.async_api import Browser, Page, expect


def rows(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("table.threads tbody tr[data-thread-id]")


async def test_no_token_shows_the_sign_in_page_and_a_wrong_token_is_refused(
        browser: Browser) -> None:
    async with seeded(3) as bot:
        url = bot.threads_api_url
        assert url is not None
        page = await browser.new_page()
        await page.goto(url + "/ui/inbox")
        await expect(page).to_have_url(re.compile(r"/ui/login\?next=(/|%2F)ui(/|%2F)inbox$"))
        await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        await page.get_by_label("API token").fill("not-the-token")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("alert")).to_contain_text("That token is not right")
        await page.get_by_label("API token").fill(TOKEN)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page).to_have_url(url + "/ui/inbox")
        cookie = next(c for c in await page.context.cookies() if c["name"] == "botkit_session")
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert TOKEN not in cookie["value"]
        # the page's script cannot read the session
        assert "botkit_session" not in await page.evaluate("document.cookie")
        # signing out ends the session
        await page.get_by_role("button", name="Sign out").click()
        await expect(page).to_have_url(re.compile(r"/ui/login"))
        await page.goto(url + "/")
        await expect(page).to_have_url(re.compile(r"/ui/login\?next=(/|%2F)$"))


async def test_search_filters_sort_and_paging(browser: Browser) -> None:
    async with seeded(250) as bot:
        url = bot.threads_api_url
        assert url is not None
        page = await sign_in(browser, url)
        # 250 threads, every seventh archived: 215 active; 100 per page, newest first
        await expect(page.locator("[data-count=total]")).to_have_text("215 threads")
        await expect(rows(page)).to_have_count(100)
        await expect(rows(page).first).to_contain_text("Ticket 249")
        await expect(page.get_by_text("Page 1 of 3")).to_be_visible()
        await page.get_by_role("button", name="Next").click()
        await expect(page.get_by_text("Page 2 of 3")).to_be_visible()
        await expect(rows(page)).to_have_count(100)
        await page.get_by_role("button", name="Next").click()
        await expect(page.get_by_text("Page 3 of 3")).to_be_visible()
        await expect(rows(page)).to_have_count(15)
        await expect(page.get_by_role("button", name="Next")).to_be_disabled()
        await expect(page).to_have_url(re.compile(r"page=3"))

        # sort by title, ascending then descending (back to page 1)
        await page.get_by_role("button", name="Title").click()
        await expect(page.get_by_text("Page 1 of 3")).to_be_visible()
        await expect(rows(page).first).to_contain_text("Ticket 000")
        await expect(page.locator("th.col-title")).to_have_attribute("aria-sort", "ascending")
        await page.get_by_role("button", name="Title").click()
        await expect(rows(page).first).to_contain_text("Ticket 249")
        await expect(page.locator("th.col-title")).to_have_attribute("aria-sort", "descending")

        # counts per status follow the other filters
        await expect(page.locator("[data-count=interrupted]")).to_have_text(
            f"interrupted {sum(1 for n in range(250) if n % 4 == 2 and n % 7 != 6)}")

        # search by title
        await page.get_by_label("Search").fill("Ticket 12")
        found = [n for n in range(250) if f"{n:03d}".startswith("12") and n % 7 != 6]
        await expect(page.locator("[data-count=total]")).to_have_text(f"{len(found)} threads")
        await expect(rows(page)).to_have_count(len(found))

        # a status filter, then a platform filter, on top of the search
        await page.get_by_label("Search").fill("")
        await page.get_by_label("error").check()
        wanted = [n for n in range(250) if n % 4 == 3 and n % 7 != 6]
        await expect(page.locator("[data-count=total]")).to_have_text(f"{len(wanted)} threads")
        await page.get_by_label("Platform").select_option("slack")
        wanted = [n for n in wanted if n % 5 == 0]
        await expect(page.locator("[data-count=total]")).to_have_text(f"{len(wanted)} threads")
        await expect(rows(page).locator(".status")).to_have_text(["error"] * len(wanted))

        # archived threads only
        await page.get_by_label("error").uncheck()
        await page.get_by_label("Platform").select_option("")
        await page.get_by_label("Show").select_option("yes")
        await expect(page.locator("[data-count=total]")).to_have_text(
            f"{sum(1 for n in range(250) if n % 7 == 6)} threads")
        # the address keeps the filters: a reload shows the same
        await page.reload()
        await expect(page.get_by_label("Show")).to_have_value("yes")
        await expect(page.locator("[data-count=total]")).to_have_text(
            f"{sum(1 for n in range(250) if n % 7 == 6)} threads")


async def test_the_list_updates_live_when_a_slack_conversation_starts(browser: Browser) -> None:
    async with slack_helpdesk() as desk:
        page = await sign_in(browser, desk.url)
        await expect(page.locator("[data-count=total]")).to_have_text("0 threads")
        asked = await desk.mention("hello from slack")
        row = page.locator(f"tr[data-thread-id='{desk.thread_id(asked['ts'])}']")
        await expect(row).to_contain_text("hello from slack")
        await expect(row).to_contain_text("slack")
        await expect(page.locator("[data-count=total]")).to_have_text("1 thread")
        await desk.reply(asked["ts"], "I'm the helpdesk bot")
        await expect(row.locator(".status")).to_have_text("idle")


async def test_two_tabs_stay_in_sync(browser: Browser) -> None:
    async with seeded(3) as bot:
        url = bot.threads_api_url
        assert url is not None
        listing = await sign_in(browser, url)
        detail = await new_tab(listing, url + "/ui/threads/T001")
        await expect(detail.locator("#thread-title")).to_have_text("Ticket 001")

        await detail.get_by_label("Title").fill("Printer on fire")
        await detail.get_by_role("button", name="Rename").click()
        await expect(detail.locator("#thread-title")).to_have_text("Printer on fire")
        await expect(listing.locator("tr[data-thread-id=T001]")).to_contain_text(
            "Printer on fire")
        assert (await bot.threads.get("T001")).title == "Printer on fire"

        # a rename elsewhere (the API, another client) reaches the open thread page too
        await bot.threads.rename("T001", "Renamed by the API")
        await expect(detail.locator("#thread-title")).to_have_text("Renamed by the API")

        await detail.get_by_role("button", name="Archive").click()
        await expect(detail.locator(".thread-header .tag")).to_have_text("archived")
        await expect(listing.locator("tr[data-thread-id=T001]")).to_have_count(0)
        await expect(listing.locator("[data-count=total]")).to_have_text("2 threads")


async def test_script_and_img_in_user_text_render_as_text(browser: Browser) -> None:
    async with slack_helpdesk() as desk:
        evil = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">"
        page = await sign_in(browser, desk.url)
        # as a Slack client sends it: &, < and > escaped in the message text
        asked = await desk.mention(evil.replace("<", "&lt;").replace(">", "&gt;"))
        await desk.reply(asked["ts"], "I'm the helpdesk bot")
        thread_id = desk.thread_id(asked["ts"])
        row = page.locator(f"tr[data-thread-id='{thread_id}']")
        await expect(row).to_contain_text("<script>window.pwned=1</script>")
        await row.get_by_role("link").click()
        await expect(page.locator("#thread-title")).to_contain_text("<img src=x onerror=")
        await expect(page.locator(".msg.from-person .text")).to_contain_text(
            "<script>window.pwned=1</script>")
        assert await page.evaluate("window.pwned") is None
        assert await page.locator(".msg img, #thread-title img, .msg script").count() == 0


async def test_readable_at_390_pixels(browser: Browser) -> None:
    async with seeded(5) as bot:
        url = bot.threads_api_url
        assert url is not None
        page = await sign_in(browser, url, viewport=NARROW)
        await expect(rows(page)).to_have_count(5)
        # nothing wider than the screen except inside the table's own scroller
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= NARROW["width"]
        await expect(page.locator("th.col-id")).to_be_hidden()
        # keyboard: Tab reaches the search box from the skip link, and typing filters
        await page.keyboard.press("Tab")
        await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        search = page.get_by_label("Search")
        for _ in range(15):  # the nav links and sign-out come first
            if await search.evaluate("el => el === document.activeElement"):
                break
            await page.keyboard.press("Tab")
        await expect(search).to_be_focused()
        await page.keyboard.type("Ticket 003")
        await expect(rows(page)).to_have_count(1)


async def test_search_finds_words_said_in_the_messages(browser: Browser) -> None:
    async with slack_helpdesk() as desk:
        first = await desk.mention("hello there")
        await desk.reply(first["ts"], "I'm the helpdesk bot")
        await desk.mention("the toner is empty", thread_ts=first["ts"])
        await desk.reply(first["ts"], "I'm the helpdesk bot", timeout=10)
        other = await desk.mention("good morning")
        await desk.reply(other["ts"], "I'm the helpdesk bot")
        page = await sign_in(browser, desk.url)
        await expect(rows(page)).to_have_count(2)
        await page.get_by_label("Search").fill("toner")
        await expect(page.locator("[data-count=total]")).to_have_text("0 threads")
        await page.get_by_label("in messages too").check()
        await expect(page.locator("[data-count=total]")).to_have_text("1 thread")
        await expect(rows(page)).to_have_text([re.compile("hello there")])
        await expect(page).to_have_url(re.compile(r"in=messages"))
