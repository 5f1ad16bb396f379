"""``botkit run APP --adapter web``: the bot on a web page and over HTTP, on this machine.

One server holds everything: the threads dashboard and its chat page (``/``), the threads
and runs API shaped after the LangGraph Agent Server's, and the AG-UI endpoint. Web
threads are kept in SQLite under the data directory unless ``--store`` says otherwise, so
conversations survive a restart. On 127.0.0.1 the caller is one local user and no token
is needed; on any other host ``--threads-api-token`` (or BOTKIT_THREADS_API_TOKEN) is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from botkit import Bot, ThreadsAPIConfig, UserError

if TYPE_CHECKING:
    from botkit.cli_plugins import LoadedApp, PluginCommand

__all__ = ["WebPlugin", "plugin"]

DEFAULT_PORT = 8787


class WebPlugin:
    """Registered under ``botkit.adapters`` as ``web``."""

    name = "web"
    summary = "a chat page and HTTP API on this machine (threads, runs, AG-UI, dashboard)"
    commands: Sequence[PluginCommand] = ()

    def add_arguments(self, options: argparse._ArgumentGroup) -> None:
        options.add_argument("--web-port", type=int, default=DEFAULT_PORT, metavar="PORT",
                             help=f"serve the page and the API on PORT (default {DEFAULT_PORT};"
                                  " 0 picks a free one)")
        options.add_argument("--web-data-dir", metavar="DIR",
                             help="where web threads are kept when no --store is given "
                                  "(default: .botkit-data/<bot name>; env BOTKIT_DATA_DIR)")

    def configure(self, app: LoadedApp, args: argparse.Namespace) -> None:
        # loaded here, not with the plugin: ``botkit run`` loads every adapter's plugin, and
        # a bot served elsewhere must not carry the web server (startup memory)
        from botkit.store.sqlite import SQLiteStore
        from botkit_web.adapter import WebAdapter

        if not 0 <= args.web_port <= 65535:
            raise UserError(f"--web-port must be 0-65535, not {args.web_port}")
        if not app.store_chosen:  # web threads live in the store: keep them on disk
            root = args.web_data_dir or os.environ.get("BOTKIT_DATA_DIR", ".botkit-data")
            app.keep_state_in(SQLiteStore(Path(root) / app.name / "web.db"))
        bot = app.bot
        if bot.threads_api is None:  # --threads-api PORT wins; else serve on --web-port
            token = os.environ.get("BOTKIT_THREADS_API_TOKEN") or None
            bot.threads_api = ThreadsAPIConfig(port=args.web_port, token=token)
        app.serve_on(app.declared(WebAdapter) or WebAdapter())

    def serve(self, app: LoadedApp, args: argparse.Namespace) -> int:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(_serve(app.bot))
        return 0


async def _serve(bot: Bot) -> None:
    """Start, say where (once the port is bound), serve until Ctrl-C or SIGTERM, stop."""
    await bot.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):  # not on Windows
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        print(f"botkit: {bot.name} is on the web at {bot.threads_api_url}/ "
              "(Ctrl-C to stop)", file=sys.stderr, flush=True)
        await stop.wait()
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGTERM)
        await bot.stop()


plugin = WebPlugin()
