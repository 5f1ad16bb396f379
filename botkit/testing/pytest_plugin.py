"""pytest fixtures for testing botkit bots (registered through the ``pytest11`` entry point)."""

from __future__ import annotations

import pytest

from botkit.testing.fake_adapter import FakeAdapter


@pytest.fixture
def fake_adapter() -> FakeAdapter:
    """A fresh in-memory platform with every capability on."""
    return FakeAdapter()
