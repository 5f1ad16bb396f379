"""aiohttp's two default TLS contexts, with their CA certificates loaded on first use.

When ``aiohttp.connector`` is imported, it creates two ``ssl.SSLContext`` objects (verified
and not) and each loads the system's CA bundle: about 2 MB of a bot's startup memory, paid
even when every connection is plain HTTP (the Slack emulator, a local agent server). botkit
installs a finder that lets that import run with ``set_default_verify_paths`` deferred: the
two contexts are real ``SSLContext`` objects of a subclass that loads the default paths
just before its first TLS handshake (``wrap_bio`` / ``wrap_socket``) or when its CA list is
read. Certificates, checks and errors are the same; only the moment of loading differs
(once, ~40 ms, at the first HTTPS connection: for a bot, its first platform call at start).

Nothing changes for a process that imported aiohttp before botkit, nor for contexts made
outside that import.
"""

from __future__ import annotations

import contextlib
import importlib.util
import ssl
import sys
import threading
from collections.abc import Iterator, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.abc import Loader

__all__ = ["CaOnFirstUseContext"]

_MODULE = "aiohttp.connector"
_load_lock = threading.Lock()


def _load_default_paths(context: ssl.SSLContext) -> None:
    # ssl.SSLContext's own method (the C one), even while ``_ca_on_first_use`` replaces it
    super(ssl.SSLContext, context).set_default_verify_paths()


class CaOnFirstUseContext(ssl.SSLContext):
    """An ``SSLContext`` whose default verify paths are loaded before it is first used."""

    _ca_pending = False

    def _load_ca(self) -> None:
        if self._ca_pending:
            with _load_lock:
                if self._ca_pending:
                    _load_default_paths(self)
                    self._ca_pending = False

    def set_default_verify_paths(self) -> None:
        with _load_lock:
            self._ca_pending = False
            _load_default_paths(self)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> Any:
        self._load_ca()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> Any:
        self._load_ca()
        return super().wrap_bio(*args, **kwargs)

    def get_ca_certs(self, *args: Any, **kwargs: Any) -> Any:
        self._load_ca()
        return super().get_ca_certs(*args, **kwargs)

    def cert_store_stats(self) -> dict[str, int]:
        self._load_ca()
        return super().cert_store_stats()


def _later(context: ssl.SSLContext) -> None:
    if type(context) is ssl.SSLContext:
        context.__class__ = CaOnFirstUseContext
    if isinstance(context, CaOnFirstUseContext):
        context._ca_pending = True
    else:  # a subclass of someone else's: load now, as always
        _load_default_paths(context)


@contextlib.contextmanager
def _ca_on_first_use() -> Iterator[None]:
    """Contexts that load their default verify paths while this is open load them later."""
    if "set_default_verify_paths" in vars(ssl.SSLContext):  # pragma: no cover - not ours
        yield
        return
    ssl.SSLContext.set_default_verify_paths = _later  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        del ssl.SSLContext.set_default_verify_paths


class _Loader:  # (not an importlib.abc.Loader: that module brings tempfile, random, lzma …)
    def __init__(self, inner: Loader) -> None:
        self._inner = inner

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self._inner
        if module.__spec__ is not None:
            module.__spec__.loader = self._inner
        with _ca_on_first_use():
            self._inner.exec_module(module)


class _Finder:
    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname != _MODULE:
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)  # once: the rest of the finders find it
        spec = importlib.util.find_spec(fullname)  # its parent, aiohttp, is being imported
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)  # type: ignore[assignment]
        return spec


if _MODULE not in sys.modules and not any(isinstance(f, _Finder) for f in sys.meta_path):
    sys.meta_path.insert(0, _Finder())
