"""The adapters' dependencies imported without work they do at import for things a bot may
never use (startup memory; ``_import_hooks`` does the importing, for modules imported after
``botkit``).

Two modules aiohttp imports run with one default changed for the duration of their import
(as ``_agui`` does for AG-UI's models):

- ``aiohttp.connector`` creates two ``ssl.SSLContext`` objects (verified and not) and each
  loads the system's CA bundle: about 2 MB, paid even when every connection is plain HTTP
  (the Slack emulator, a local agent server). Here ``set_default_verify_paths`` is deferred:
  the two contexts are real ``SSLContext`` objects of a subclass that loads the default
  paths just before its first TLS handshake (``wrap_bio`` / ``wrap_socket``) or when its CA
  list is read. Certificates, checks and errors are the same; only the moment differs (once,
  ~40 ms, at the first HTTPS connection: for a bot, its first platform call at start).
- ``aiohttp.web_fileresponse`` makes a ``MimeTypes()`` (Python's built-in table, for static
  files), whose constructor first reads the system's ``mime.types`` into ``mimetypes``'
  global table (~0.4 MB) though the instance never uses it. Here that reading is left to
  the first ``mimetypes.guess_type``, as in a process that never imported ``aiohttp.web``;
  the instance is the same.

And slack_sdk's package ``__init__`` imports its sync ``WebClient`` (a 5,000-line module)
and ``WebhookClient``, so importing the async client loaded them too (~0.7 MB): it runs when
one of its names is first read (``from slack_sdk import WebClient``, Bolt). Its logger's
``NullHandler`` is there from the start.

Nothing changes for a module that was imported before botkit, nor at all with the
environment variable ``BOTKIT_EAGER_IMPORTS=1`` (every module then imports as it would
without botkit: the switch to reach for when another library in the process needs these
loaded at import).

Deliberately not done: swapping an implementation (frozenlist's C++ list for its Python
fallback would save ~1 MB of ``libstdc++``), since that is a change for the whole process,
not only of a moment.
"""

from __future__ import annotations

import contextlib
import logging
import os
import ssl
import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from botkit._import_hooks import lazy_package_init, run_with

__all__ = ["CaOnFirstUseContext"]

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


@contextlib.contextmanager
def _system_mime_types_unread() -> Iterator[None]:
    """``mimetypes.MimeTypes()`` made while this is open does not read the system's table."""
    import mimetypes

    if mimetypes.inited:
        yield
        return
    table = mimetypes.types_map  # init() replaces it
    mimetypes.inited = True  # what MimeTypes.__init__ checks before calling init()
    try:
        yield
    finally:
        if mimetypes.types_map is table:  # nobody read the system's table meanwhile
            mimetypes.inited = False


EAGER = os.environ.get("BOTKIT_EAGER_IMPORTS", "") == "1"


def _slack_sdk_logging(package: ModuleType) -> Callable[[], None]:
    """What slack_sdk's ``__init__`` sets up that must hold from the start: the NullHandler
    on its logger (its ``__init__`` adds its own when it runs, and this one goes)."""
    handler = logging.NullHandler()
    logging.getLogger(package.__name__).addHandler(handler)
    return lambda: logging.getLogger(package.__name__).removeHandler(handler)


if not EAGER:
    run_with("aiohttp.connector", _ca_on_first_use)
    run_with("aiohttp.web_fileresponse", _system_mime_types_unread)
    lazy_package_init("slack_sdk", _slack_sdk_logging)
    lazy_package_init("slack_sdk.web")
