"""AG-UI's pydantic models, imported so that each one is built when first used.

``ag_ui.core`` defines some 85 pydantic models, and pydantic builds a model's validator and
serializer when its class is created: about 2.5 MB of a bot's startup memory, mostly for
models a bot never validates (capabilities, reasoning, subagents, media parts…). botkit
imports ``ag_ui.core`` first, with pydantic's ``defer_build`` on for that import only, so a
model is built the first time it validates or dumps (the same behaviour and errors; only
the moment differs). The helpdesk on Slack builds nine of them.

``defer_build`` is a public model setting, but no public API sets it for another package's
models, so this flips pydantic's default for the duration of the import. A pydantic without
that default (or a process that imported ``ag_ui`` before botkit, or run with
``BOTKIT_EAGER_IMPORTS=1``) builds eagerly as usual.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

__all__: list[str] = []


@contextlib.contextmanager
def _deferred_builds() -> Iterator[None]:
    try:
        from pydantic._internal._config import config_defaults
    except ImportError:  # pragma: no cover - a pydantic that moved it: build eagerly
        yield
        return
    if config_defaults.get("defer_build") is not False:  # pragma: no cover - not ours to flip
        yield
        return
    config_defaults["defer_build"] = True
    try:
        yield
    finally:
        config_defaults["defer_build"] = False


if "ag_ui.core" not in sys.modules and os.environ.get("BOTKIT_EAGER_IMPORTS") != "1":
    with _deferred_builds():
        import ag_ui.core  # noqa: F401
