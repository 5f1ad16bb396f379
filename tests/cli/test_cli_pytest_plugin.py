"""The botkit pytest plugin runs ``async def`` tests in a project with no configuration."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = '''
import pytest
from botkit import create_bot
from botkit.testing import FakeAdapter, Say, ScriptedAgent, running


async def test_with_the_fixture(fake_adapter):
    bot = create_bot(adapters=[fake_adapter], agent=ScriptedAgent(default=Say("hi!")))
    bot.on_mention(lambda ctx: ctx.thread.run_agent())
    async with running(bot):
        await fake_adapter.emit_mention("hello")
    assert fake_adapter.texts() == ["hi!"]


@pytest.mark.parametrize("word", ["a", "b"])
async def test_parametrized(word, tmp_path):
    assert word in "ab" and tmp_path.is_dir()


async def test_that_fails():
    fake = FakeAdapter()
    assert fake.texts() == ["never said"]


def test_sync_still_works():
    assert True
'''


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in a fresh folder: no pyproject, no conftest, no asyncio mode configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-W", "ignore::DeprecationWarning", *args],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("asyncio_plugin", ["installed", "absent"])
def test_async_tests_run_as_written(tmp_path: Path, asyncio_plugin: str) -> None:
    (tmp_path / "test_bot.py").write_text(TESTS)
    extra = ["-p", "no:asyncio"] if asyncio_plugin == "absent" else []
    result = _pytest(tmp_path, *extra)
    out = result.stdout
    assert "4 passed" in out, out + result.stderr
    assert "1 failed" in out                       # an async test that fails does fail
    assert "never said" in out
    assert "not natively supported" not in out + result.stderr


def test_tests_claimed_by_pytest_asyncio_are_left_to_it(tmp_path: Path) -> None:
    (tmp_path / "test_marked.py").write_text(textwrap.dedent('''
        import asyncio
        import pytest
        import pytest_asyncio

        @pytest_asyncio.fixture
        async def loop_of_fixture():
            return asyncio.get_running_loop()

        @pytest.mark.asyncio
        async def test_shares_the_fixture_loop(loop_of_fixture):
            assert asyncio.get_running_loop() is loop_of_fixture
        '''))
    result = _pytest(tmp_path)
    assert "1 passed" in result.stdout, result.stdout + result.stderr
