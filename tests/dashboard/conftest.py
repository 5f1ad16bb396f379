"""A real browser for the dashboard tests: Playwright driving the system's Chromium
(Debian's ``chromium`` package; never a downloaded browser). Without Chromium these tests
skip, except under CI (env ``CI`` set), where they fail."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright

CHROMIUM = os.environ.get("BOTKIT_CHROMIUM") or shutil.which("chromium") or \
    shutil.which("chromium-browser")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        message = "Chromium is not installed (apt-get install chromium, or set BOTKIT_CHROMIUM)"
        if os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
            pytest.fail(f"{message}; CI is set, so a missing browser fails the run.")
        pytest.skip(message)
    # Chromium's sandbox needs an unprivileged user; CI containers often run as root
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                    args=args)
        try:
            yield launched
        finally:
            await launched.close()
