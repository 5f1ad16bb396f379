"""The ``Bot`` facade: ``create_bot`` and ``Bot`` take the same options; the handle adapters
get."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any, get_type_hints

import pytest

import botkit.bot
from botkit import (
    AdapterError,
    BaseAdapter,
    Bot,
    Capabilities,
    CommandContext,
    Conversation,
    MessageRef,
    TurnContext,
    UserError,
    create_bot,
)
from botkit.adapter import BotHandle
from botkit.codec import decode_event, encode_event
from botkit.testing import FakeAdapter, Say, ScriptedAgent, running
from botkit.ui import Message


def test_create_bot_takes_exactly_the_options_bot_takes() -> None:
    params = {name: p for name, p in inspect.signature(Bot).parameters.items()}
    assert all(p.kind is p.KEYWORD_ONLY for p in params.values())
    hints = get_type_hints(Bot.__init__, vars(botkit.bot))
    options = get_type_hints(botkit.bot.BotOptions)
    assert set(options) == set(params)
    for name, hint in options.items():
        assert hint == hints[name], name


def test_create_bot_passes_dedup_ttl() -> None:
    bot = create_bot(adapters=[FakeAdapter()], dedup_ttl=5.0)  # a TypeError before
    assert bot.dedup_ttl == 5.0


def test_a_bot_is_a_bot_handle() -> None:
    assert isinstance(create_bot(adapters=[FakeAdapter()]), BotHandle)


class NoStreaming(FakeAdapter):
    """Declares no streaming but has a ``stream`` method (inherited): the core must not
    call it."""

    streamed = 0

    async def stream(self, conversation: Any, parts: Any) -> Any:
        self.streamed += 1
        return await super().stream(conversation, parts)


async def test_without_the_streaming_capability_a_reply_is_posted_once() -> None:
    fake = NoStreaming(capabilities=Capabilities(get_messages=True))
    bot = create_bot(adapters=[fake], agent=ScriptedAgent(default=Say("one two three")))
    bot.on_mention(lambda ctx: ctx.thread.run_agent())

    @bot.on_command("echo")
    async def echo(ctx: CommandContext) -> None:
        await ctx.thread.stream(ctx.text)

    async with running(bot):
        await fake.emit_mention("hi")
        await fake.emit_command("echo", "four five")
    assert fake.streamed == 0
    assert [(s.kind, s.text) for s in fake.sent] == [("post", "one two three"),
                                                      ("post", "four five")]


async def test_a_failing_ephemeral_message_degrades_to_none() -> None:
    class Broken(FakeAdapter):
        async def post_ephemeral(self, *args: Any) -> Any:
            raise AdapterError("not in channel", platform="fake", code="channel_not_found")

    fake = Broken()
    bot = create_bot(adapters=[fake])
    refs: list[Any] = []

    @bot.on_mention
    async def whisper(ctx: TurnContext) -> None:
        refs.append(await ctx.thread.post_ephemeral(ctx.user, "psst"))  # type: ignore[arg-type]

    async with running(bot):
        await fake.emit_mention("hi")
    assert refs == [None]
    assert fake.texts() == []  # no "something went wrong": the gated method degraded


def test_a_base_adapter_without_update_says_what_to_implement() -> None:
    class Minimal(BaseAdapter):
        platform = "minimal"

    with pytest.raises(NotImplementedError, match=r"Minimal must implement update\(\)"):
        asyncio.run(Minimal().update(Conversation(id="c", channel="c"),
                                     MessageRef(id="m"), Message("x")))


def test_create_bot_refuses_a_base_adapter_that_cannot_post() -> None:
    class Half(BaseAdapter):
        platform = "half"

        async def post(self, conversation: Any, message: Any) -> Any:
            return MessageRef(id="1")

    with pytest.raises(UserError, match=r"Half must implement update\(\), delete\(\)"):
        create_bot(adapters=[Half()])


async def test_the_pipeline_intake_is_the_seam_for_a_durable_inbox() -> None:
    """dispatch = dedup -> intake; an inbox makes intake "append and return" and runs
    ``process`` later (dedup is not repeated there)."""
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    seen: list[str] = []
    bot.on_mention(lambda ctx: seen.append(ctx.text))
    inbox: list[dict[str, Any]] = []

    async def append(event: Any) -> None:
        inbox.append(encode_event(event))  # what a store-backed inbox keeps

    bot._pipeline.intake = append
    async with running(bot):
        event = fake.message_event("hello")
        await bot.dispatch(event)
        await bot.dispatch(event)  # a redelivery: dropped before the inbox
        assert (seen, len(inbox)) == ([], 1)
        await bot._pipeline.process(decode_event(inbox.pop()))  # the inbox's consumer
    assert seen == ["hello"]
