"""`botkit run examples/helpdesk.py --agent URL` / `--openai MODEL`: the helpdesk example,
unchanged, against an AG-UI server and an OpenAI-compatible one (real subprocesses)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from agent_peers import FakeOpenAI, serve_fake_openai

from botkit.testing import serve_ag_ui

ROOT = Path(__file__).resolve().parents[2]


def helpdesk_agent() -> Any:
    """The example's own ScriptedAgent, to serve over HTTP."""
    spec = importlib.util.spec_from_file_location("helpdesk_for_agents_tests",
                                                  ROOT / "examples" / "helpdesk.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.agent


async def botkit_run(*args: str, stdin: str, env: dict[str, str] | None = None
                     ) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botkit", "run", "examples/helpdesk.py", *args, cwd=ROOT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env={**os.environ, **(env or {})})
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_helpdesk_against_an_ag_ui_server(tmp_path: Path) -> None:
    script = "\n".join(["hello", "who is bob", "reset my password", "1", "crash now"]) + "\n"
    async with serve_ag_ui(helpdesk_agent()) as url:
        code, out, err = await botkit_run("--data-dir", str(tmp_path), "--agent", url,
                                          stdin=script)
    assert code == 0, err
    assert "I'm the helpdesk bot" in out
    assert "Bob Chen (@bob) - bob@example.com" in out  # a bot tool, called over HTTP
    assert "Password reset: approved." in out  # interrupt + resume over HTTP
    assert "The agent failed: the model is overloaded" in out


async def test_helpdesk_against_an_openai_compatible_server(tmp_path: Path) -> None:
    fake = FakeOpenAI()
    async with serve_fake_openai(fake) as base:
        code, out, err = await botkit_run(
            "--data-dir", str(tmp_path), "--openai", "scripted-1", stdin="hello\n",
            env={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": base})
    assert code == 0, err
    assert "Hello, world!" in out
    [request] = fake.requests
    assert request["model"] == "scripted-1"
    assert request["messages"][0] == {"role": "system",
                                      "content": "Context:\n- Company: Acme Corp; "
                                                 "office hours 9-17 CET"}
    assert {t["function"]["name"] for t in request["tools"]} == {
        "create_ticket", "find_colleague", "send_report"}
