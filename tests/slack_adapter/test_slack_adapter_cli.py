"""``botkit run APP --adapter slack``: configuration errors, and ``--emulator`` end to end."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Callable

import pytest
from slack_adapter_harness import HELPDESK

from botkit.cli import load_app, main
from botkit_slack.run import serve_on_emulator

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL")


@pytest.fixture
def no_slack_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_slack_env")
def test_missing_tokens_are_named(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["run", str(HELPDESK), "--adapter", "slack"]) == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-do-not-print-me")
    assert main(["run", str(HELPDESK), "--adapter", "slack", "--http", "0"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_SIGNING_SECRET" in err
    assert "do-not-print-me" not in err
    assert main(["run", str(HELPDESK), "--adapter", "slack"]) == 2
    assert "SLACK_APP_TOKEN" in capsys.readouterr().err
    assert main(["run", str(HELPDESK), "--http", "3000"]) == 2
    assert "--adapter slack" in capsys.readouterr().err


class Out(io.StringIO):
    """A terminal stand-in that wakes waiters when something is printed."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Event()

    def write(self, s: str) -> int:
        self.changed.set()
        return super().write(s)

    async def until(self, check: Callable[[str], bool], timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while not check(self.getvalue()):
                self.changed.clear()
                await self.changed.wait()


@pytest.mark.parametrize("http_port", [None, 0])
async def test_emulator_mode_lets_a_person_talk_to_the_bot(http_port: int | None) -> None:
    out = Out()
    read_fd, write_fd = os.pipe()
    stdin, typing = os.fdopen(read_fd, "r"), os.fdopen(write_fd, "w")
    ready, stop = asyncio.Event(), asyncio.Event()
    served = asyncio.create_task(serve_on_emulator(
        load_app(str(HELPDESK)), http_port=http_port, out=out, stdin=stdin,
        on_ready=lambda slack: ready.set(), stop=stop, interactive=True))
    try:
        await ready.wait()
        assert "curl -s" in out.getvalue()
        assert "Type a message" in out.getvalue()
        typing.write("my printer is broken\n")
        typing.flush()
        await out.until(lambda text: "] Open it" in text)
        number = out.getvalue().split("] Open it")[0].rsplit("[", 1)[1]
        typing.write(f"/click {number}\n")
        typing.flush()
        await out.until(lambda text: "Ticket HD-101 is open" in text)
    finally:
        stop.set()
        await served
        typing.close()
        stdin.close()
