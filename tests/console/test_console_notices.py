"""On a terminal a one-line message reads like a reply, not a screen-wide box."""

from __future__ import annotations

import io

from botkit import ui
from botkit_console.output import ConsoleOutput


def _rich_output(width: int = 120) -> tuple[ConsoleOutput, io.StringIO]:
    stream = io.StringIO()
    out = ConsoleOutput(stream, rich=True)
    assert out.rich is not None
    out.rich.width = width
    return out, stream


def test_a_one_line_notice_is_one_line_without_a_box() -> None:
    out, stream = _rich_output()
    out.message("helpdesk", ui.Message(ui.Section("Sorry, something went wrong.")))
    assert stream.getvalue() == "helpdesk › Sorry, something went wrong.\n"


def test_notice_text_is_shown_literally() -> None:
    out, stream = _rich_output()
    out.message("helpdesk", ui.Message(ui.Section("[bold]not markup[/] *as typed*")),
                edited=True)
    assert stream.getvalue() == "helpdesk (edited) › [bold]not markup[/] *as typed*\n"


def test_cards_keep_their_box() -> None:
    out, stream = _rich_output()
    out.message("helpdesk", ui.Message(ui.Section("Open a ticket?"),
                                       ui.Actions(ui.Button("Yes", value=True))))
    shown = stream.getvalue()
    assert "╭" in shown
    assert "[1] Yes" in shown
    out, stream = _rich_output()
    out.message("helpdesk", ui.Message(ui.Section("Ticket HD-101 is open."), accent="good"))
    assert "╭" in stream.getvalue()  # an accent is drawn as the box's colour
