"""What a Slack turn in flight holds (issue #15): its Slack event as compact JSON text,
decoded only when a handler reads ``raw``, and none of the delivery's decoded payload."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator, Mapping
from types import FrameType
from typing import Any

from slack_adapter_harness import running

from botkit import TurnContext, create_bot
from botkit.testing import Say, ScriptContext, ScriptedAgent
from botkit.types import RawJson


def _frames() -> Iterator[FrameType]:
    """The running frames, from the caller's out (a running coroutine's frames chain up
    through the coroutines awaiting it, to the task's first)."""
    frame = sys._getframe(1)
    while frame is not None:
        yield frame
        frame = frame.f_back  # type: ignore[assignment]


def _payloads(frame: FrameType) -> list[str]:
    """The Slack payloads (decoded) ``frame`` holds in its variables."""
    return [name for name, value in frame.f_locals.items() if isinstance(value, Mapping)
            and value.get("type") in ("event_callback", "app_mention", "message")]


async def test_a_turn_holds_its_slack_event_as_json_text_until_a_handler_reads_it() -> None:
    bot = create_bot(name="raw")
    seen: dict[str, Any] = {}

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        seen["held"] = {f.f_code.co_name: _payloads(f) for f in _frames()}
        seen["ingress frames"] = [f.f_code.co_name for f in _frames()
                                  if "botkit_slack/ingress" in f.f_code.co_filename]
        seen["kept"] = [type(r) for r in gc.get_referents(ctx.message)
                        if isinstance(r, Mapping)]
        seen["conversation kept"] = [type(r) for r in gc.get_referents(
            ctx.message.conversation) if isinstance(r, Mapping)]
        seen["raw"], seen["conversation raw"] = ctx.message.raw, ctx.message.conversation.raw
        seen["again"] = ctx.message.raw
        await ctx.thread.post("read it")

    async with running("http", bot=bot) as h:
        asked = await h.mention("hello")
        await h.reply(asked["ts"], "read it")
    assert {"answer", "_turn"} <= set(seen["held"])  # from the handler to the task
    assert seen["ingress frames"] == ["_turn"]  # one coroutine of the ingress, no wrapper
    assert {name: held for name, held in seen["held"].items() if held} == {}
    assert seen["kept"] == seen["conversation kept"] == [RawJson]
    raw = seen["raw"]
    assert type(raw) is dict  # the plain dict it always was, once read
    assert raw["type"] in ("app_mention", "message")  # whichever Slack delivered first
    assert (raw["ts"], raw["text"], raw["channel"]) == (asked["ts"], asked["text"],
                                                        h.slack.general)
    assert seen["again"] is raw  # decoded once
    assert seen["conversation raw"] == raw
    assert seen["conversation raw"] is not raw


async def test_a_streaming_turn_keeps_one_frame_per_layer_between_its_handler_and_agent(
        ) -> None:
    """While the agent streams, the frames from it out to the handler are the layers that
    do work: no frame of ``run_agent``, run tracking, the run's stream hand-off or the
    adapter's ``stream`` (each returns its callee's coroutine, or awaits in the caller's)."""
    seen: dict[str, list[str]] = {}

    def look(_: ScriptContext) -> str:
        names = [f.f_code.co_qualname.rsplit("<locals>.", 1)[-1] for f in _frames()]
        seen["frames"] = names[names.index("AgentRunner._parts"):names.index("answer") + 1]
        return "looked"

    bot = create_bot(name="frames", agent=ScriptedAgent([], default=Say(look)))

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    async with running("http", bot=bot) as h:
        asked = await h.mention("hello")
        await h.reply(asked["ts"], "looked")
    assert seen["frames"] == ["AgentRunner._parts", "ClosableStream._iterate",
                              "ReplyStream.run", "RunSurface.show_stream", "AgentRunner.run",
                              "Thread._run", "answer"]
