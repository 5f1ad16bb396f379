"""``botkit run APP --adapter slack`` and ``botkit emulator``.

Loading this module is cheap: Bolt and the emulator are imported only when used, so the
CLI works (and explains how to get them) without the ``slack`` extra.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from botkit.cli_plugins import PluginCommand
from botkit.errors import UserError

if TYPE_CHECKING:
    from botkit.cli_plugins import LoadedApp

__all__ = ["SlackPlugin", "plugin"]

_EXTRA = 'pip install "botkit[slack]"'


def _slack_module(name: str, what: str) -> ModuleType:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise UserError(f"{what} needs the slack extra: {_EXTRA} ({exc})") from exc


def run_emulator(argv: list[str]) -> int:
    """``botkit emulator [--port N]``: a local Slack for trying Slack bots offline."""
    emulator_cli: Any = _slack_module("botkit_slack.emulator.cli", "the Slack emulator")
    return int(emulator_cli.main(argv) or 0)


class SlackPlugin:
    """Registered under ``botkit.adapters`` as ``slack``."""

    name = "slack"
    summary = "Slack (tokens from SLACK_* variables), or a local Slack emulator"
    commands: Sequence[PluginCommand] = (
        PluginCommand("emulator", "start a local Slack emulator", run_emulator),)

    def add_arguments(self, options: argparse._ArgumentGroup) -> None:
        options.add_argument("--http", type=int, metavar="PORT",
                             help="serve the Events API on PORT (needs SLACK_SIGNING_SECRET) "
                                  "instead of Socket Mode (SLACK_APP_TOKEN)")
        options.add_argument("--emulator", action="store_true",
                             help="run on a local Slack emulator, no workspace or tokens needed")

    def configure(self, app: LoadedApp, args: argparse.Namespace) -> None:
        _slack_module("botkit_slack.run", "the Slack adapter")  # a clear hint before serving

    def serve(self, app: LoadedApp, args: argparse.Namespace) -> int:
        slack_run: Any = _slack_module("botkit_slack.run", "the Slack adapter")
        return int(slack_run.run_on_slack(app.bot, http_port=args.http,
                                          emulator=args.emulator) or 0)


plugin = SlackPlugin()
