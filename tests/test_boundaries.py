"""House rules checked mechanically: the import boundary and the public API."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import botkit


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_every_name_in_all_exists() -> None:
    for name in botkit.__all__:
        assert hasattr(botkit, name), name


def test_all_lists_every_public_name() -> None:
    # Importing the package also binds its submodules (botkit.bot, botkit.thread …) as
    # attributes; those are implementation modules, not API. ``ui`` is the exception.
    # (pytest rewrites plugin packages and adds "@py_builtins"-style names: not identifiers)
    submodules = {m.name for m in pkgutil.iter_modules(botkit.__path__)} - {"ui"}
    public = {n for n in vars(botkit) if n.isidentifier() and not n.startswith("_")}
    public -= submodules | {"agents"}  # the agents subpackage is reached as botkit.agents
    assert public == set(botkit.__all__) - {"__version__"}


def _sort_key(name: str) -> tuple[int, str]:
    """isort's order (ruff RUF022): CONSTANTS, then Classes, then the rest; each group in
    code-point order."""
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return kind, name


PUBLIC_MODULES = ["botkit", "botkit.agents", "botkit.testing", "botkit.store",
                  "botkit.threads", "botkit.ui", "botkit.choices", "botkit.adapter",
                  "botkit.codec", "botkit.keys"]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_is_sorted_and_unique(name: str) -> None:
    names = list(importlib.import_module(name).__all__)
    assert len(set(names)) == len(names)
    assert names == sorted(names, key=_sort_key)


def test_the_sort_check_sees_a_misplaced_name() -> None:
    assert sorted(["create_bot", "Bot"], key=_sort_key) == ["Bot", "create_bot"]
    assert sorted(["Threads", "ThreadStatus"], key=_sort_key) == ["ThreadStatus", "Threads"]
    shuffled = ["ui", "Bot", "__version__", "PER_THREAD"]
    assert sorted(shuffled, key=_sort_key) == ["PER_THREAD", "Bot", "__version__", "ui"]
