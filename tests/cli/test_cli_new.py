"""``botkit new NAME``: a project that runs in the console and passes its own tests."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from botkit.cli import main
from botkit.errors import UserError
from botkit.scaffold import create_project


def _python(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The current venv's Python (botkit is installed there: nothing new gets installed)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("BOTKIT_STORE", None)
    env.pop("BOTKIT_DATA_DIR", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, input=stdin, env=env,
                          capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("projects") / "weather-bot"
    assert main(["new", str(root)]) == 0
    return root


def test_new_writes_a_complete_project(project: Path) -> None:
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert files == [".gitignore", "README.md", "pyproject.toml", "slack-manifest.yaml",
                     "tests/test_weather_bot.py", "weather_bot.py"]
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    assert meta["project"]["name"] == "weather-bot"
    assert any(dep.startswith("botkit") for dep in meta["project"]["dependencies"])
    readme = (project / "README.md").read_text()
    assert "botkit run weather_bot.py" in readme
    assert "python -m pytest" in readme
    manifest = (project / "slack-manifest.yaml").read_text()
    assert "display_name: weather-bot" in manifest
    assert "socket_mode_enabled: true" in manifest
    assert "$" not in "".join((project / f).read_text() for f in files)  # all filled in


def test_the_manifest_asks_for_what_the_readme_asks_for(project: Path) -> None:
    """The generated manifest is the README's, minus slash commands (the bot has none)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    documented = yaml.safe_load(readme.split("```yaml\n", 1)[1].split("```", 1)[0])
    generated = yaml.safe_load((project / "slack-manifest.yaml").read_text())
    assert generated["display_information"] == {"name": "weather-bot"}
    assert generated["settings"] == documented["settings"]
    assert set(generated["oauth_config"]["scopes"]["bot"]) == (
        set(documented["oauth_config"]["scopes"]["bot"]) - {"commands"})
    assert "slash_commands" not in generated["features"]


def test_the_new_projects_tests_pass(project: Path) -> None:
    result = _python("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_the_new_bot_talks_in_the_console_through_a_pipe(project: Path) -> None:
    result = _python("-m", "botkit", "run", "weather_bot.py", cwd=project,
                     stdin="hello\ncount the words in one two three\nwhat else\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "weather-bot › Hello! I'm weather-bot." in out
    assert "That is 3 words." in out
    assert "I'm weather-bot, a scripted bot" in out
    assert (project / ".botkit-data" / "weather-bot" / "state.db").is_file()


def test_the_new_project_is_lint_clean(project: Path) -> None:
    result = _python("-m", "ruff", "check", "--no-cache", "--select", "E,F,I,UP,B,RUF", ".",
                     cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_new_refuses_an_existing_folder(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "notes.txt").write_text("mine")
    assert main(["new", str(taken)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in taken.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(("name", "problem"), [
    ("9lives", "not a usable project name"),
    ("my bot", "not a usable project name"),
    ("class", "Python keyword"),
    ("botkit", "would hide it"),
    ("json", "would hide it"),
])
def test_new_refuses_names_that_cannot_work(tmp_path: Path, name: str, problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        create_project(tmp_path / name)
    assert not (tmp_path / name).exists()


def test_new_prints_the_next_commands(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", str(tmp_path / "echo_bot")]) == 0
    out = capsys.readouterr().out
    assert f"cd {tmp_path / 'echo_bot'}" in out
    assert "botkit run echo_bot.py" in out
    assert "python -m pytest" in out
