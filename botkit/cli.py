"""``botkit``: the command line.

    botkit run APP [--adapter console] [--data-dir DIR] [--users FILE] [--new]
    botkit run APP --adapter slack [--http PORT] [--emulator]
    botkit emulator [--port N]          a local Slack for trying Slack bots offline
    botkit threads list|show|state|history|messages|rename|archive|unarchive|delete …
                                        a bot's threads, via its threads API or its store

``botkit run`` also takes ``--store URL`` (memory://, sqlite:///path.db, redis://…; env
BOTKIT_STORE) and ``--threads-api PORT`` to serve the threads HTTP API. Without ``--store``
the console keeps its state in ``<data dir>/state.db`` (SQLite), unless the app chose a store.

``APP`` is a path to a .py file or ``module:attribute``; botkit finds the ``Bot`` in it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from botkit.bot import Bot
from botkit.errors import BotkitError, UserError
from botkit.store import SQLiteStore, store_from_url
from botkit.threads.cli import add_threads_parser, run_threads
from botkit.threads.config import ThreadsAPIConfig

__all__ = ["load_app", "main"]


def load_app(spec: str) -> Bot:
    """Import ``spec`` (``path/to/app.py`` or ``module:attr``) and return its ``Bot``."""
    module_name, _, attr = spec.partition(":")
    if module_name.endswith(".py") or os.sep in module_name:
        path = Path(module_name)
        if not path.is_file():
            raise UserError(f"no such file: {path} (pass the path to your bot's .py file)")
        sys.path.insert(0, str(path.resolve().parent))
        loader_spec = importlib.util.spec_from_file_location(f"botkit_app_{path.stem}", path)
        if loader_spec is None or loader_spec.loader is None:
            raise UserError(f"cannot import {path}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[loader_spec.name] = module
        loader_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            raise UserError(f"cannot import {module_name!r}: {exc}") from exc
    if attr:
        found = getattr(module, attr, None)
        if not isinstance(found, Bot):
            raise UserError(f"{spec}: {attr!r} is not a Bot (made by botkit.create_bot)")
        return found
    bots = [v for v in vars(module).values() if isinstance(v, Bot)]
    if isinstance(getattr(module, "bot", None), Bot):
        return module.bot  # type: ignore[no-any-return]
    if len(bots) == 1:
        return bots[0]
    raise UserError(f"{spec} defines {len(bots)} bots; name one: {module_name}:<attribute>"
                    if bots else f"{spec} defines no bot: create one with botkit.create_bot()")


def _use_console(bot: Bot, args: argparse.Namespace) -> None:
    from botkit_console import ConsoleAdapter

    data_dir = Path(args.data_dir or os.environ.get("BOTKIT_DATA_DIR", ".botkit-data")) / bot.name
    if args.new and data_dir.exists():
        shutil.rmtree(data_dir)
    if bot.default_store:  # durable by default in the terminal: state survives a restart
        _use_store(bot, SQLiteStore(data_dir / "state.db"))
    declared = next((a for a in bot.adapters if isinstance(a, ConsoleAdapter)), None)
    if declared is not None and args.users is None:
        console = declared
        console.data_dir = console.data_dir or data_dir
    else:
        console = ConsoleAdapter(data_dir=data_dir, users_file=args.users)
    bot.adapters = [console]


def _use_store(bot: Bot, store: Any) -> None:
    bot.store = store
    bot.owns_store = True  # closed when the bot stops


def _serve_options(bot: Bot, args: argparse.Namespace) -> None:
    """``--store`` and ``--threads-api``: where state lives, and the operators' API."""
    store_url = args.store or os.environ.get("BOTKIT_STORE")
    if store_url:
        _use_store(bot, store_from_url(store_url))
    if args.threads_api is not None:
        token = args.threads_api_token or os.environ.get("BOTKIT_THREADS_API_TOKEN") or None
        bot.threads_api = ThreadsAPIConfig(port=args.threads_api, host=args.threads_api_host,
                                           token=token)
        if args.threads_api:  # the one address to open (port 0: see bot.threads_api_url)
            host = args.threads_api_host
            print(f"botkit: threads dashboard at http://{f'[{host}]' if ':' in host else host}"
                  f":{args.threads_api}/", file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    bot = load_app(args.app)
    _serve_options(bot, args)
    if args.agent and args.openai:
        raise UserError("pass --agent URL or --openai MODEL, not both")
    if args.agent:
        from botkit.agents.http import AgUiHttpAgent

        bot.agent = AgUiHttpAgent(args.agent)
    elif args.openai:
        from botkit.agents.openai import OpenAIChatAgent

        bot.agent = OpenAIChatAgent(args.openai)
    if args.adapter == "slack":
        return _run_slack(bot, args)
    if args.adapter != "console":
        raise UserError(f"unknown adapter {args.adapter!r}; available: console, slack")
    if args.http is not None or args.emulator:
        raise UserError("--http and --emulator go with --adapter slack")
    _use_console(bot, args)
    bot.run()
    return 0


def _run_slack(bot: Bot, args: argparse.Namespace) -> int:
    """Slack: tokens from SLACK_BOT_TOKEN + SLACK_APP_TOKEN (Socket Mode) or
    SLACK_SIGNING_SECRET with --http PORT; --emulator runs a local Slack instead."""
    try:
        slack_run = importlib.import_module("botkit_slack.run")
    except ImportError as exc:
        raise UserError('the Slack adapter needs the slack extra: pip install "botkit[slack]"'
                        f" ({exc})") from exc
    result: Any = slack_run.run_on_slack(bot, http_port=args.http, emulator=args.emulator)
    return int(result or 0)


def _emulator(rest: list[str]) -> int:
    try:
        emulator_cli = importlib.import_module("botkit_slack.emulator.cli")
    except ImportError as exc:
        raise UserError('the Slack emulator needs the slack extra: pip install "botkit[slack]"'
                        f" ({exc})") from exc
    result: Any = emulator_cli.main(rest)
    return int(result or 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botkit", description="Run botkit bots.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a bot (in this terminal by default)")
    run.add_argument("app", help="path/to/app.py or module:attribute")
    run.add_argument("--adapter", default="console", help="where to run it (default: console)")
    run.add_argument("--data-dir", help="where the console keeps its transcript and files "
                                        "(default: .botkit-data/<bot name>)")
    run.add_argument("--users", help="JSON file of people the console's lookup_user knows")
    run.add_argument("--new", action="store_true", help="forget the previous conversation")
    run.add_argument("--agent", metavar="URL",
                     help="use the AG-UI agent at URL instead of the app's agent")
    run.add_argument("--openai", metavar="MODEL",
                     help="use MODEL on an OpenAI-compatible server instead of the app's agent "
                          "(needs OPENAI_API_KEY; OPENAI_BASE_URL picks the server)")
    run.add_argument("--http", type=int, metavar="PORT",
                     help="with --adapter slack: serve the Events API on PORT (needs "
                          "SLACK_SIGNING_SECRET) instead of Socket Mode (SLACK_APP_TOKEN)")
    run.add_argument("--emulator", action="store_true",
                     help="with --adapter slack: run on a local Slack emulator, no workspace "
                          "or tokens needed")
    run.add_argument("--store", metavar="URL",
                     help="where the bot keeps its state: memory://, sqlite:///path.db or "
                          "redis://host:6379/0?prefix=mybot: (env BOTKIT_STORE; default: "
                          "SQLite in the data dir on the console, memory otherwise)")
    run.add_argument("--threads-api", type=int, metavar="PORT",
                     help="serve the threads HTTP API on PORT (0: any free port)")
    run.add_argument("--threads-api-host", default="127.0.0.1", metavar="HOST",
                     help="its address (default 127.0.0.1; any other needs a token)")
    run.add_argument("--threads-api-token", metavar="TOKEN",
                     help="bearer token callers must send (env BOTKIT_THREADS_API_TOKEN)")
    sub.add_parser("emulator", help="start a local Slack emulator", add_help=False)
    add_threads_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["emulator"]:
            return _emulator(argv[1:])
        args = _parser().parse_args(argv)
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        return run_threads(args) if args.command == "threads" else _run(args)
    except BotkitError as exc:
        print(f"botkit: {exc}", file=sys.stderr)
        return 2
