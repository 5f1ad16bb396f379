"""``botkit run --adapter slack --emulator`` goes through the Slack adapter's entry-point
plugin: a freshly generated project answers a person on the local Slack."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from botkit.scaffold import create_project


def test_a_new_project_answers_on_the_slack_emulator(tmp_path: Path) -> None:
    project = create_project(tmp_path / "chat-bot")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BOTKIT_"))}
    with subprocess.Popen([sys.executable, "-m", "botkit", "run", "chat_bot.py", "--adapter",
                           "slack", "--emulator"], cwd=project.root, env=env,
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as proc:
        try:
            assert proc.stdout is not None
            shown = ""
            for line in proc.stdout:
                shown += line
                if "is connected" in line:
                    break
            root = re.search(r"Slack emulator running at (\S+)", shown)
            bot = re.search(r"bot <@(\w+)>", shown)
            assert root, shown
            assert bot, shown
            control = root.group(1) + "_emulator"
            said = httpx.post(f"{control}/user_says", timeout=30,
                              json={"user": "alice", "text": f"<@{bot.group(1)}> hello"})
            assert said.status_code == 200, said.text
            reply = httpx.post(f"{control}/wait_for_message", timeout=60, json={
                "from_bot": True, "text": "Hello! I'm chat-bot.", "timeout": 30})
            assert reply.status_code == 200, reply.text
        finally:
            proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
