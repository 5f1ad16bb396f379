"""Names a package exports but loads only when first used (PEP 562).

A bot that never names ``SQLiteStore`` or ``AgUiHttpAgent`` does not import SQLite, Redis
or an HTTP client for them: the package's ``__getattr__`` imports the defining module the
first time the name is looked up, then keeps the value as an ordinary attribute.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, where: Mapping[str, str]
                 ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``package``'s ``__getattr__`` and ``__dir__``, for ``where`` (name → the module that
    defines it)."""

    def __getattr__(name: str) -> object:
        if name in where:
            value = getattr(importlib.import_module(where[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
