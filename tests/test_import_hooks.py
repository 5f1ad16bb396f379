"""Packages whose ``__init__`` botkit runs when first read (startup memory): the same names,
values and errors as when it runs at import, only later."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

SLACK_SDK = """
import json, logging, sys
if sys.argv[1] == "botkit":
    import botkit, botkit_slack.adapter  # botkit first: it defers slack_sdk's __init__
else:
    import slack_sdk.signature, slack_sdk.web.async_client  # what the adapter imports
import slack_sdk, slack_sdk.web
early = sorted(m for m in ("slack_sdk.web.client", "slack_sdk.webhook") if m in sys.modules)
handlers = len(logging.getLogger("slack_sdk").handlers)
from slack_sdk import version, errors  # submodules: no __init__ needed for them
still = "slack_sdk.web.client" not in sys.modules
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse
try:
    slack_sdk.NotThere
except AttributeError as exc:
    missing = str(exc)
print(json.dumps({
    "early": early, "handlers": [handlers, len(logging.getLogger("slack_sdk").handlers)],
    "still": still, "client": WebClient.__module__, "response": SlackResponse.__module__,
    "all": [slack_sdk.__all__, slack_sdk.web.__all__], "webhook": slack_sdk.webhook.__name__,
    "names": [sorted(n for n in dir(m) if not n.startswith("__"))
              for m in (slack_sdk, slack_sdk.web)],
    "missing": missing, "version": version.__version__, "errors": errors.__name__,
}))
"""


def _run(code: str, *args: str, cwd: Path | None = None) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                         text=True, cwd=cwd)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_slack_sdk_loads_its_sync_clients_only_when_named() -> None:
    runs = {mode: _run(SLACK_SDK, mode) for mode in ("botkit", "plain")}
    assert runs["botkit"].pop("early") == []
    assert runs["plain"].pop("early") == ["slack_sdk.web.client", "slack_sdk.webhook"]
    assert runs["botkit"].pop("still") is True  # importing submodules did not run __init__
    assert runs["plain"].pop("still") is False
    assert runs["botkit"]["handlers"] == runs["plain"]["handlers"] == [1, 1]
    assert runs["botkit"] == runs["plain"]
    assert runs["botkit"]["client"] == "slack_sdk.web.client"


LAZY = """
import json, sys
from botkit._import_hooks import lazy_package_init
seen = []
lazy_package_init("pkg", lambda module: (seen.append("prelude"), lambda: seen.append("undo"))[1])
import pkg.sub
seen.append(f"imported sub, ran init: {'pkg.heavy' in sys.modules}")
from pkg import other  # a submodule the __init__ does not import
seen.append(f"imported other, ran init: {'pkg.heavy' in sys.modules}")
seen.append(pkg.NAME)
try:
    pkg.nothing
except AttributeError as exc:
    seen.append(str(exc))
seen.append(pkg.__all__)
print(json.dumps(seen))
"""


def test_a_lazy_package_runs_its_init_once_on_first_read(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from .heavy import NAME
        __all__ = ["NAME"]
    """))
    (pkg / "heavy.py").write_text("NAME = 'heavy'\n")
    (pkg / "sub.py").write_text("X = 1\n")
    (pkg / "other.py").write_text("Y = 2\n")
    assert _run(LAZY, cwd=tmp_path) == [
        "prelude", "imported sub, ran init: False", "imported other, ran init: False",
        "undo", "heavy", "module 'pkg' has no attribute 'nothing'", ["NAME"]]
