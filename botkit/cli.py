"""``botkit``: the command line.

    botkit new NAME                     a ready project: bot, tests, Slack manifest
    botkit run APP [--adapter NAME] …   run a bot (the console by default)
    botkit threads list|show|state|history|messages|rename|archive|unarchive|delete …
                                        a bot's threads, via its threads API or its store
    botkit emulator [--port N]          a local Slack (brought by the Slack adapter)

``botkit run`` also takes ``--store URL`` (memory://, sqlite:///path.db, redis://…; env
BOTKIT_STORE), ``--threads-api PORT`` and ``--agent URL`` / ``--openai MODEL``. Everything
else about where a bot runs comes from adapter plugins (``botkit.cli_plugins``): this module
imports no adapter.

``APP`` is a path to a .py file or ``module:attribute``; botkit finds the ``Bot`` in it.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import logging
import os
import sys
from pathlib import Path

from botkit import __version__
from botkit.bot import Bot
from botkit.cli_plugins import (
    AdapterPlugin,
    InstalledPlugins,
    LoadedApp,
    PluginCommand,
    installed_plugins,
)
from botkit.errors import BotkitError, UserError
from botkit.store import store_from_url
from botkit.threads.cli_options import add_threads_parser
from botkit.threads.config import ThreadsAPIConfig

__all__ = ["load_app", "main"]

DEFAULT_ADAPTER = "console"
CORE_COMMANDS = frozenset({"new", "run", "threads"})

EXAMPLES = """\
examples:
  botkit new mybot                          start a project (then: cd mybot)
  botkit run mybot.py                       talk to it in this terminal
  printf 'hi\\n' | botkit run mybot.py       script the console through a pipe
  botkit run mybot.py --adapter slack       serve it on Slack (SLACK_* tokens)
  botkit run mybot.py --adapter slack --emulator
                                            a local Slack, no workspace needed
  botkit run mybot.py --store sqlite:///state.db --threads-api 8787
  botkit threads --url http://127.0.0.1:8787 list
"""

RUN_EXAMPLES = """\
examples:
  botkit run examples/helpdesk.py
  botkit run mypackage.app:bot --data-dir ./state --new
  botkit run app.py --openai gpt-4o-mini
  botkit run app.py --adapter slack --http 3000
  botkit run app.py --adapter web --web-port 8787
"""


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


def _show_where_the_api_listens() -> None:
    """Print the dashboard's address once the threads API listens (the bot logs it then)."""
    said = logging.getLogger("botkit.threads.api")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("botkit: %(message)s"))
    said.addHandler(handler)
    said.setLevel(logging.INFO)
    said.propagate = False


def _core_options(app: LoadedApp, args: argparse.Namespace) -> None:
    """``--store``, ``--threads-api`` and ``--agent``/``--openai``: the same on every adapter."""
    bot = app.bot
    store_url = args.store or os.environ.get("BOTKIT_STORE")
    if store_url:
        app.keep_state_in(store_from_url(store_url))
    if args.inbox and not bot.durable_intake:  # the app's own InboxConfig wins
        bot.use_inbox(True)
    if args.threads_api is not None:
        token = args.threads_api_token or os.environ.get("BOTKIT_THREADS_API_TOKEN") or None
        bot.threads_api = ThreadsAPIConfig(port=args.threads_api, host=args.threads_api_host,
                                           token=token)
        _show_where_the_api_listens()
    if args.agent and args.openai:
        raise UserError("pass --agent URL or --openai MODEL, not both")
    if args.agent:
        from botkit.agents.http import AgUiHttpAgent

        bot.agent = AgUiHttpAgent(args.agent)
    elif args.openai:
        from botkit.agents.openai import OpenAIChatAgent

        bot.agent = OpenAIChatAgent(args.openai)


