"""The layer table of docs/architecture.md, checked on the import graph.

Every ``import`` counts: module level, inside functions (lazy) and under ``TYPE_CHECKING``.
A module may import its own layer and the layers below it, never one above.

    L0  errors, types, events, keys, codec, ui/*, _agent_context,   values and codecs
        _agui
    L1  store/*, agents/* (protocol + backends)                      infrastructure
    L2  adapter, history                                             the adapter contract
    L3  run/*, choices/*, _turns, _actions, threads/* …              engines
    L4  bot, thread, context, tools, clicks, _dispatch, _registry …  the facade
    L5  botkit (the package), testing/*, cli, __main__, threads/cli,  edges
        threads/http/* (the HTTP server), threads/serving
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "botkit"
ADAPTER_PACKAGES = {"botkit_console", "botkit_slack"}
SLACK_PACKAGES = {"slack_sdk", "slack_bolt"}
SIZE_CAP = 400
SIZE_EXCEPTIONS: set[str] = set()  # files allowed over the cap (each with its reason)

# The most specific prefix wins ("botkit.threads.cli" before "botkit.threads").
LAYERS: dict[str, int] = {
    "botkit.errors": 0, "botkit.types": 0, "botkit.events": 0, "botkit.keys": 0,
    "botkit.codec": 0, "botkit.ui": 0, "botkit._agent_context": 0, "botkit._agui": 0,
    "botkit._lazy": 0,
    "botkit.threads.routes": 0,
    "botkit.store": 1, "botkit.agents": 1,
    "botkit.adapter": 2, "botkit.history": 2, "botkit.handle": 2, "botkit.langchain": 2,
    "botkit.run": 3, "botkit.agents.loop": 3, "botkit.agents.assembler": 3,
    "botkit.choices": 3, "botkit._turns": 3, "botkit._actions": 3, "botkit.threads": 3,
    "botkit._validation": 3, "botkit.inbox": 3, "botkit.dashboard": 3,
    "botkit.bot": 4, "botkit.thread": 4, "botkit.context": 4, "botkit.tools": 4,
    "botkit.clicks": 4, "botkit._dispatch": 4, "botkit._registry": 4, "botkit._runtime": 4,
    "botkit._gated": 4, "botkit._decorators": 4, "botkit._records": 4,
    "botkit._inbox_host": 4,
    "botkit.run.result": 0,
    "botkit": 5, "botkit.testing": 5, "botkit.cli": 5, "botkit.__main__": 5,
    "botkit.threads.cli": 5, "botkit.threads.http": 5, "botkit.threads.serving": 5,
    "botkit.cli_plugins": 5, "botkit.scaffold": 5,
}
FACADE = 4

# Upward edges allowed for now (each with the reason); the test fails when one is gone, so
# this list can only shrink.
KNOWN_UPWARD: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules_under(root: Path, package: str) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}


def imports_of(path: Path, name: str, known: set[str]) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports (``TYPE_CHECKING`` and function-level included).
    ``from pkg import sub`` counts as importing ``pkg.sub`` when that is a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (full if full in known else base), node.lineno


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        found = LAYERS.get(".".join(parts[:i]))
        if found is not None:
            return found
    return None


def core_graph() -> list[Edge]:
    modules = _modules_under(ROOT, "botkit")
    edges = []
    for name, path in modules.items():
        for imported, line in imports_of(path, name, set(modules)):
            if imported == "botkit" or imported.startswith("botkit."):
                edges.append(Edge(name, imported, line))
    return edges


def upward(edges: list[Edge]) -> set[tuple[str, str]]:
    found = set()
    for e in edges:
        low, high = layer_of(e.importer), layer_of(e.imported)
        assert low is not None, f"{e.importer} has no layer: add it to LAYERS"
        assert high is not None, f"{e.imported} has no layer: add it to LAYERS"
        if high > low:
            found.add((e.importer, e.imported))
    return found


def test_every_core_module_has_a_layer() -> None:
    missing = [m for m in _modules_under(ROOT, "botkit") if layer_of(m) is None]
    assert missing == []


def test_no_module_imports_a_layer_above_its_own() -> None:
    found = upward(core_graph())
    assert found - KNOWN_UPWARD == set(), "new upward imports"
    assert KNOWN_UPWARD - found == set(), "these are gone: remove them from KNOWN_UPWARD"


def test_nothing_below_the_facade_imports_the_bot() -> None:
    offenders = [(e.importer, e.line) for e in core_graph()
                 if e.imported in {"botkit.bot", "botkit.thread"}
                 and not _above(e.importer, FACADE - 1)]
    assert offenders == []


def test_the_modules_that_import_the_bot_module_are_few() -> None:
    importers = {e.importer for e in core_graph() if e.imported == "botkit.bot"}
    assert importers <= {"botkit", "botkit.testing", "botkit.cli", "botkit.thread",
                         "botkit.context", "botkit.clicks", "botkit._dispatch"}


def test_the_adapter_contract_does_not_name_the_bot() -> None:
    imported = {e.imported for e in core_graph() if e.importer == "botkit.adapter"}
    assert {m for m in imported if _above(m, 2)} == set()


def _adapter_modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package_dir in sorted((ROOT / "adapters").glob("*/botkit_*")):
        found.update(_modules_under(package_dir.parent, package_dir.name))
    return found


def test_no_adapter_imports_the_bot_module() -> None:
    """Adapters get a ``BotHandle``; an adapter's serving helper may name the public
    ``botkit.Bot`` (the package), never the ``botkit.bot`` module."""
    modules = _adapter_modules()
    assert modules, "no adapter packages found"
    offenders = [(name, line) for name, path in modules.items()
                 for imported, line in imports_of(path, name, set(modules))
                 if imported == "botkit.bot"]
    assert offenders == []


# The one L3 module an adapter may import: the HTTP helpers every botkit route group
# shares (``Route``/``RouteGroup``, the error middleware and shape, JSON body and query
# parsing, the caller's ``Principal``). An adapter that serves HTTP routes (the web) uses
# them instead of copies, and its routes mount into the threads API as a group.
ADAPTER_EDGES = {"botkit.threads.http.base"}


def test_adapters_use_only_the_contract_layers_of_the_core() -> None:
    """An adapter is written against ``BotHandle``/``BaseAdapter`` and values (L0-L2),
    the public ``botkit`` package (a serving helper may take the public ``Bot``) and the
    shared HTTP helpers (``ADAPTER_EDGES``)."""
    modules = _adapter_modules()
    offenders = [(name, imported, line) for name, path in modules.items()
                 for imported, line in imports_of(path, name, set(modules))
                 if imported.startswith("botkit.") and _above(imported, 2)
                 and imported not in ADAPTER_EDGES
                 and not _plugs_into_the_cli(name, imported)]
    assert offenders == []


def _plugs_into_the_cli(importer: str, imported: str) -> bool:
    """An adapter's ``cli_plugin`` module is its edge: it may use ``botkit run``'s plugin
    contract (``botkit.cli_plugins``), and nothing else above L2."""
    return importer.endswith(".cli_plugin") and imported == "botkit.cli_plugins"


def _above(module: str, layer: int) -> bool:
    found = layer_of(module)
    return found is None or found > layer


def test_the_core_imports_no_adapter() -> None:
    offenders = [(e.importer, e.imported, e.line) for e in _core_adapter_edges()]
    assert offenders == []


def test_the_cli_imports_no_adapter() -> None:
    assert [e for e in _core_adapter_edges() if e.importer == "botkit.cli"] == []


def _core_adapter_edges() -> list[Edge]:
    modules = _modules_under(ROOT, "botkit")
    return [Edge(name, imported, line) for name, path in modules.items()
            for imported, line in imports_of(path, name, set(modules))
            if imported.split(".")[0] in ADAPTER_PACKAGES]


def test_only_the_slack_adapter_imports_slack_sdk_or_bolt() -> None:
    offenders = []
    for folder in ("botkit", "adapters/console", "examples"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            roots = {m.split(".")[0] for m, _ in imports_of(path, path.stem, set())}
            if roots & SLACK_PACKAGES:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_modules_stay_small() -> None:
    too_big = {}
    for folder in ("botkit", "adapters"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if ".venv" in path.parts or "node_modules" in path.parts:
                continue
            rel = str(path.relative_to(ROOT))
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > SIZE_CAP and rel not in SIZE_EXCEPTIONS:
                too_big[rel] = lines
    assert too_big == {}


def test_size_exceptions_are_still_needed() -> None:
    for rel in SIZE_EXCEPTIONS:
        path = ROOT / rel
        assert path.exists(), f"{rel} is gone: drop it from SIZE_EXCEPTIONS"
        assert len(path.read_text(encoding="utf-8").splitlines()) > SIZE_CAP, rel


# -- the checker itself ------------------------------------------------------------------
def test_the_checker_sees_type_checking_lazy_and_relative_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "botkit"
    (pkg / "run").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "run" / "__init__.py").write_text("")
    (pkg / "keys.py").write_text("")
    source = pkg / "run" / "loop.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from botkit import keys\n"
        "from .. import codec\n"
        "if TYPE_CHECKING:\n"
        "    from botkit.bot import Bot\n"
        "def later():\n"
        "    import botkit_slack.adapter\n"
        "    from ..thread import Thread\n")
    known = set(_modules_under(tmp_path, "botkit"))
    found = {m for m, _ in imports_of(source, "botkit.run.loop", known)}
    assert {"botkit.keys", "botkit", "botkit.bot", "botkit_slack.adapter",
            "botkit.thread"} <= found
    edges = [Edge("botkit.run.loop", m, 0) for m in found
             if m == "botkit" or m.startswith("botkit.")]
    assert ("botkit.run.loop", "botkit.bot") in upward(edges)
    assert ("botkit.run.loop", "botkit.keys") not in upward(edges)


# -- friend access -------------------------------------------------------------------------
# ``x._name`` is private to the module that defines ``_name``: another module passes the
# collaborator explicitly instead (the ``Runtime``, a ``RunSurface``). Allowed everywhere:
# ``self._x`` / ``cls._x``; and ``obj._x`` on a plain name when this module defines ``_x``
# (a module-level helper of the module's own class, e.g. ``thread.replay_tool_call``).
PUBLIC_UNDERSCORE_API = {
    "_replace", "_asdict", "_fields", "_make",  # namedtuple's public methods
}
STDLIB_PRIVATE_TYPES = {
    "argparse._ArgumentGroup",  # the type of parser.add_argument_group(); argparse names no other
}


def _defined_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def friend_accesses(source: str) -> list[tuple[int, str]]:
    """``(line, expression)`` of every ``x._name`` reaching into another module's privates."""
    tree = ast.parse(source)
    own = _defined_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not node.attr.startswith("_") \
                or node.attr.startswith("__") or node.attr in PUBLIC_UNDERSCORE_API:
            continue
        receiver = node.value
        if isinstance(receiver, ast.Name) and (receiver.id in ("self", "cls")
                                               or node.attr in own):
            continue
        if ast.unparse(node) in STDLIB_PRIVATE_TYPES:
            continue
        found.append((node.lineno, ast.unparse(node)))
    return sorted(found)


