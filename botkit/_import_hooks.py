"""Other packages' modules imported without work a bot may never need (startup memory).

One finder on ``sys.meta_path`` knows a few module names, and wraps each one's loader:

- ``run_with(name, deferring)``: the module's code runs inside ``deferring()``, a context
  manager that changes one default for the duration of that import (``_deferred_imports``:
  aiohttp's CA store and MIME table, loaded when first used);
- ``lazy_package_init(name)``: the package's ``__init__`` runs the first time one of its own
  names is read, not when one of its submodules is imported (slack_sdk's ``__init__``
  imports its sync ``WebClient``; a bot on the async client never needs it). Reading a
  submodule's name imports that submodule, as the ``__init__`` would have.

A module imported before its name was registered is left as it is. The finder removes
itself once it has seen every name it knows.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.abc import Loader

__all__ = ["lazy_package_init", "run_with"]

Deferring = Callable[[], contextlib.AbstractContextManager[None]]
Prelude = Callable[[ModuleType], Callable[[], None]]


class _Wrapped:  # (not an importlib.abc.Loader: that module brings tempfile, random, lzma …)
    def __init__(self, inner: Loader) -> None:
        self._inner = inner

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._inner  # the module looks as if imported the usual way
        if module.__spec__ is not None:
            module.__spec__.loader = self._inner
        self._exec(module)

    def _exec(self, module: ModuleType) -> None:
        raise NotImplementedError


class _RunWith(_Wrapped):
    def __init__(self, inner: Loader, deferring: Deferring) -> None:
        super().__init__(inner)
        self._deferring = deferring

    def _exec(self, module: ModuleType) -> None:
        with self._deferring():
            self._inner.exec_module(module)


class _LazyInit(_Wrapped):
    def __init__(self, inner: Loader, prelude: Prelude | None) -> None:
        super().__init__(inner)
        self._prelude = prelude

    def _exec(self, module: ModuleType) -> None:
        undo = self._prelude(module) if self._prelude is not None else None
        inner = self._inner

        def run_init() -> None:
            if module.__dict__.pop("__getattr__", None) is not None:  # once
                del module.__dict__["__dir__"]
                if undo is not None:
                    undo()
                inner.exec_module(module)

        def __getattr__(name: str) -> Any:
            submodule = f"{module.__name__}.{name}"
            if not name.startswith("__"):  # a submodule: imported, as the __init__ would
                if submodule in sys.modules:
                    return sys.modules[submodule]
                if importlib.util.find_spec(submodule) is not None:
                    return importlib.import_module(submodule)
            run_init()
            try:
                return module.__dict__[name]
            except KeyError:
                raise AttributeError(
                    f"module {module.__name__!r} has no attribute {name!r}") from None

        def __dir__() -> list[str]:
            run_init()
            return sorted(module.__dict__)

        module.__dict__.update(__getattr__=__getattr__, __dir__=__dir__)


_known: dict[str, Callable[[Loader], _Wrapped]] = {}


class _Finder:
    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        wrap = _known.pop(fullname, None)
        if wrap is None:
            return None
        if not _known:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)  # its package is being imported
        if spec is not None and spec.loader is not None:
            spec.loader = wrap(spec.loader)  # type: ignore[assignment]
        return spec


def _register(name: str, wrap: Callable[[Loader], _Wrapped]) -> None:
    if name in sys.modules:
        return
    _known[name] = wrap
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def run_with(name: str, deferring: Deferring) -> None:
    """Run module ``name``'s code inside ``deferring()`` when it is first imported."""
    _register(name, lambda inner: _RunWith(inner, deferring))


def lazy_package_init(name: str, prelude: Prelude | None = None) -> None:
    """Run package ``name``'s ``__init__`` when one of its own names is first read.
    ``prelude(package)`` runs at import instead (what must hold from the start); what it
    returns is called just before the ``__init__`` runs."""
    _register(name, lambda inner: _LazyInit(inner, prelude))
