"""The README's Python examples run exactly as printed.

A block runs as a script by default; after ``<!-- example: pytest -->`` it is saved as a test
file in a fresh folder (no configuration) and run with pytest; after
``<!-- example: continued -->`` it runs appended to the example before it (a snippet that
builds on that bot); after ``<!-- example: fragment (why) -->`` it is not run. Keep the
fragments few.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = re.compile(r"<!--\s*example:\s*(\w+)\b.*?-->")
MAX_FRAGMENTS = 4  # the sketch at the top, the agent alternatives, two clients of a running server


@dataclass(frozen=True)
class Example:
    line: int  # where the block starts in the README (1-based)
    heading: str
    kind: str  # "script", "pytest" or "fragment"
    code: str

    @property
    def name(self) -> str:
        return f"{self.heading} (README.md:{self.line})"


def examples(text: str) -> list[Example]:
    found: list[Example] = []
    lines = text.splitlines()
    heading, marker, index = "top", None, 0
    previous: Example | None = None
    while index < len(lines):
        line = lines[index]
        if line.startswith("#"):
            heading = line.lstrip("# ").strip()
        if (match := MARKER.search(line)) is not None:
            marker = match.group(1)
        elif line.strip() == "```python":
            end = lines.index("```", index + 1)
            kind, code = marker or "script", "\n".join(lines[index + 1:end]) + "\n"
            if kind == "continued":
                if previous is None:
                    raise ValueError(f"README.md:{index + 1}: nothing before it to continue")
                kind, code = previous.kind, previous.code + "\n" + code
            if kind not in {"script", "pytest", "fragment"}:
                raise ValueError(f"README.md:{index + 1}: unknown example kind {kind!r}")
            found.append(Example(index + 1, heading, kind, code))
            if kind != "fragment":
                previous = found[-1]
            marker, index = None, end
        elif line.strip():
            marker = None  # a marker applies only to the block right after it
        index += 1
    return found


EXAMPLES = examples(README.read_text(encoding="utf-8"))
RUNNABLE = [e for e in EXAMPLES if e.kind != "fragment"]


def _python(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "BOTKIT_"))}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def run_example(example: Example, folder: Path) -> subprocess.CompletedProcess[str]:
    if example.kind == "pytest":
        (folder / "test_readme_example.py").write_text(example.code, encoding="utf-8")
        return _python(["-m", "pytest", "-q", "-p", "no:cacheprovider"], folder)
    (folder / "readme_example.py").write_text(example.code, encoding="utf-8")
    return _python(["readme_example.py"], folder)


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.name for e in RUNNABLE])
def test_readme_example_runs_as_printed(example: Example, tmp_path: Path) -> None:
    result = run_example(example, tmp_path)
    assert result.returncode == 0, (
        f"{example.name} fails as printed. Fix it, or mark it with "
        f"'<!-- example: fragment (why) -->' if it is not meant to run.\n"
        f"{result.stdout}\n{result.stderr}")
    if example.kind == "pytest":
        assert " passed" in result.stdout
        assert "failed" not in result.stdout


def test_the_readme_has_runnable_examples_and_few_fragments() -> None:
    kinds = [e.kind for e in EXAMPLES]
    assert "pytest" in kinds
    assert "script" in kinds
    assert kinds.count("fragment") <= MAX_FRAGMENTS, [e.name for e in EXAMPLES
                                                      if e.kind == "fragment"]


def test_the_runner_reports_failures(tmp_path: Path) -> None:
    markdown = ("<!-- example: pytest -->\n```python\nasync def test_no():\n    assert 1 == 2\n"
                "```\n\n<!-- example: fragment (x) -->\n\ntext\n```python\nraise SystemExit(3)\n"
                "```\n")
    failing_test, script = examples(markdown)
    assert (failing_test.kind, script.kind) == ("pytest", "script")  # the marker was too far
    assert run_example(failing_test, tmp_path).returncode == 1
    assert run_example(script, tmp_path).returncode == 3


def test_a_continued_example_runs_after_the_one_before(tmp_path: Path) -> None:
    markdown = ("```python\ngreeting = 'hi'\n```\n\n<!-- example: fragment (x) -->\n"
                "```python\nundefined_name\n```\n<!-- example: continued -->\n"
                "```python\nassert greeting == 'hi'\nraise SystemExit(4)\n```\n")
    first, _, continued = examples(markdown)
    assert continued.kind == "script"
    assert continued.code.startswith(first.code)
    assert run_example(continued, tmp_path).returncode == 4
