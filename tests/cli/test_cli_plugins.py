"""Adapters plug into ``botkit run`` through the ``botkit.adapters`` entry-point group."""

from __future__ import annotations

import argparse
import ast
import sys
import textwrap
from pathlib import Path

import pytest

from botkit.cli import main
from botkit.cli_plugins import AdapterPlugin, LoadedApp, installed_plugins
from botkit_console.cli_plugin import plugin as console_plugin
from botkit_slack.cli_plugin import plugin as slack_plugin

ROOT = Path(__file__).resolve().parents[2]
APP = """
from botkit import create_bot
bot = create_bot(name="plugged")
"""

# A third-party adapter package, installed by putting its dist-info on sys.path.
ECHO_PLUGIN = '''
import argparse
from botkit.cli_plugins import PluginCommand

SEEN = []


class EchoPlugin:
    name = "echo"
    summary = "prints what it would serve"
    commands = (PluginCommand("echo-hello", "say hello", lambda argv: SEEN.append(argv) or 7),
                PluginCommand("run", "cannot replace the core's run", lambda argv: 99))

    def add_arguments(self, options):
        options.add_argument("--greeting", default="hi")

    def configure(self, app, args):
        SEEN.append(("configure", app.name, args.greeting, app.store_chosen))

    def serve(self, app, args):
        SEEN.append(("serve", app.bot.name, app.bot.durable_intake))
        return 5


plugin = EchoPlugin()
'''


def _install(site: Path, dist: str, entry_points: str, modules: dict[str, str]) -> None:
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    for name, source in modules.items():
        (site / f"{name}.py").write_text(source)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = tmp_path / "plugged_app.py"
    path.write_text(APP)
    monkeypatch.setenv("BOTKIT_DATA_DIR", str(tmp_path / "data"))
    return str(path)


@pytest.fixture
def echo_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    site = tmp_path / "site"
    _install(site, "botkit_echo", """
        [botkit.adapters]
        echo = echo_plugin:plugin
        broken = no_such_module_anywhere:plugin
        liar = echo_plugin:SEEN
        """, {"echo_plugin": ECHO_PLUGIN})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "echo_plugin", raising=False)
    import echo_plugin  # type: ignore[import-not-found]

    seen: list[object] = echo_plugin.SEEN
    return seen


def test_the_shipped_adapters_are_found_through_entry_points() -> None:
    installed = installed_plugins()
    assert installed.plugins["console"] is console_plugin
    assert installed.plugins["slack"] is slack_plugin
    assert isinstance(console_plugin, AdapterPlugin)
    assert isinstance(slack_plugin, AdapterPlugin)
    assert [c.name for c in slack_plugin.commands] == ["emulator"]


def test_a_third_party_adapter_plugs_in(app: str, echo_installed: list[object],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", app, "--adapter", "echo", "--greeting", "hello",
                 "--store", "memory://"]) == 5
    assert echo_installed == [("configure", "plugged", "hello", True),
                              ("serve", "plugged", False)]
    # its subcommand, with the arguments after its name
    assert main(["echo-hello", "--loud", "x"]) == 7
    assert echo_installed[-1] == ["--loud", "x"]
    # and its option belongs to it
    assert main(["run", app, "--greeting", "yo"]) == 2
    assert "--greeting goes with --adapter echo" in capsys.readouterr().err


def test_run_inbox_turns_the_durable_inbox_on(app: str, echo_installed: list[object],
                                              tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    assert main(["run", app, "--adapter", "echo", "--store", f"sqlite:///{db}",
                 "--inbox"]) == 5
    assert echo_installed[-1] == ("serve", "plugged", True)


def test_run_help_lists_every_adapter_and_its_options(echo_installed: list[object],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "--adapter {console,echo,slack,web}" in out
    assert "with --adapter echo:" in out
    assert "--greeting" in out
    assert "with --adapter slack:" in out
    assert "--emulator" in out


def test_an_unknown_adapter_names_the_installed_ones(app: str, echo_installed: list[object],
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", app, "--adapter", "teams"]) == 2
    err = capsys.readouterr().err
    assert "unknown adapter 'teams'; installed adapters: console, echo, slack" in err
    assert "botkit.adapters" in err


def test_broken_plugins_are_named_and_do_not_break_the_others(
        app: str, echo_installed: list[object], capsys: pytest.CaptureFixture[str]) -> None:
    installed = installed_plugins()
    assert "ModuleNotFoundError" in installed.broken["broken"]
    assert "not a botkit AdapterPlugin" in installed.broken["liar"]
    assert main(["run", app, "--adapter", "broken"]) == 2
    err = capsys.readouterr().err
    assert "the 'broken' adapter is installed but failed to load" in err
    assert "no_such_module_anywhere" in err
    assert main(["run", app, "--adapter", "echo"]) == 5


def test_slack_without_its_extra_says_how_to_install_it(
        app: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "botkit_slack.run", None)
    monkeypatch.setitem(sys.modules, "botkit_slack.emulator.cli", None)
    assert main(["run", app, "--adapter", "slack", "--emulator"]) == 2
    assert 'the Slack adapter needs the slack extra: pip install "botkit[slack]"' in \
        capsys.readouterr().err
    assert main(["emulator"]) == 2
    assert 'the Slack emulator needs the slack extra' in capsys.readouterr().err


def test_the_console_plugin_configures_through_loaded_app(tmp_path: Path) -> None:
    from botkit import create_bot
    from botkit.store import SQLiteStore
    from botkit_console import ConsoleAdapter

    declared = ConsoleAdapter()
    bot = create_bot(name="kept", adapters=[declared])
    app = LoadedApp(bot)
    args = _run_args("--data-dir", str(tmp_path))
    console_plugin.configure(app, args)
    assert bot.adapters == [declared]            # the app's own console is kept
    assert declared.data_dir == tmp_path / "kept"
    assert isinstance(bot.store, SQLiteStore)   # durable by default on the console
    assert bot.owns_store

    chosen = create_bot(name="chosen", store=SQLiteStore(tmp_path / "mine.db"))
    console_plugin.configure(LoadedApp(chosen), _run_args("--data-dir", str(tmp_path)))
    assert chosen.store.path == tmp_path / "mine.db"  # type: ignore[attr-defined]
    assert not chosen.owns_store


def _run_args(*extra: str) -> argparse.Namespace:
    from botkit.cli import _Cli

    return _Cli(installed_plugins()).parser.parse_args(["run", "app.py", *extra])


def test_the_core_cli_imports_no_adapter() -> None:
    """Not even lazily by name: adapters are found only through entry points."""
    source = (ROOT / "botkit" / "cli.py").read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {m for m in imported if m.split(".")[0] in {"botkit_console", "botkit_slack"}}
    assert "botkit_console" not in source
    assert "botkit_slack" not in source
