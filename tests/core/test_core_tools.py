"""Tool definition (define_bot_tool, @bot.tool) and the validation of tool calls.

No ``from __future__ import annotations`` here on purpose: tools are built from the real
type hints, the way most user code writes them.
"""

import json
from typing import Any

import ag_ui.core as agui
import pytest
from pydantic import BaseModel, Field

from botkit import BotTool, ToolContext, UserError, create_bot, define_bot_tool
from botkit.testing import FakeAdapter
from botkit.tools import ToolOutcome, call_tool


class TicketArgs(BaseModel):
    """Arguments of a ticket."""

    title: str = Field(description="One line summary")
    priority: int = 3


def handler(args: Any, ctx: ToolContext) -> str:
    return "ok"


def tool_ctx() -> ToolContext:
    bot = create_bot(adapters=[FakeAdapter()])
    fake = bot.adapters[0]
    assert isinstance(fake, FakeAdapter)
    thread = bot.thread("fake", fake.conversation())
    return ToolContext(thread=thread, message=None, user=None, platform="fake",
                       tool_call_id="call_1")


# -- define_bot_tool -------------------------------------------------------------------


def test_define_bot_tool_and_its_descriptor() -> None:
    tool = define_bot_tool(name="create_ticket", description="Create a ticket.",
                           parameters=TicketArgs, handler=handler)
    assert isinstance(tool, BotTool)
    descriptor = tool.descriptor()
    assert descriptor.name == "create_ticket"
    assert descriptor.description == "Create a ticket."
    schema = descriptor.parameters
    assert "title" not in schema  # the model's own title is not sent
    assert schema["type"] == "object"
    assert schema["required"] == ["title"]
    assert schema["properties"]["title"]["description"] == "One line summary"
    assert schema["properties"]["priority"] == {"default": 3, "title": "Priority",
                                                "type": "integer"}


@pytest.mark.parametrize("name", ["a", "create_ticket", "create-ticket", "Tool9", "x" * 64])
def test_valid_tool_names(name: str) -> None:
    assert define_bot_tool(name=name, description="d", parameters=TicketArgs,
                           handler=handler).name == name


@pytest.mark.parametrize("name", ["", "has space", "dotted.name", "slash/name", "x" * 65,
                                  "émoji"])
def test_invalid_tool_names_are_refused_with_the_rule(name: str) -> None:
    with pytest.raises(UserError, match="letters, digits, '_' or '-'"):
        define_bot_tool(name=name, description="d", parameters=TicketArgs, handler=handler)


@pytest.mark.parametrize("parameters", [dict, {"title": str}, TicketArgs(title="x"), "TicketArgs",
                                        None])
def test_parameters_must_be_a_pydantic_model_class(parameters: Any) -> None:
    with pytest.raises(UserError, match="parameters must be a pydantic model class"):
        define_bot_tool(name="t", description="d", parameters=parameters, handler=handler)


# -- @bot.tool -------------------------------------------------------------------------


def test_bot_tool_from_type_hints() -> None:
    bot = create_bot()

    @bot.tool
    async def create_ticket(title: str, priority: int = 2, *, ctx: ToolContext) -> str:
        """Create a helpdesk ticket.

        Use it when someone reports a problem.
        """
        return title

    assert isinstance(create_ticket, BotTool)
    assert bot.tools["create_ticket"] is create_ticket
    assert create_ticket.description == ("Create a helpdesk ticket.\n\n"
                                         "Use it when someone reports a problem.")
    schema = create_ticket.descriptor().parameters
    assert set(schema["properties"]) == {"title", "priority"}  # ctx is not an argument
    assert schema["properties"]["title"]["type"] == "string"
    assert schema["properties"]["priority"]["default"] == 2
    assert schema["required"] == ["title"]


def test_bot_tool_from_a_pydantic_model() -> None:
    bot = create_bot()

    @bot.tool
    def file_ticket(args: TicketArgs, ctx: ToolContext) -> str:
        """File a ticket."""
        return args.title

    assert file_ticket.parameters is TicketArgs
    assert file_ticket.description == "File a ticket."


def test_bot_tool_description_falls_back_to_the_name_and_can_be_overridden() -> None:
    bot = create_bot()

    @bot.tool
    def reset_password(user: str) -> str:
        return user

    @bot.tool(name="lookup", description="Find a person.")
    def find(query: str) -> str:
        """Ignored docstring."""
        return query

    assert reset_password.description == "reset password"
    assert find.name == "lookup"
    assert find.description == "Find a person."
    assert set(bot.tools) == {"reset_password", "lookup"}


def test_a_tool_without_arguments_has_an_empty_schema() -> None:
    bot = create_bot()

    @bot.tool
    def now() -> str:
        """The time."""
        return "noon"

    schema = now.descriptor().parameters
    assert schema["properties"] == {}
    assert schema.get("required", []) == []


def test_arguments_need_type_hints() -> None:
    bot = create_bot()

    def untyped(query, limit: int = 5) -> str:  # type: ignore[no-untyped-def]
        return str(query)

    with pytest.raises(UserError, match="argument 'query' needs a type hint"):
        bot.tool(untyped)