class _Cli:
    """The parser, built from the core's options and every installed adapter plugin's."""

    def __init__(self, plugins: InstalledPlugins) -> None:
        self.plugins = plugins
        self.options: dict[str, dict[str, object]] = {}  # adapter → its options' defaults
        self.parser = self._parser()

    def _plugin_options(self) -> list[argparse.ArgumentParser]:
        holders = []
        for name, plugin in sorted(self.plugins.plugins.items()):
            holder = argparse.ArgumentParser(add_help=False)
            plugin.add_arguments(holder.add_argument_group(
                f"with --adapter {name}", plugin.summary))
            self.options[name] = vars(holder.parse_args([]))
            holders.append(holder)
        return holders

    def _parser(self) -> argparse.ArgumentParser:
        raw = argparse.RawDescriptionHelpFormatter
        parser = argparse.ArgumentParser(
            prog="botkit", description="Put AI agents into chat platforms: run botkit bots.",
            epilog=EXAMPLES, formatter_class=raw)
        parser.add_argument("--version", action="version", version=f"botkit {__version__}")
        parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
        sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        new = sub.add_parser("new", help="create a ready project (bot, tests, Slack manifest)",
                             description="Create a project folder NAME with a bot you can "
                                         "talk to at once, its tests and a Slack app manifest.")
        new.add_argument("name", metavar="NAME", help="the folder to create (must not exist)")
        names = self.plugins.names()
        run = sub.add_parser("run", help="run a bot (in this terminal by default)",
                             parents=self._plugin_options(), epilog=RUN_EXAMPLES,
                             formatter_class=raw)
        run.add_argument("app", help="path/to/app.py or module:attribute")
        run.add_argument("--adapter", default=DEFAULT_ADAPTER, metavar="{" + ",".join(names) + "}",
                         help=f"where to run it: {', '.join(names)} (default: {DEFAULT_ADAPTER})")
        run.add_argument("--agent", metavar="URL",
                         help="use the AG-UI agent at URL instead of the app's agent")
        run.add_argument("--openai", metavar="MODEL",
                         help="use MODEL on an OpenAI-compatible server instead of the app's "
                              "agent (needs OPENAI_API_KEY; OPENAI_BASE_URL picks the server)")
        run.add_argument("--store", metavar="URL",
                         help="where the bot keeps its state: memory://, sqlite:///path.db or "
                              "redis://host:6379/0?prefix=mybot: (env BOTKIT_STORE; default: "
                              "SQLite in the data dir on the console, memory otherwise)")
        run.add_argument("--inbox", action="store_true",
                         help="store each event in a durable inbox before acking it, and "
                              "answer it from there, after a crash or restart too (needs a "
                              "SQLite or Redis --store to survive one)")
        run.add_argument("--threads-api", type=int, metavar="PORT",
                         help="serve the threads HTTP API on PORT (0: any free port)")
        run.add_argument("--threads-api-host", default="127.0.0.1", metavar="HOST",
                         help="its address (default 127.0.0.1; any other needs a token)")
        run.add_argument("--threads-api-token", metavar="TOKEN",
                         help="bearer token callers must send (env BOTKIT_THREADS_API_TOKEN)")
        add_threads_parser(sub)
        for command in _commands(self.plugins).values():
            sub.add_parser(command.name, help=command.help, add_help=False)
        return parser

    def plugin_for(self, args: argparse.Namespace) -> AdapterPlugin:
        """The chosen plugin; naming another adapter's option is an error."""
        plugin = self.plugins.get(args.adapter)
        for name, defaults in self.options.items():
            if name == plugin.name:
                continue
            for dest, default in defaults.items():
                if dest not in self.options[plugin.name] and getattr(args, dest) != default:
                    flag = "--" + dest.replace("_", "-")
                    raise UserError(f"{flag} goes with --adapter {name}")
        return plugin


def _commands(plugins: InstalledPlugins) -> dict[str, PluginCommand]:
    """Subcommands the plugins bring (never in place of the core's own)."""
    return {c.name: c for p in plugins.plugins.values() for c in p.commands
            if c.name not in CORE_COMMANDS}


def _parse(plugins: InstalledPlugins, argv: list[str]
           ) -> tuple[argparse.Namespace, AdapterPlugin | None]:
    """The arguments, and for ``run`` the chosen plugin; the parser (every command's options
    and help) is not kept while the bot serves."""
    cli = _Cli(plugins)
    args = cli.parser.parse_args(argv)
    return args, cli.plugin_for(args) if args.command == "run" else None


def _run(plugin: AdapterPlugin, args: argparse.Namespace) -> int:
    app = LoadedApp(load_app(args.app))
    _core_options(app, args)
    plugin.configure(app, args)
    return plugin.serve(app, args)


def _new(args: argparse.Namespace) -> int:
    from botkit.scaffold import create_project  # `botkit new` only (startup memory)

    project = create_project(Path(args.name))
    talk, test = f"botkit run {project.module}.py", "python -m pytest"
    width = max(len(talk), len(test)) + 4
    print(f"Created {project.root}/ ({', '.join(project.files)}).\n\n"
          f"  cd {project.root}\n"
          f"  {talk.ljust(width)}talk to it in this terminal\n"
          f"  {test.ljust(width)}run its tests\n\n"
          f"To put it in Slack, create an app from slack-manifest.yaml; {project.root}/README.md"
          " says how.")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        plugins = installed_plugins()
        commands = _commands(plugins)
        if argv[:1] and argv[0] in commands:
            return commands[argv[0]].main(argv[1:])
        args, plugin = _parse(plugins, argv)
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                            format="%(levelname)s %(name)s: %(message)s")
        if args.command == "threads":
            from botkit.threads.cli import run_threads  # loaded when used (startup memory)

            return run_threads(args)
        if args.command == "new":
            return _new(args)
        assert plugin is not None
        return _run(plugin, args)
    except BotkitError as exc:
        print(f"botkit: {exc}", file=sys.stderr)
        return 2
