"""``botkit run APP --adapter web`` in its own process: it says where it serves once the
port is bound, a real LangGraph client talks to the bot there, SIGTERM stops it cleanly,
and the web threads are still there after a restart (SQLite in the data directory)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_client

from botkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
HELPDESK = ROOT / "examples" / "helpdesk.py"


@asynccontextmanager
async def botkit_web(data_dir: Path) -> AsyncIterator[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botkit", "run", str(HELPDESK), "--adapter", "web",
        "--web-port", "0", "--web-data-dir", str(data_dir),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "BOTKIT_THREADS_API_TOKEN": "", "BOTKIT_STORE": ""})
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), 60)).decode()
        found = re.fullmatch(r"botkit: helpdesk is on the web at (http://127\.0\.0\.1:\d+)/ "
                             r"\(Ctrl-C to stop\)\n", line)
        assert found, line + (await process.stderr.read()).decode()
        yield found.group(1)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        rest = (await asyncio.wait_for(process.stderr.read(), 60)).decode()
        code = await asyncio.wait_for(process.wait(), 60)
        assert code == 0, rest
        assert "Traceback" not in rest, rest


async def test_the_web_adapter_serves_the_page_the_api_and_keeps_threads(tmp_path: Path
                                                                          ) -> None:
    async with botkit_web(tmp_path) as url:  # bound before it printed: no polling here
        async with httpx.AsyncClient(base_url=url) as http:
            page = await http.get("/")
            assert page.status_code == 200
            assert "<html" in page.text
        async with get_client(url=url) as client:
            thread = await client.threads.create(thread_id="hello-web")
            assert thread["thread_id"] == "hello-web"
            answer = await client.runs.wait("hello-web", "botkit", input={
                "messages": [{"role": "user", "content": "hello"}]})
        assert isinstance(answer, dict)
        assert "helpdesk bot" in answer["messages"][-1]["content"]
    assert (tmp_path / "helpdesk" / "web.db").exists()
    async with botkit_web(tmp_path) as url:  # a new process: the conversation is still there
        async with httpx.AsyncClient(base_url=url) as http:
            kept = (await http.get("/threads/hello-web/messages")).json()["messages"]
        assert kept[0]["text"] == "hello"
        assert "helpdesk bot" in kept[-1]["text"]


@pytest.mark.parametrize(("argv", "said"), [
    (["--adapter", "web", "--web-port", "70000"], "--web-port must be 0-65535, not 70000"),
    (["--web-port", "9000"], "--web-port goes with --adapter web"),
])
def test_web_options_are_checked(argv: list[str], said: str,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(HELPDESK), *argv]) == 2
    assert said in capsys.readouterr().err
