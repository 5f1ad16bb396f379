"""`botkit emulator` starts the local Slack and says how to point a bot at it."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx


def test_botkit_emulator_command_serves_the_web_api() -> None:
    with subprocess.Popen([sys.executable, "-m", "botkit", "emulator", "--port", "0"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        _talk_to(proc)


def _talk_to(proc: subprocess.Popen[str]) -> None:
    try:
        assert proc.stdout is not None
        assert proc.poll() is None
        env: dict[str, str] = {}
        for raw in proc.stdout:
            line = raw.strip()
            if line.startswith("export "):
                key, _, value = line[len("export "):].partition("=")
                env[key] = value.strip("'\"")
            if {"SLACK_API_URL", "SLACK_BOT_TOKEN"} <= env.keys():
                break
        answer = httpx.post(env["SLACK_API_URL"] + "auth.test",
                            headers={"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"})
        assert answer.json()["ok"] is True
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
