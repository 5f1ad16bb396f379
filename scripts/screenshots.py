"""Take the dashboard screenshots in docs/images/ (the README shows them).

    scripts/dev python scripts/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

Runs the helpdesk example on the Slack emulator with the threads API, has a few people talk
to it (a ticket waiting for approval, a colleague lookup, a password reset waiting on an
interrupt) and chat with it on the web adapter, then photographs the pages with Playwright
driving the system's Chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
from pathlib import Path
from typing import Any

from playwright.async_api import Page, async_playwright

from botkit.cli import load_app
from botkit.dashboard.inbox import OPERATOR
from botkit.threads import ThreadsAPIConfig
from botkit_slack.adapter import SlackAdapter
from botkit_slack.emulator import EmulatorConfig, SlackEmulator
from botkit_web import WebAdapter

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "screenshots"


async def _talk(slack: SlackEmulator, user: str, text: str, until: str,
                thread_ts: str | None = None) -> dict[str, Any]:
    asked = await slack.user_says(user, f"<@{slack.bot_user_id}> {text}", slack.general,
                                  thread_ts)
    await slack.wait_for_message(
        lambda m: m.get("streaming_state", "completed") == "completed", from_bot=True,
        channel=slack.general, thread_ts=asked["ts"] if thread_ts is None else thread_ts,
        text=until, timeout=15)
    return asked


async def _shoot(page: Page, url: str, path: Path, *, full: bool = False) -> None:
    await page.goto(url)
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(path), full_page=full)
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


async def main(out: Path, chromium: str) -> None:
    async with SlackEmulator(config=EmulatorConfig.fast()) as slack:
        bot = load_app(str(ROOT / "examples" / "helpdesk.py"))
        web = WebAdapter(port=0)
        bot.adapters = [SlackAdapter(bot_token=slack.bot_token, base_url=slack.base_url,
                                     app_token=slack.app_token, socket_mode=True,
                                     edit_interval=0.2, first_post_delay=0.0), web]
        bot.threads_api = ThreadsAPIConfig(port=0, token=TOKEN)
        await bot.start()
        try:
            await slack.wait_for_socket()
            url = str(bot.threads_api_url)
            lookup = await _talk(slack, "bob", "who is alice", "Alice")
            await _talk(slack, "bob", "what did I say", "You first said", lookup["ts"])
            await _talk(slack, "alice", "my printer is broken", "New ticket")
            await _talk(slack, "alice", "reset my password", "Reset the password")
            await _talk(slack, "bob", "hello there", "helpdesk bot")
            await bot.threads.update_state(f"{slack.general}:{lookup['ts']}",
                                           {"found": ["alice"], "step": 2})
            args = ["--no-sandbox"] if os.geteuid() == 0 else []
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=chromium, args=args)
                context = await browser.new_context(viewport={"width": 1280, "height": 800})
                wide = await context.new_page()
                await wide.goto(url + "/ui/login")
                await wide.get_by_label("API token").fill(TOKEN)
                await wide.get_by_role("button", name="Sign in").click()
                await wide.wait_for_url(url + "/")
                await _shoot(wide, url + "/", out / "dashboard-threads.png")
                thread = f"{slack.general}%3A{lookup['ts']}"
                await wide.goto(url + f"/ui/threads/{thread}")
                await wide.locator("details.tool summary").first.click()
                await wide.screenshot(path=str(out / "dashboard-thread.png"), full_page=True)
                print(f"wrote {out / 'dashboard-thread.png'}")
                await _shoot(wide, url + "/ui/inbox", out / "dashboard-inbox.png")
                chat = await web.create_thread(user=OPERATOR, title="Printer help")
                await web.run(chat, "who is bob", user=OPERATOR)
                await web.run(chat, "what did I say", user=OPERATOR)
                await wide.goto(url + f"/ui/chat/{chat}")
                await wide.locator("details.tool summary").first.click()
                await wide.screenshot(path=str(out / "dashboard-chat.png"))
                print(f"wrote {out / 'dashboard-chat.png'}")
                narrow = await context.new_page()
                await narrow.set_viewport_size({"width": 390, "height": 844})
                await _shoot(narrow, url + "/", out / "dashboard-threads-390.png")
                await browser.close()
        finally:
            await bot.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default=os.environ.get("BOTKIT_CHROMIUM")
                        or shutil.which("chromium") or shutil.which("chromium-browser"))
    options = parser.parse_args()
    if not options.chromium:
        parser.error("no Chromium found: apt-get install chromium, or pass --chromium PATH")
    options.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(options.out, options.chromium))
