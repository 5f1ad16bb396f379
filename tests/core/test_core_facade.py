"""The ``Bot`` facade: ``create_bot`` and ``Bot`` take the same options; the handle adapters
get."""

from __future__ import annotations

import inspect
from typing import get_type_hints

import botkit.bot
from botkit import Bot, create_bot
from botkit.adapter import BotHandle
from botkit.testing import FakeAdapter


def test_create_bot_takes_exactly_the_options_bot_takes() -> None:
    params = {name: p for name, p in inspect.signature(Bot).parameters.items()}
    assert all(p.kind is p.KEYWORD_ONLY for p in params.values())
    hints = get_type_hints(Bot.__init__, vars(botkit.bot))
    options = get_type_hints(botkit.bot.BotOptions, vars(botkit.bot))
    assert set(options) == set(params)
    for name, hint in options.items():
        assert hint == hints[name], name


def test_create_bot_passes_dedup_ttl() -> None:
    bot = create_bot(adapters=[FakeAdapter()], dedup_ttl=5.0)  # a TypeError before
    assert bot.dedup_ttl == 5.0


def test_a_bot_is_a_bot_handle() -> None:
    assert isinstance(create_bot(adapters=[FakeAdapter()]), BotHandle)
