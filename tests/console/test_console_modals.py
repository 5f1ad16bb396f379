"""A modal on the console: one prompt per input, refused fields asked again, /cancel."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest

from botkit import CommandContext, ModalCloseContext, ModalSubmitContext, create_bot, ui
from botkit.bot import Bot
from botkit_console import ConsoleAdapter
from botkit_console.modals import Invalid, parse_answer


def ticket_modal() -> ui.Modal:
    return ui.Modal(
        "Tell us what broke.",
        ui.TextInput("title", "Title", max_length=40),
        ui.SelectInput("priority", "Priority", [("Low", "low"), ("High", "high")]),
        ui.Checkboxes("notify", "Notify", [("Team", "team"), ("Me", "me")]),
        ui.DatePicker("due", "Due", optional=True),
        title="New ticket", callback_id="new_ticket", metadata="m1")


def ticket_bot(console: ConsoleAdapter, seen: list[Any]) -> Bot:
    bot = create_bot(adapters=[console], name="desk")

    @bot.on_command("ticket")
    async def ticket(ctx: CommandContext) -> None:
        assert await ctx.open_modal(ticket_modal())

    @bot.on_modal_submit("new_ticket")
    async def create(ctx: ModalSubmitContext) -> None:
        if len(ctx.values["title"]) < 5:
            ctx.invalid("title", "A few more words, please.")
            return
        seen.append(dict(ctx.values))
        await ctx.thread.post(f"Ticket filed: {ctx.values['title']}")

    @bot.on_modal_close("new_ticket")
    async def closed(ctx: ModalCloseContext) -> None:
        seen.append(("closed", ctx.metadata))
        await ctx.thread.post("No ticket then.")
    return bot


async def serve(stdin: str, seen: list[Any], tmp_path: Path) -> str:
    out = io.StringIO()
    console = ConsoleAdapter(stdin=io.StringIO(stdin), stdout=out, rich=False,
                             data_dir=tmp_path)
    await ticket_bot(console, seen).serve()
    return out.getvalue()


async def test_a_modal_is_a_sequence_of_prompts_with_refused_fields_asked_again(
        tmp_path: Path) -> None:
    seen: list[Any] = []
    out = await serve("/ticket\npc\nHigh\n1, 2\n\nPrinter on fire\nhello after\n", seen,
                      tmp_path)
    assert seen == [{"title": "Printer on fire", "priority": "high", "notify": ["team", "me"],
                     "due": None}]
    assert "New ticket" in out
    assert "Priority:  [1] Low  [2] High" in out
    assert "Title: A few more words, please." in out
    assert "Ticket filed: Printer on fire" in out
    assert out.index("Ticket filed") < out.index("hello after")  # the modal came first


async def test_bad_answers_are_asked_again_and_cancel_closes(tmp_path: Path) -> None:
    seen: list[Any] = []
    out = await serve("/ticket\nPrinter\n7\n/cancel\n", seen, tmp_path)
    assert "Priority: pick 1-2 or an option's name" in out
    assert seen == [("closed", "m1")]
    assert "No ticket then." in out


def test_answers_parse_to_typed_values() -> None:
    due = ui.DatePicker("due", "Due")
    assert parse_answer(due, "2026-12-24") == datetime.date(2026, 12, 24)
    with pytest.raises(Invalid, match="YYYY-MM-DD"):
        parse_answer(due, "tomorrow")
    with pytest.raises(Invalid, match="required"):
        parse_answer(due, " ")
    assert parse_answer(ui.Checkboxes("n", "N", ["a", "b"]), "") == []
    assert parse_answer(ui.SelectInput("p", "P", [("Low", "lo")]), "low") == "lo"
    with pytest.raises(Invalid, match="at least 3"):
        parse_answer(ui.TextInput("t", "T", min_length=3), "ab")
