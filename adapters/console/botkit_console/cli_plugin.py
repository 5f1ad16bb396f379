"""``botkit run APP`` (``--adapter console``, the default): the bot in this terminal."""

from __future__ import annotations

import argparse
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from botkit_console.adapter import ConsoleAdapter

if TYPE_CHECKING:
    from botkit.cli_plugins import LoadedApp, PluginCommand

__all__ = ["ConsolePlugin", "plugin"]


class ConsolePlugin:
    """Registered under ``botkit.adapters`` as ``console``."""

    name = "console"
    summary = "this terminal, no credentials needed (the default)"
    commands: Sequence[PluginCommand] = ()

    def add_arguments(self, options: argparse._ArgumentGroup) -> None:
        options.add_argument("--data-dir", metavar="DIR",
                             help="where the console keeps its transcript, files and state "
                                  "(default: .botkit-data/<bot name>; env BOTKIT_DATA_DIR)")
        options.add_argument("--users", metavar="FILE",
                             help="JSON file of people the console's lookup_user knows")
        options.add_argument("--new", action="store_true",
                             help="forget the previous conversation")

    def configure(self, app: LoadedApp, args: argparse.Namespace) -> None:
        root = args.data_dir or os.environ.get("BOTKIT_DATA_DIR", ".botkit-data")
        data_dir = Path(root) / app.name
        if args.new and data_dir.exists():
            shutil.rmtree(data_dir)
        if not app.store_chosen:  # durable by default in the terminal: state survives a restart
            from botkit.store.sqlite import SQLiteStore  # loaded when used (startup memory)

            app.keep_state_in(SQLiteStore(data_dir / "state.db"))
        console = app.declared(ConsoleAdapter)
        if console is not None and args.users is None:
            console.data_dir = console.data_dir or data_dir
        else:
            console = ConsoleAdapter(data_dir=data_dir, users_file=args.users)
        app.serve_on(console)

    def serve(self, app: LoadedApp, args: argparse.Namespace) -> int:
        return app.run()


plugin = ConsolePlugin()
