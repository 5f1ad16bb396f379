"""Feedback while the bot works (#14): a spinner on a terminal from the moment a turn
starts until the first words, one plain ``… thinking`` line when piped; tool rows marked
done (✓) or failed (✗ with the error). Driven as a real ``botkit run`` subprocess."""

from __future__ import annotations

import io
import re
from pathlib import Path

from console_terminal import Terminal, run_piped

from botkit import ToolProgress
from botkit_console.output import ConsoleOutput
from botkit_console.progress import FRAMES

ROOMS = str(Path(__file__).parent / "console_apps" / "rooms.py")
FAILED = "✗ blow_fuse failed: RuntimeError: the fuse blew [red]twice[/]"


def test_piped_output_has_one_plain_progress_line_and_done_marks(tmp_path: Path) -> None:
    result = run_piped("run", ROOMS, "--data-dir", str(tmp_path),
                       stdin="hello\nroom of ann\nfuse\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    said = [i for i, line in enumerate(lines) if line.split(" › ", 1)[-1] in
            {"hello", "room of ann", "fuse"}]
    assert len(said) == 3, result.stdout
    assert lines[said[0] + 1:said[1]] == ["  … thinking", "rooms › Ask me for someone's room."]
    assert lines[said[1] + 1:said[2]] == ["  … thinking", "  ⚙ Using find_room…",
                                          "  ✓ Used find_room", "rooms › Ann is in room 4."]
    assert lines[said[2] + 1:] == ["  … thinking", "  ⚙ Using blow_fuse…", f"  {FAILED}",
                                   "rooms › The fuse tool answered."]
    # nothing animated in a pipe: no carriage returns, escape sequences or spinner frames
    assert not re.search(f"[\r\x1b{FRAMES}]", result.stdout)


def test_terminal_shows_a_spinner_until_the_first_words_and_done_marks(
        tmp_path: Path) -> None:
    with Terminal("run", ROOMS, "--data-dir", str(tmp_path),
                  stderr=tmp_path / "stderr.txt") as term:
        term.expect("› ")
        term.type("hello")
        term.expect("rooms › Ask me for someone's room.")
        turn = term.raw[term.raw.rindex("hello"):]
        spinner = re.search(f"[{FRAMES}] thinking…", turn)
        assert spinner is not None, turn  # drawn as soon as the turn started
        answer = turn.index("rooms")
        assert spinner.start() < answer
        assert "\r\x1b[2K" in turn[spinner.end():answer]  # and cleared for the first words
        term.expect("› ")
        term.type("room of ann")
        shown = term.expect("Ann is in room 4.")
        assert shown.endswith("  ⚙ Using find_room…\n  ✓ Used find_room\n"
                              "rooms › Ann is in room 4."), shown
        term.expect("› ")
        term.type("fuse")
        term.expect(FAILED)
        term.expect("The fuse tool answered.")
        term.expect("› ")
        term.end_input()
        assert term.wait() == 0, term.stderr()
        assert "thinking…" not in term.text  # no spinner left on the screen
        assert "Traceback" not in term.stderr()


def test_tool_rows_show_names_and_errors_literally_on_a_terminal() -> None:
    stream = io.StringIO()
    out = ConsoleOutput(stream, rich=True)
    out.tool(ToolProgress(tool_call_id="c1", name="find_room"))
    out.tool(ToolProgress(tool_call_id="c1", name="find_room", done=True))
    out.tool(ToolProgress(tool_call_id="c2", name="x", done=True,
                          error="[bold]boom[/]\nsecond line " + "z" * 300))
    rows = stream.getvalue().splitlines()
    assert rows[:2] == ["  ⚙ Using find_room…", "  ✓ Used find_room"]
    assert rows[2].startswith("  ✗ x failed: [bold]boom[/] second line zzz")
    assert rows[2].endswith("…")
    assert len(rows[2]) < 240  # long errors are cut


def test_no_spinner_unless_the_output_is_a_terminal() -> None:
    stream = io.StringIO()
    out = ConsoleOutput(stream, rich=True)  # rich, but not a terminal: nothing animated
    out.busy("thinking")
    assert stream.getvalue() == ""
    out.busy("thinking", announce=True)
    assert stream.getvalue() == "  … thinking\n"