# Friend access allowed for now (each with its reason); the test fails when one is gone, so
# this list can only shrink.
KNOWN_FRIEND_ACCESS = {
    # ctx.open_modal hands the triggering event to the Thread (a public
    # Thread.open_modal(event, modal), or the context passing the adapter, would end it)
    ("botkit/context.py", "self.thread._open_modal"),
}


def test_no_module_reaches_into_another_modules_privates() -> None:
    found = set()
    for folder in ("botkit", "adapters"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if {".venv", "node_modules", "bench"} & set(path.parts):
                continue  # benches instrument internals, as tests do
            rel = str(path.relative_to(ROOT))
            found |= {(rel, expr) for _, expr in
                      friend_accesses(path.read_text(encoding="utf-8"))}
    assert found - KNOWN_FRIEND_ACCESS == set(), "new friend access"
    assert KNOWN_FRIEND_ACCESS - found == set(), "these are gone: remove them from the list"


def test_the_friend_access_checker() -> None:
    source = (
        "class Thread:\n"
        "    def __init__(self, bot):\n"
        "        self._bot = bot\n"
        "        self._x = bot._runtime\n"        # another object's private: flagged
        "    def go(self):\n"
        "        return self._bot._pipeline\n"    # through an attribute: flagged
        "def helper(thread):\n"
        "    return thread._x, parts._replace()\n")  # own module's name; namedtuple API
    assert friend_accesses(source) == [(4, "bot._runtime"), (6, "self._bot._pipeline")]


def test_no_adapter_reads_the_cores_store_keys() -> None:
    """The core's records (interrupts, choices, thread records) reach an adapter through
    ``BotHandle`` (``records``, ``may_answer``, ``check_resume``, ``run_ended``), never by
    reading ``botkit.keys`` in the store, so their shape stays the core's to change."""
    modules = _adapter_modules()
    offenders = [(name, line) for name, path in modules.items()
                 for imported, line in imports_of(path, name, set(modules))
                 if imported == "botkit.keys"]
    assert offenders == []
