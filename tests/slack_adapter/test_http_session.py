"""The adapter's Web API calls share one pooled HTTP session (slack_sdk would open a session
and a connection per call), opened by ``start`` and closed by ``stop`` or a failed start."""

from __future__ import annotations

import pytest
from slack_adapter_harness import running

from botkit import create_bot
from botkit.errors import AdapterError
from botkit_slack.adapter import SlackAdapter
from botkit_slack.emulator import EmulatorConfig, SlackEmulator


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_turns_reuse_one_session_closed_on_stop(mode: str) -> None:
    async with running(mode) as h:
        session = h.adapter.api.session
        assert session is not None
        assert not session.closed
        assert h.adapter.quick.session is session
        asked = await h.mention("hello there")
        await h.reply(asked["ts"], "reset your password")
        assert h.adapter.api.session is session
        assert not session.closed
    assert session.closed
    assert h.adapter.api.session is None


async def test_a_failed_start_closes_its_session() -> None:
    async with SlackEmulator(config=EmulatorConfig.fast()) as slack:
        adapter = SlackAdapter(bot_token="xoxb-wrong", app_token=slack.app_token,
                               base_url=slack.base_url, socket_mode=True)
        bot = create_bot(name="t")
        bot.adapters = [adapter]
        with pytest.raises(AdapterError, match="SLACK_BOT_TOKEN"):
            await adapter.start(bot)  # type: ignore[arg-type]
        assert adapter._session is None
        assert adapter.api.session is None


async def test_the_session_keeps_max_connections_open_and_more_calls_wait_for_one() -> None:
    """A few connections (``max_connections``, 10 by default) carry a paced bot: with one,
    several turns at once still all get their replies (their calls take turns)."""
    async with running("http", max_connections=1) as h:
        session = h.adapter.api.session
        assert session is not None
        assert session.connector is not None
        assert session.connector.limit == 1
        asked = [await h.mention(f"hello {i}") for i in range(3)]
        for one in asked:
            await h.reply(one["ts"], "reset your password")
    assert SlackAdapter(bot_token="xoxb-x", app_token="xapp-x").settings.max_connections == 10
