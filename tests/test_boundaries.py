"""House rules checked mechanically: the import boundary and the public API."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import botkit

ROOT = Path(__file__).resolve().parents[1]
SLACK_PACKAGES = {"slack_sdk", "slack_bolt"}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_only_the_slack_adapter_imports_slack_sdk_or_bolt() -> None:
    offenders = []
    for folder in ("botkit", "adapters/console", "examples"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            roots = {name.split(".")[0] for name in _imported_modules(path)}
            if roots & SLACK_PACKAGES:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_boundary_check_sees_an_offending_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from slack_sdk.web.async_client import AsyncWebClient\nimport slack_bolt\n")
    assert {"slack_sdk.web.async_client", "slack_bolt"} <= _imported_modules(bad)


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


def test_all_is_sorted_and_unique() -> None:
    assert len(set(botkit.__all__)) == len(botkit.__all__)


def test_core_modules_stay_small() -> None:
    too_big = {}
    for module in pkgutil.walk_packages(botkit.__path__, "botkit."):
        if module.name.endswith("__main__"):
            continue
        source = inspect.getsource(importlib.import_module(module.name))
        lines = len(source.splitlines())
        if lines > 400:
            too_big[module.name] = lines
    assert too_big == {}
