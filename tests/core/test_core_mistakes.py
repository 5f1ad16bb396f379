"""Mistakes, the model's and the developer's: each ends as a clear answer, never as a
crash. Model mistakes become error results the model reads (the tool row ends, the thread
is not ``error``); setup mistakes fail where they are made, naming the fix; a failing
handler goes to ``@bot.on_error`` when there is one."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import ag_ui.core as agui
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit import Bot, ToolContext, TurnContext, UserError, create_bot
from botkit.testing import FakeAdapter, Say, ScriptedAgent, running
from botkit.tools import call_tool


# -- model mistakes --------------------------------------------------------------------
class RawCallAgent:
    """Calls ``tool`` with ``raw`` as its arguments text, then says what came back."""

    def __init__(self, tool: str, raw: str) -> None:
        self.tool, self.raw = tool, raw
        self.inputs: list[agui.RunAgentInput] = []

    async def run(self, run_input: agui.RunAgentInput) -> AsyncIterator[agui.BaseEvent]:
        self.inputs.append(run_input)
        yield agui.RunStartedEvent(thread_id="t", run_id="r")
        results = [m for m in run_input.messages if isinstance(m, agui.ToolMessage)]
        if results:
            text = f"tool said {results[-1].content}"
            yield agui.TextMessageStartEvent(message_id="m2", role="assistant")
            yield agui.TextMessageContentEvent(message_id="m2", delta=text)
            yield agui.TextMessageEndEvent(message_id="m2")
        else:
            yield agui.ToolCallStartEvent(tool_call_id="c1", tool_call_name=self.tool)
            yield agui.ToolCallArgsEvent(tool_call_id="c1", delta=self.raw)
            yield agui.ToolCallEndEvent(tool_call_id="c1")
        yield agui.RunFinishedEvent(thread_id="t", run_id="r")


def _circular() -> dict[str, Any]:
    loop: dict[str, Any] = {"name": "loop"}
    loop["self"] = loop
    return loop


@pytest.mark.parametrize(("raw", "returns", "expected"), [
    ('{"value": ' + "[" * 50_000 + "]" * 50_000 + "}", "fine",
     "invalid arguments for probe: nested too deeply"),
    ('{"value": ' + "7" * 5_000 + "}", "fine",
     "invalid arguments for probe: not parseable"),
    ('{"value": 1}', "circular",
     "probe returned a value that cannot be sent to the model: ValueError"),
], ids=["nested-50000-deep", "5000-digit-integer", "circular-result"])
async def test_model_mistakes_become_error_results(raw: str, returns: str, expected: str
                                                   ) -> None:
    fake = FakeAdapter()
    agent = RawCallAgent("probe", raw)
    bot = create_bot(adapters=[fake], agent=agent)
    results = []

    @bot.tool
    def probe(value: Any) -> Any:
        return _circular() if returns == "circular" else returns

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        results.append(await ctx.thread.run_agent())

    async with running(bot):
        await fake.emit_mention("go")
        record = await bot.threads.get("C1:t1")
    (result,) = [m for m in agent.inputs[-1].messages if isinstance(m, agui.ToolMessage)]
    assert result.error is not None
    assert result.error.startswith(expected)
    assert isinstance(result.content, str)
    assert json.loads(result.content) == {"error": result.error}
    assert [r.status for r in results] == ["completed"]
    assert record.status == "idle"  # it went to "error" before
    # the tool row ends: the call and its (error) result are recorded with the history
    recorded = [m for item in fake.history["C1:t1"] for m in item.agent_messages]
    assert [m["role"] for m in recorded] == ["assistant", "tool"]
    assert recorded[1]["error"] == result.error
    assert fake.texts()[-1].startswith("tool said {")


# -- decorators used wrongly -----------------------------------------------------------
def test_on_interaction_without_its_action_id_names_the_fix() -> None:
    bot = create_bot(adapters=[FakeAdapter()])
    with pytest.raises(UserError, match=r'@bot\.on_interaction\("approve"\) above approve'):
        @bot.on_interaction  # type: ignore[arg-type]
        async def approve(ctx: Any) -> None: ...


@pytest.mark.parametrize(("decorator", "fix"), [
    ("on_command", r'@bot\.on_command\("ticket"\)'),
    ("on_interrupt", r'@bot\.on_interrupt\("approval"\) \(or @bot\.on_interrupt\(\) for all\)'),
])
def test_every_decorator_factory_refuses_a_bare_function(decorator: str, fix: str) -> None:
    bot = create_bot(adapters=[FakeAdapter()])

    def handler(ctx: Any) -> None: ...
    with pytest.raises(UserError, match=fix):
        getattr(bot, decorator)(handler)


@pytest.mark.parametrize("decorator", ["on_interaction", "on_command"])
def test_a_decorator_factory_refuses_an_empty_name(decorator: str) -> None:
    bot = create_bot(adapters=[FakeAdapter()])
    with pytest.raises(UserError, match="non-empty string"):
        getattr(bot, decorator)("  ")


def test_on_mention_and_on_message_work_with_or_without_parentheses() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])

    @bot.on_mention()
    def first(ctx: Any) -> None: ...

    @bot.on_message
    def second(ctx: Any) -> None: ...
    assert bot._registry.mention == [first]
    assert bot._registry.message == [second]
    with pytest.raises(UserError, match="decorates a function"):
        bot.on_mention(42)  # type: ignore[call-overload]


def test_a_misspelt_name_suggests_the_right_one() -> None:
    bot = create_bot(adapters=[FakeAdapter()])
    with pytest.raises(AttributeError, match=r"did you mean bot\.on_mention\?"):
        bot.on_mentoin  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError, match="a bot has on_command"):
        bot.completely_unrelated  # type: ignore[attr-defined]  # noqa: B018
    assert not hasattr(bot, "on_mentoin")


async def test_a_bot_without_message_handlers_says_so_at_start(
        caplog: pytest.LogCaptureFixture) -> None:
    bot = create_bot(adapters=[FakeAdapter()])
    with caplog.at_level(logging.WARNING, logger="botkit"):
        async with running(bot):
            pass
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert "every message will be ignored" in warning.getMessage()
    assert "@bot.on_mention" in warning.getMessage()


async def test_a_bot_with_a_handler_starts_quietly(caplog: pytest.LogCaptureFixture) -> None:
    bot = create_bot(adapters=[FakeAdapter()])
    bot.on_message(lambda ctx: None)
    with caplog.at_level(logging.WARNING, logger="botkit"):
        async with running(bot):
            pass
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []


# -- @bot.on_error ---------------------------------------------------------------------
def _failing_bot(fake: FakeAdapter) -> Bot:
    bot = create_bot(adapters=[fake], agent=ScriptedAgent(default=Say("hi")))

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        raise KeyError("ticket 7")
    return bot


async def test_on_error_gets_the_exception_and_the_context() -> None:
    fake = FakeAdapter()
    bot = _failing_bot(fake)
    seen: list[tuple[Exception, Any]] = []

    @bot.on_error
    async def oops(error: Exception, ctx: TurnContext) -> None:
        seen.append((error, ctx))
        await ctx.thread.post(f"Could not do that: {error}")

    async with running(bot):
        await fake.emit_mention("do it")
    ((error, ctx),) = seen
    assert isinstance(error, KeyError)
    assert isinstance(ctx, TurnContext)
    assert ctx.text == "do it"
    assert fake.texts() == ["Could not do that: 'ticket 7'"]  # no default notice


async def test_without_on_error_the_default_notice_is_posted() -> None:
    fake = FakeAdapter()
    async with running(_failing_bot(fake)):
        await fake.emit_mention("do it")
    (text,) = fake.texts()
    assert "Sorry, something went wrong handling that (error " in text


async def test_a_failing_on_error_falls_back_to_the_default(
        caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeAdapter()
    bot = _failing_bot(fake)
    bot.on_error(lambda error, ctx: 1 / 0)
    async with running(bot):
        await fake.emit_mention("do it")
    assert "something went wrong" in fake.texts()[-1]
    assert any("on_error handler failed" in r.getMessage() for r in caplog.records)


async def test_a_tools_failure_goes_to_the_model_not_to_on_error() -> None:
    """A tool's own failure is the model's business (an error result), not on_error's."""
    fake = FakeAdapter()
    agent = RawCallAgent("explode", "{}")
    bot = create_bot(adapters=[fake], agent=agent)
    errors: list[Exception] = []
    bot.on_error(lambda error, ctx: errors.append(error))

    @bot.tool
    def explode(ctx: ToolContext) -> str:
        raise RuntimeError("boom")
    bot.on_mention(lambda ctx: ctx.thread.run_agent())
    async with running(bot):
        await fake.emit_mention("go")
    assert errors == []
    assert "explode failed: RuntimeError: boom" in fake.texts()[-1]


# -- whatever the model sends, the call ends as a result ---------------------------------
_json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=10).map(json.dumps)
_raw_arguments = st.one_of(
    st.text(max_size=50),
    _json_text,
    st.integers(min_value=1, max_value=60_000).map(lambda n: "[" * n + "]" * n),
    st.integers(min_value=1, max_value=60_000).map(lambda n: '{"a":' * n + "1" + "}" * n),
    st.integers(min_value=4_000, max_value=20_000).map(lambda n: '{"value": ' + "9" * n + "}"),
)


@settings(max_examples=150, deadline=None)
@given(_raw_arguments)
async def test_call_tool_turns_any_arguments_into_a_result(raw: str) -> None:
    bot = create_bot(adapters=[FakeAdapter()])

    @bot.tool
    def probe(value: Any = None) -> Any:
        return {"got": value}

    outcome = await call_tool(dict(bot.tools), "probe", raw, None)
    if outcome.error is None:
        json.loads(outcome.content)  # a result the model can read
    else:
        assert json.loads(outcome.content) == {"error": outcome.error}
