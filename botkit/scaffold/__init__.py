"""``botkit new NAME``: a ready project with a bot, its tests, a pyproject and a Slack
manifest. The files come from ``templates/`` (package data, ``string.Template`` syntax)."""

from __future__ import annotations

import importlib.util
import keyword
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from string import Template

from botkit.errors import UserError

__all__ = ["Project", "create_project"]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,62}")

# template → where it goes; ``{module}`` is the bot's module name
_LAYOUT = {
    "bot.py.tmpl": "{module}.py",
    "test_bot.py.tmpl": "tests/test_{module}.py",
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "slack-manifest.yaml.tmpl": "slack-manifest.yaml",
    "gitignore.tmpl": ".gitignore",
}


@dataclass(frozen=True)
class Project:
    """A project ``create_project`` wrote: its folder, bot module and files (relative)."""

    root: Path
    module: str
    files: tuple[str, ...]


def module_name(name: str) -> str:
    """The Python module a project called ``name`` keeps its bot in."""
    if not _NAME.fullmatch(name):
        raise UserError(f"{name!r} is not a usable project name: start with a letter and use "
                        "only letters, digits, '-' and '_' (e.g. helpdesk-bot)")
    module = name.lower().replace("-", "_")
    if keyword.iskeyword(module):
        raise UserError(f"{name!r} is a Python keyword; pick another name")
    if importlib.util.find_spec(module) is not None:
        raise UserError(f"a module called {module!r} is already installed, and the project's "
                        f"{module}.py would hide it; pick another name (e.g. {module}_bot)")
    return module


def create_project(root: Path) -> Project:
    """Write a new project into the folder ``root``, which must not exist yet."""
    from botkit import __version__

    name = root.name
    module = module_name(name)
    if root.exists():
        raise UserError(f"{root} already exists; botkit new only creates a new folder "
                        "(pick another name, or move that one away)")
    values = {"name": name, "module": module, "botkit_version": __version__}
    templates = files(__name__).joinpath("templates")
    rendered = {
        target.format(module=module): Template(
            templates.joinpath(source).read_text(encoding="utf-8")).substitute(values)
        for source, target in _LAYOUT.items()
    }
    root.mkdir(parents=True)
    for relative, text in rendered.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Project(root=root, module=module, files=tuple(rendered))
