"""House rules checked mechanically: the import boundary and the public API."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
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
    # dir(): names bound on first use (the HTTP agent backends) count too
    public = {n for n in dir(botkit) if n.isidentifier() and not n.startswith("_")}
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


def test_a_slack_bot_on_http_events_does_not_load_what_it_does_not_use() -> None:
    # startup memory: httpx (the HTTP agent backends), rich (terminal rendering) and the
    # Socket Mode client are loaded when first used, not by importing botkit or its adapter
    code = ("import sys, botkit, botkit.testing, botkit_slack.adapter; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'httpx', 'rich'}), "
            "'slack_sdk.socket_mode' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["[]", "False"]
    assert botkit.AgUiHttpAgent.__module__ == "botkit.agents.http"  # still there when named


def test_the_slack_adapter_loads_no_ca_store_or_mime_table_at_start() -> None:
    # startup memory: aiohttp's two default TLS contexts load the system's CA bundle when
    # ``aiohttp.connector`` is imported (~2 MB) and ``aiohttp.web`` reads the system's MIME
    # types (~0.4 MB); imported after botkit, the CAs load at the first TLS handshake and
    # the MIME types at the first guess (tests/test_aiohttp_deferred.py)
    code = ("import botkit, botkit_slack.adapter, aiohttp.web, mimetypes, "
            "aiohttp.connector as c; "
            "print([vars(x).get('_ca_pending') for x in "
            "(c._SSL_CONTEXT_VERIFIED, c._SSL_CONTEXT_UNVERIFIED)], mimetypes._db is None)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[True, True] True"


def test_botkit_run_loads_only_the_adapter_it_serves_on() -> None:
    # startup memory: ``botkit run`` loads every adapter's CLI plugin, so a plugin must not
    # bring its adapter (the web one pulled in the web server and the threads HTTP API,
    # ~13 MB); the threads CLI loads httpx only to reach a remote bot; the console loads
    # rich only for a terminal
    code = ("import sys, botkit.cli, botkit_console; "
            "from botkit.cli_plugins import installed_plugins; "
            "plugins = installed_plugins(); assert not plugins.broken, plugins.broken; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'httpx', 'rich', 'jinja2'} or m in {'botkit_web.adapter', "
            "'botkit.threads.http', 'botkit_slack.adapter'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
    import botkit_web

    assert botkit_web.WebAdapter.__name__ == "WebAdapter"  # still there when named
    assert set(botkit_web.__all__) <= set(dir(botkit_web))


def test_the_helpdesk_on_slack_does_not_load_what_it_never_uses() -> None:
    # startup memory: the SQLite and Redis stores, the store conformance suites, the AG-UI
    # test server, JSON Patch and difflib are loaded when first used, not by ``botkit run``
    # with every adapter's plugin loaded, the helpdesk's imports and the Slack adapter; nor
    # are the pydantic-ai agent, the threads API's routes, the LangChain message shape,
    # ``botkit new``'s scaffold, the threads CLI, or the console's terminal parts (the
    # helpdesk declares a ``ConsoleAdapter`` even when served on Slack), nor slack_sdk's sync
    # clients (its package ``__init__`` runs when one of its names is read)
    unused = ("botkit.store.sqlite", "botkit.store.sqlite_streams", "botkit.store.redis",
              "botkit.store.redis_streams", "botkit.testing.store_conformance",
              "botkit.testing.stream_conformance", "botkit.testing.agui_server",
              "botkit.testing.fake_adapter", "jsonpatch",
              "difflib", "getpass", "botkit.agents.pydantic_ai", "botkit.threads.routes",
              "botkit.langchain", "botkit.scaffold", "botkit.threads.cli",
              "botkit_console.ingress", "botkit_console.lines", "botkit_console.output",
              "botkit_console.progress", "botkit_console.transcript", "botkit_console.modals",
              "slack_sdk.web.client", "slack_sdk.webhook")
    code = ("import sys, botkit, botkit.cli, botkit_console, botkit_slack.adapter; "
            "from botkit.testing import ScriptedAgent; "
            "from botkit.cli_plugins import installed_plugins; "
            "plugins = installed_plugins(); assert not plugins.broken, plugins.broken; "
            "from botkit_console import ConsoleAdapter; ConsoleAdapter(); "
            f"print(sorted(m for m in {unused!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
    # still there when named, and the public API is the same
    import botkit.agents
    import botkit.store
    import botkit.testing
    import botkit_console.adapter
    from botkit.agents.pydantic_ai import PydanticAIAgent
    from botkit.store.redis import RedisStore
    from botkit.store.sqlite import SQLiteStore
    from botkit.testing.store_conformance import check_store
    from botkit.threads.routes import Route, RouteGroup
    from botkit_console.ingress import CONVERSATION

    assert botkit.SQLiteStore is SQLiteStore
    assert botkit.RedisStore is RedisStore
    assert botkit.store.SQLiteStore is SQLiteStore
    assert botkit.testing.check_store is check_store
    assert botkit.testing.FakeAdapter.__module__ == "botkit.testing.fake_adapter"
    assert botkit.PydanticAIAgent is botkit.agents.PydanticAIAgent is PydanticAIAgent
    assert (botkit.Route, botkit.RouteGroup) == (Route, RouteGroup)
    assert botkit_console.adapter.CONVERSATION is CONVERSATION
    for module in (botkit, botkit.agents, botkit.store, botkit.testing, botkit_console.adapter):
        assert set(module.__all__) <= set(dir(module))
        assert all(getattr(module, name) is not None for name in module.__all__)
    assert isinstance(botkit.store_from_url("sqlite:///x.db"), SQLiteStore)


def test_ag_ui_models_are_built_when_first_used_and_behave_the_same() -> None:
    # startup memory: pydantic builds a model's validator when its class is created, and
    # AG-UI has ~85 models; botkit imports them with the builds deferred to first use
    code = """
import json, sys, pydantic
if sys.argv[1] == "botkit":
    import botkit
import ag_ui.core as agui

class Mine(pydantic.BaseModel):  # pydantic's default is back for everyone else
    x: int

deferred = not agui.ReasoningStartEvent.__pydantic_complete__
try:
    agui.UserMessage.model_validate({"id": "1", "role": "user", "content": 3})
except pydantic.ValidationError as exc:
    errors = [(e["type"], e["loc"]) for e in exc.errors()]
print(json.dumps({
    "deferred": deferred, "mine": Mine.__pydantic_complete__, "errors": errors,
    "event": agui.ReasoningStartEvent(message_id="m").model_dump(by_alias=True),
    "input": agui.RunAgentInput.model_validate({
        "threadId": "t", "runId": "r", "state": {}, "tools": [], "context": [],
        "forwardedProps": {}, "messages": [{"id": "1", "role": "user", "content": "hi"}]
    }).model_dump(by_alias=True, exclude_none=True),
    "schema": agui.Tool.model_json_schema(),
    "complete": agui.ReasoningStartEvent.__pydantic_complete__,
}))
"""
    runs = {mode: json.loads(subprocess.run(
        [sys.executable, "-c", code, mode], capture_output=True, text=True,
        check=True).stdout) for mode in ("botkit", "plain")}
    assert runs["botkit"]["deferred"]
    assert not runs["plain"]["deferred"]
    assert runs["botkit"]["mine"]
    assert runs["botkit"]["complete"]
    for key in ("errors", "event", "input", "schema"):
        assert runs["botkit"][key] == runs["plain"][key]
    assert runs["botkit"]["errors"]
