"""``botkit threads …`` against a store and against a running bot; ``botkit run --store``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from threads_helpers import make_bot

from botkit import SQLiteStore, store_from_url
from botkit.cli import main
from botkit.testing import FakeAdapter, running
from botkit.threads import Threads, ThreadsAPIConfig

ROOT = Path(__file__).resolve().parents[2]


async def fill(path: Path) -> None:
    fake = FakeAdapter()
    bot = make_bot(fake, SQLiteStore(path))
    async with running(bot):
        await fake.emit_mention("file a ticket")
        await fake.emit_mention("deploy it", conversation="C2:t2")
    await bot.store.close()


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    path = tmp_path / "bot.db"
    asyncio.run(fill(path))
    return f"sqlite:///{path}"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["threads", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_show_state_history_against_a_store(store_url: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "--store", store_url, "list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "UPDATED", "TITLE"]
    assert lines[1].startswith("C2:t2")
    assert "interrupted" in lines[1]
    assert lines[1].endswith("deploy it")
    assert lines[2].startswith("C1:t1")
    assert "idle" in lines[2]
    assert lines[-1] == "(1-2 of 2)"
    _, out, _ = cli(capsys, "--store", store_url, "list", "--status", "idle", "--json")
    assert [t["thread_id"] for t in json.loads(out)["threads"]] == ["C1:t1"]
    _, out, _ = cli(capsys, "--store", store_url, "show", "C1:t1")
    shown = json.loads(out)
    assert (shown["title"], shown["values"]["scripted"]["rule"]) == ("file a ticket", 0)
    _, out, _ = cli(capsys, "--store", store_url, "state", "C1:t1")
    assert "scripted" in json.loads(out)
    _, out, _ = cli(capsys, "--store", store_url, "runs", "C1:t1", "--limit", "1")
    (run,) = json.loads(out)
    assert run["status"] == "completed"
    assert run["tool_calls"][0]["name"] == "create_ticket"
    _, out, _ = cli(capsys, "--store", store_url, "history", "C1:t1", "--limit", "1")
    (newest,) = json.loads(out)
    assert newest["metadata"]["source"] == "loop"
    assert newest["metadata"]["run_id"] == run["run_id"]


def test_manage_threads_against_a_store(store_url: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "--store", store_url, "rename", "C1:t1", "Printer")[0] == 0
    assert cli(capsys, "--store", store_url, "archive", "C1:t1")[0] == 0
    _, out, _ = cli(capsys, "--store", store_url, "list", "--json")
    assert [t["thread_id"] for t in json.loads(out)["threads"]] == ["C2:t2"]
    _, out, _ = cli(capsys, "--store", store_url, "list", "--all", "--sort-by", "title",
                    "--asc", "--json")
    assert [t["title"] for t in json.loads(out)["threads"]] == ["deploy it", "Printer"]
    assert cli(capsys, "--store", store_url, "unarchive", "C1:t1")[0] == 0
    code, _, err = cli(capsys, "--store", store_url, "delete", "C1:t1")
    assert code == 2
    assert "--yes" in err
    code, out, _ = cli(capsys, "--store", store_url, "delete", "C1:t1", "--yes")
    assert code == 0
    assert "deleted C1:t1" in out
    code, _, err = cli(capsys, "--store", store_url, "show", "C1:t1")
    assert code == 2
    assert "no thread 'C1:t1'" in err
    code, _, err = cli(capsys, "--store", store_url, "messages", "C2:t2")
    assert code == 2
    assert "running bot" in err
    code, _, err = cli(capsys, "--store", store_url, "list", "--limit", "0")
    assert code == 2
    assert "limit" in err


def test_the_source_must_be_named(capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BOTKIT_THREADS_URL", "BOTKIT_STORE", "BOTKIT_THREADS_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    code, _, err = cli(capsys, "list")
    assert code == 2
    assert "--url" in err
    assert "--store" in err
    code, _, err = cli(capsys, "--store", "ftp://x", "list")
    assert code == 2
    assert "unknown store URL" in err


def test_a_mistyped_sqlite_path_is_reported_not_created(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nosuch" / "typo.db"
    code, _, err = cli(capsys, "--store", f"sqlite:///{missing}", "list")
    assert code == 2
    assert "there is no store at" in err
    assert not missing.parent.exists()


async def test_against_a_running_bot(capsys: pytest.CaptureFixture[str]) -> None:
    fake = FakeAdapter()
    bot = make_bot(fake, threads_api=ThreadsAPIConfig(port=0, token="tok"))
    async with running(bot):
        await fake.emit_mention("file a ticket")
        url = bot.threads_api_url
        assert url is not None

        async def run(*args: str) -> tuple[int, str, str]:
            code = await asyncio.to_thread(main, ["threads", "--url", url, *args])
            out, err = capsys.readouterr()
            return code, out, err
        code, _, err = await run("list")
        assert code == 2
        assert "--token" in err
        code, out, _ = await run("--token", "tok", "list")
        assert code == 0
        assert "file a ticket" in out
        _, out, _ = await run("--token", "tok", "messages", "C1:t1", "--search", "ticket")
        assert [m["text"] for m in json.loads(out)] == ["file a ticket"]
        _, out, _ = await run("--token", "tok", "history", "C1:t1")
        assert json.loads(out)[0]["metadata"]["run_status"] == "completed"
        _, out, _ = await run("--token", "tok", "say", "C1:t1", "An operator here.")
        assert json.loads(out)["content"] == "An operator here."
        assert fake.texts()[-1] == "An operator here."
        _, out, _ = await run("--token", "tok", "rename", "C1:t1", "Printer")
        assert json.loads(out)["title"] == "Printer"
        assert (await run("--token", "tok", "delete", "C1:t1", "--yes"))[0] == 0
        code, _, err = await run("--token", "tok", "state", "C1:t1")
        assert code == 2
        assert "no thread 'C1:t1'" in err
    code = await asyncio.to_thread(main, ["threads", "--url", url, "list"])
    assert code == 2
    assert "cannot reach" in capsys.readouterr().err


def run_cli(*args: str, stdin: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "botkit", *args], input=stdin, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)


def test_botkit_run_keeps_console_state_in_sqlite_or_the_store_given(tmp_path: Path) -> None:
    hello = str(ROOT / "examples" / "hello.py")
    first = run_cli("run", hello, "--data-dir", str(tmp_path), stdin="hi there\n", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    other = tmp_path / "other.db"
    second = run_cli("run", hello, "--data-dir", str(tmp_path), "--store",
                     f"sqlite:///{other}", stdin="hello again\n", cwd=tmp_path)
    assert second.returncode == 0, second.stderr

    async def titles(url: str) -> list[str]:
        threads = Threads(store_from_url(url))
        try:
            return [t.title for t in await threads.list()]
        finally:
            await threads.store.close()
    assert asyncio.run(titles(f"sqlite:///{tmp_path / 'hello' / 'state.db'}")) == ["hi there"]
    assert asyncio.run(titles(f"sqlite:///{other}")) == ["hello again"]
    refused = run_cli("run", hello, "--threads-api", "0", "--threads-api-host", "0.0.0.0",
                      stdin="", cwd=tmp_path)
    assert refused.returncode == 2
    assert "--threads-api-token" in refused.stderr
