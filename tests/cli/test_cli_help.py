"""``botkit --version``, help with examples, and ``--adapter`` listing its choices."""

from __future__ import annotations

import subprocess
import sys

import pytest

import botkit
from botkit.cli import main


def test_version() -> None:
    result = subprocess.run([sys.executable, "-m", "botkit", "--version"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"botkit {botkit.__version__}"


def test_help_lists_the_commands_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for command in ("new", "run", "threads", "emulator"):
        assert f"\n    {command} " in out
    assert "examples:\n  botkit new mybot" in out
    assert "botkit run mybot.py --adapter slack --emulator" in out


def test_run_help_shows_adapter_choices_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "--adapter {console,slack,web}" in out
    assert "where to run it: console, slack, web (default: console)" in " ".join(out.split())
    assert "examples:\n  botkit run examples/helpdesk.py" in out


def test_new_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["new", "--help"])
    assert "the folder to create (must not exist)" in capsys.readouterr().out