def test_var_args_cannot_become_tool_arguments() -> None:
    bot = create_bot()

    def spread(*items: str) -> str:
        return ",".join(items)

    def options(**opts: str) -> str:
        return json.dumps(opts)

    for fn in (spread, options):
        with pytest.raises(UserError, match=r"\*args/\*\*kwargs"):
            bot.tool(fn)


def test_duplicate_tool_names_are_rejected() -> None:
    bot = create_bot()

    @bot.tool
    def lookup(query: str) -> str:
        return query

    def other(query: str) -> str:
        return query

    with pytest.raises(UserError, match="two tools are named 'lookup'"):
        bot.tool(other, name="lookup")
    with pytest.raises(UserError, match="two tools are named 'lookup'"):
        bot.tool(define_bot_tool(name="lookup", description="d", parameters=TicketArgs,
                                 handler=handler))
    tool = define_bot_tool(name="t", description="d", parameters=TicketArgs, handler=handler)
    with pytest.raises(UserError, match="two tools are named 't'"):
        create_bot(tools=[tool, tool])


def test_create_bot_accepts_tools_and_functions() -> None:
    def lookup(query: str) -> str:
        """Look up."""
        return query

    tool = define_bot_tool(name="t", description="d", parameters=TicketArgs, handler=handler)
    bot = create_bot(tools=[tool, lookup])
    assert list(bot.tools) == ["t", "lookup"]
    assert bot.tools["t"] is tool


# -- call_tool: running one call -------------------------------------------------------


async def test_call_tool_runs_sync_and_async_handlers_with_validated_args() -> None:
    bot = create_bot()
    seen: list[Any] = []

    @bot.tool
    def sync_tool(title: str, priority: int = 3, ctx: ToolContext | None = None) -> dict[str, Any]:
        seen.append((title, priority, ctx))
        return {"title": title, "priority": priority}

    @bot.tool
    async def async_tool(args: TicketArgs) -> TicketArgs:
        seen.append(args)
        return args

    ctx = tool_ctx()
    out = await call_tool(bot.tools, "sync_tool", '{"title": "x", "priority": "4"}', ctx)
    assert out == ToolOutcome(content='{"title": "x", "priority": 4}')
    assert seen[0] == ("x", 4, ctx)
    out = await call_tool(bot.tools, "async_tool", '{"title": "y"}', ctx)
    assert json.loads(out.content) == {"title": "y", "priority": 3}
    assert seen[1] == TicketArgs(title="y")


@pytest.mark.parametrize(("value", "content"), [
    ("plain text", "plain text"),
    (None, ""),
    ({"a": [1, 2]}, '{"a": [1, 2]}'),
    (42, "42"),
    (TicketArgs(title="t"), '{"title":"t","priority":3}'),
])
async def test_results_are_encoded_for_the_model(value: Any, content: str) -> None:
    tool = define_bot_tool(name="t", description="d", parameters=TicketArgs,
                           handler=lambda args, ctx: value)
    out = await call_tool({"t": tool}, "t", '{"title": "x"}', tool_ctx())
    assert out == ToolOutcome(content=content)


async def test_empty_arguments_mean_no_arguments() -> None:
    bot = create_bot()
    bot.tool(lambda: "pong", name="ping")
    assert (await call_tool(bot.tools, "ping", "  ", tool_ctx())).content == "pong"


@pytest.mark.parametrize(("name", "args", "error"), [
    ("nope", "{}", "unknown tool 'nope'; available tools: t"),
    ("t", "{bad json", "invalid arguments for t: not valid JSON (Expecting property name "
                       "enclosed in double quotes)"),
    ("t", "[1, 2]", "invalid arguments for t: arguments: Input should be a valid dictionary "
                    "or instance of TicketArgs"),
    ("t", '{"priority": 1}', "invalid arguments for t: title: Field required"),
    ("t", '{"title": "boom"}', "t failed: ValueError: no such queue"),
])
async def test_every_failure_becomes_an_error_result(name: str, args: str, error: str) -> None:
    def run(args: TicketArgs, ctx: ToolContext) -> str:
        if args.title == "boom":
            raise ValueError("no such queue")
        return "ok"

    tool = define_bot_tool(name="t", description="d", parameters=TicketArgs, handler=run)
    out = await call_tool({"t": tool}, name, args, tool_ctx())
    assert out.error == error
    assert json.loads(out.content) == {"error": error}


async def test_unknown_tool_with_no_tools_at_all() -> None:
    out = await call_tool({}, "x", "{}", tool_ctx())
    assert out.error == "unknown tool 'x'; available tools: none"


def test_a_tools_descriptor_is_built_once_and_shared_by_every_run() -> None:
    tool = define_bot_tool(name="create_ticket", description="Create a ticket.",
                           parameters=TicketArgs, handler=handler)
    first = tool.descriptor()
    assert tool.descriptor() is first
    run_input = agui.RunAgentInput.model_validate({
        "threadId": "t", "runId": "r", "state": {}, "messages": [], "context": [],
        "forwardedProps": {}, "tools": [first]})
    assert run_input.tools[0] is first  # no copy of the schema per run
