"""The console bot end to end: `python -m botkit run ...` in a subprocess, stdin piped."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, stdin: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "botkit", *args], input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_helpdesk_session_end_to_end(tmp_path: Path) -> None:
    script = "\n".join([
        "hello",
        "my printer is broken",
        "2 please",          # not an option: the bot asks again and nothing else happens
        "Open it",           # answer by label
        "who is bob",
        "send the report",
        "reset my password",
        "1",
        "crash now",
        "what did I say",
    ]) + "\n"
    result = run_cli("run", "examples/helpdesk.py", "--data-dir", str(tmp_path), stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "I'm the helpdesk bot" in out                       # streamed default answer
    assert "[1] Open it  [2] Cancel" in out                   # a choice as numbered options
    assert "Please answer the question above: type 1-2" in out
    assert "✓ Open it" in out
    assert "Ticket HD-101 is open: 'my printer is broken'" in out
    assert "Bob Chen (@bob) - bob@example.com" in out         # lookup_user via the users file
    assert "Here is the weekly report (1 ticket)." in out
    assert "Password reset: approved." in out                 # on_interrupt + resume
    assert "The agent failed: the model is overloaded" in out  # RUN_ERROR shown, bot goes on
    assert "You first said: 'hello'." in out
    report = tmp_path / "helpdesk" / "files" / "helpdesk-report.csv"
    rows = list(csv.DictReader(report.read_text().splitlines()))
    assert [r["id"] for r in rows] == ["HD-101"]


def test_restarted_console_bot_remembers(tmp_path: Path) -> None:
    first = run_cli("run", "examples/helpdesk.py", "--data-dir", str(tmp_path),
                    stdin="my name is Zed\n")
    assert first.returncode == 0, first.stderr
    second = run_cli("run", "examples/helpdesk.py", "--data-dir", str(tmp_path),
                     stdin="what did I say\n")
    assert "You first said: 'my name is Zed'." in second.stdout
    fresh = run_cli("run", "examples/helpdesk.py", "--data-dir", str(tmp_path), "--new",
                    stdin="what did I say\n")
    assert "This is the start of our conversation." in fresh.stdout


def test_eof_while_a_choice_waits_exits_cleanly(tmp_path: Path) -> None:
    result = run_cli("run", "examples/helpdesk.py", "--data-dir", str(tmp_path),
                     stdin="my laptop is broken\n")
    assert result.returncode == 0, result.stderr
    assert "[1] Open it  [2] Cancel" in result.stdout
    assert "Traceback" not in result.stderr


def test_hello_example(tmp_path: Path) -> None:
    result = run_cli("run", "examples/hello.py", "--data-dir", str(tmp_path), stdin="hi there\n")
    assert result.returncode == 0, result.stderr
    assert "You said: hi there" in result.stdout


def test_module_attribute_spec_and_errors(tmp_path: Path) -> None:
    app = tmp_path / "twobots.py"
    app.write_text("from botkit import create_bot\na = create_bot(name='a')\n"
                   "b = create_bot(name='b')\n")
    ambiguous = run_cli("run", str(app), stdin="", cwd=tmp_path)
    assert ambiguous.returncode == 2
    assert "defines 2 bots" in ambiguous.stderr
    missing = run_cli("run", "nope/app.py", stdin="")
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
    chosen = run_cli("run", "twobots:b", "--data-dir", str(tmp_path), stdin="hi\n", cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
