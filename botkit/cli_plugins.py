"""How adapters plug into ``botkit run``: the ``botkit.adapters`` entry-point group.

An adapter package registers one object per ``--adapter`` name::

    [project.entry-points."botkit.adapters"]
    console = "botkit_console.cli_plugin:plugin"

The object satisfies ``AdapterPlugin``: it adds its own options to ``botkit run``, points
the loaded app at its platform (``configure``) and serves it (``serve``). It may also bring
whole subcommands (``botkit emulator`` comes from the Slack adapter). The CLI never imports
an adapter by name; it only loads what this group lists.

Plugins change the app through ``LoadedApp``, never by assigning to the ``Bot``'s fields.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Protocol, TypeVar, runtime_checkable

from botkit import Bot
from botkit.adapter import PlatformAdapter
from botkit.errors import UserError
from botkit.store import StateStore

__all__ = [
    "ENTRY_POINT_GROUP",
    "AdapterPlugin",
    "InstalledPlugins",
    "LoadedApp",
    "PluginCommand",
    "installed_plugins",
]

ENTRY_POINT_GROUP = "botkit.adapters"

A = TypeVar("A", bound=PlatformAdapter)


@dataclass(frozen=True)
class PluginCommand:
    """A ``botkit NAME …`` subcommand a plugin brings; ``main`` gets the arguments after
    ``NAME`` and returns the exit code."""

    name: str
    help: str
    main: Callable[[list[str]], int]


class LoadedApp:
    """The bot ``botkit run`` loaded, and the only way a plugin changes it."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    @property
    def name(self) -> str:
        return self.bot.name

    def declared(self, kind: type[A]) -> A | None:
        """The adapter of type ``kind`` the app created itself (its options are kept)."""
        return next((a for a in self.bot.adapters if isinstance(a, kind)), None)

    def serve_on(self, adapter: PlatformAdapter) -> None:
        """Serve on ``adapter`` alone: other adapters the app declared stay idle."""
        self.bot.adapters.clear()
        self.bot.add_adapter(adapter)

    def keep_state_in(self, store: StateStore) -> None:
        """Keep the bot's state in ``store``, which the bot closes when it stops."""
        self.bot.store = store
        self.bot.owns_store = True

    @property
    def store_chosen(self) -> bool:
        """Whether the app or ``--store`` picked a store (else it is the default memory)."""
        return not self.bot.default_store

    def run(self) -> int:
        """Serve until Ctrl-C or the end of input."""
        self.bot.run()
        return 0


@runtime_checkable
class AdapterPlugin(Protocol):
    """One ``--adapter`` choice of ``botkit run``."""

    @property
    def name(self) -> str:
        """What ``--adapter`` takes (the entry point's name)."""
        ...

    @property
    def summary(self) -> str:
        """One line for ``botkit run --help``."""
        ...

    @property
    def commands(self) -> Sequence[PluginCommand]:
        """Extra ``botkit`` subcommands (often none)."""
        ...

    def add_arguments(self, options: argparse._ArgumentGroup) -> None:
        """Add this adapter's ``botkit run`` options (they must have defaults; naming one
        with another ``--adapter`` is an error)."""

    def configure(self, app: LoadedApp, args: argparse.Namespace) -> None:
        """Point ``app`` at this platform (check options and credentials here)."""

    def serve(self, app: LoadedApp, args: argparse.Namespace) -> int:
        """Serve until stopped; return the exit code."""


@dataclass(frozen=True)
class InstalledPlugins:
    """What the ``botkit.adapters`` group holds: plugins that loaded, and why others did not."""

    plugins: dict[str, AdapterPlugin]
    broken: dict[str, str]

    def names(self) -> list[str]:
        return sorted(self.plugins)

    def get(self, name: str) -> AdapterPlugin:
        """The plugin called ``name``, or a ``UserError`` that lists what is installed."""
        if name in self.plugins:
            return self.plugins[name]
        if name in self.broken:
            raise UserError(f"the {name!r} adapter is installed but failed to load: "
                            f"{self.broken[name]}")
        installed = ", ".join(self.names()) or "none"
        raise UserError(f"unknown adapter {name!r}; installed adapters: {installed} (an "
                        f"adapter package registers itself under the {ENTRY_POINT_GROUP!r} "
                        "entry-point group)")


def installed_plugins() -> InstalledPlugins:
    """Load every plugin registered under ``botkit.adapters``."""
    plugins: dict[str, AdapterPlugin] = {}
    broken: dict[str, str] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in plugins:
            continue
        try:
            plugin = point.load()
        except Exception as exc:  # a broken third-party package must not break the CLI
            broken[point.name] = f"{type(exc).__name__}: {exc}"
            continue
        if not isinstance(plugin, AdapterPlugin):
            broken[point.name] = f"{point.value} is not a botkit AdapterPlugin"
        elif plugin.name != point.name:
            broken[point.name] = (f"{point.value} calls itself {plugin.name!r}, but is "
                                  f"registered as {point.name!r}")
        else:
            plugins[point.name] = plugin
    return InstalledPlugins(plugins, broken)
