"""``scripts/dev``'s first run shows install progress and keeps pip's log for failures.

pip is played by a stand-in ``.venv/bin/python`` so the script runs for real in seconds.
"""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [f"package{n}" for n in range(45)]
FAKE_PIP = f"""#!/usr/bin/env bash
[ "$1 $2 $3" = "-m pip install" ] || exit 64
if [ "$4" = "--upgrade" ]; then echo "Requirement already satisfied: pip in /venv"; exit 0; fi
for p in {" ".join(PACKAGES)}; do
  echo "Collecting $p>=1.0 (from botkit==0.1.0)"
  echo "  Using cached $p-1.0-py3-none-any.whl.metadata (2 kB)"
done
echo "Building wheels for collected packages: botkit"
echo "Installing collected packages: ${{INSTALLING:-package0, package1, botkit}}"
if [ -n "${{FAIL_INSTALL:-}}" ]; then echo "ERROR: no matching distribution for zzz" >&2; exit 1; fi
echo "Successfully installed package0-1.0 package1-1.0 botkit-0.1.0"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "dev", tmp_path / "scripts" / "dev")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PIP)
    python.chmod(0o755)
    return tmp_path


def _dev(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(project / "scripts" / "dev"), *args], capture_output=True,
                          text=True, timeout=60, check=False, env={**os.environ, **env})


def test_first_run_shows_progress_and_keeps_the_log(project: Path) -> None:
    result = _dev(project, "true")
    assert result.returncode == 0, result.stderr
    progress = result.stderr.splitlines()
    assert progress[0].startswith("botkit: setting up")
    assert "botkit: resolving dependencies: 20 so far (package18>=1.0)" in progress
    assert "botkit: resolving dependencies: 40 so far (package38>=1.0)" in progress
    assert "botkit: installing 3 packages (this takes a while)…" in progress
    assert progress[-1].startswith("botkit: ready in ")
    assert len(progress) < 15  # a line per step, not pip's 100 lines
    log = (project / ".venv" / "install.log").read_text()
    assert "Using cached package44-1.0-py3-none-any.whl.metadata" in log
    assert "Successfully installed" in log
    assert _dev(project, "true").stderr == ""  # installed: quiet from now on


def test_one_package_is_one_package(project: Path) -> None:
    result = _dev(project, "true", INSTALLING="botkit")
    assert "botkit: installing 1 package (this takes a while)…" in result.stderr.splitlines()


def test_a_failed_install_shows_pips_error_and_where_the_log_is(project: Path) -> None:
    result = _dev(project, "true", FAIL_INSTALL="1")
    assert result.returncode == 1
    assert "ERROR: no matching distribution for zzz" in result.stderr
    assert f"the whole log is in {project / '.venv' / 'install.log'}" in result.stderr
    assert "ERROR: no matching distribution" in (project / ".venv" / "install.log").read_text()
    assert not list((project / ".venv").glob(".installed-*"))  # tried again next time


def test_on_a_terminal_the_progress_is_one_line_redrawn(project: Path) -> None:
    controller, terminal = pty.openpty()
    with subprocess.Popen([str(project / "scripts" / "dev"), "true"], stdout=subprocess.DEVNULL,
                          stderr=terminal) as proc:
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: the script is done
                break
            if not chunk:
                break
            shown += chunk
        assert proc.wait(timeout=60) == 0
    os.close(controller)
    text = shown.decode()
    assert "\r\x1b[Kbotkit: resolving dependencies: 46 so far (package44>=1.0)" in text
    assert text.count("\n") <= 4  # set up, ready (and the pty's own line ends)
