"""``botkit run APP --threads-api PORT`` prints the one address to open once it listens, and
the page is served there (a real subprocess)."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import aiohttp

HELPDESK = Path(__file__).resolve().parents[2] / "examples" / "helpdesk.py"


async def test_botkit_run_prints_the_dashboard_address(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botkit", "run", str(HELPDESK), "--threads-api", "0",
        "--data-dir", str(tmp_path), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "BOTKIT_THREADS_API_TOKEN": ""})
    assert process.stderr is not None
    assert process.stdin is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
        said = re.fullmatch(r"botkit: threads dashboard at (http://127\.0\.0\.1:\d+/)\n", line)
        assert said, line  # port 0: the port it got, said once it listens
        async with aiohttp.ClientSession() as session, session.get(said.group(1)) as response:
            assert response.status == 200
            assert "<h1>Threads</h1>" in await response.text()
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
