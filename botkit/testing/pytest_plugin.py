"""pytest support for testing botkit bots (registered through the ``pytest11`` entry point).

- a ``fake_adapter`` fixture: a fresh in-memory platform with every capability on;
- ``async def`` tests run as written: a coroutine test no other plugin claims (no
  ``asyncio``, ``anyio`` or ``trio`` marker, and not converted by pytest-asyncio's auto
  mode) runs on a fresh event loop, so a new project needs no configuration. Projects that
  use pytest-asyncio or anyio keep their own markers, modes and async fixtures.
"""

from __future__ import annotations

import asyncio
import inspect

import pytest

from botkit.testing.fake_adapter import FakeAdapter

__all__ = ["fake_adapter", "pytest_pyfunc_call"]

_OTHER_RUNNERS = ("asyncio", "anyio", "trio")


@pytest.fixture
def fake_adapter() -> FakeAdapter:
    """A fresh in-memory platform with every capability on."""
    return FakeAdapter()


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run an unclaimed ``async def`` test with ``asyncio.run``."""
    test = pyfuncitem.obj
    if not inspect.iscoroutinefunction(test):
        return None
    if any(pyfuncitem.get_closest_marker(name) for name in _OTHER_RUNNERS):
        return None
    wanted = inspect.signature(test).parameters
    arguments = {name: pyfuncitem.funcargs[name] for name in wanted
                 if name in pyfuncitem.funcargs}
    asyncio.run(test(**arguments))
    return True
