"""``botkit run APP --threads-api PORT`` prints the one address to open, and the page is
served there (a real subprocess)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp

HELPDESK = Path(__file__).resolve().parents[2] / "examples" / "helpdesk.py"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_botkit_run_prints_the_dashboard_address(tmp_path: Path) -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botkit", "run", str(HELPDESK), "--threads-api", str(port),
        "--data-dir", str(tmp_path), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "BOTKIT_THREADS_API_TOKEN": ""})
    assert process.stderr is not None
    assert process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        assert line.decode().strip() == f"botkit: threads dashboard at http://127.0.0.1:{port}/"
        async with aiohttp.ClientSession() as session:
            loop = asyncio.get_running_loop()
            give_up = loop.time() + 30
            while True:  # the console bot starts serving right after it printed
                try:
                    async with session.get(f"http://127.0.0.1:{port}/") as response:
                        assert response.status == 200
                        assert "<h1>Threads</h1>" in await response.text()
                        break
                except aiohttp.ClientConnectorError:
                    assert loop.time() < give_up, "the dashboard never answered"
                    await asyncio.sleep(0.1)
    finally:
        process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()
