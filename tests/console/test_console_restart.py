"""A question left waiting survives the console (#14): the ticket card (``await_choice``
in a bot tool) and the password-reset card (an agent interrupt) are shown again after a
restart, and typing ``1`` answers them instead of going to the agent as text. Leaving
while one waits says so in words (never the tool's raw error) and exits 0.

examples/helpdesk.py runs as a real ``botkit run`` subprocess on its default SQLite store
under a temporary data dir, through a pipe and on a pseudo-terminal."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from console_terminal import Terminal, run_piped

HELPDESK = ("run", "examples/helpdesk.py")
KEPT = "Left without answering; the question will be asked again next time."
DROPPED = "Left without answering; the question was dropped."
WAITING = "Still waiting for your answer from last time:"
TICKET = "Ticket HD-101 is open: 'my printer is broken' (normal priority)."


def _data(tmp_path: Path) -> tuple[str, ...]:
    return ("--data-dir", str(tmp_path / "data"))


def test_piped_ticket_card_is_asked_again_after_a_restart(tmp_path: Path) -> None:
    first = run_piped(*HELPDESK, *_data(tmp_path), stdin="my printer is broken\n")
    assert first.returncode == 0, first.stderr
    assert "[1] Open it  [2] Cancel" in first.stdout
    assert first.stdout.rstrip().endswith(KEPT)
    assert '"error"' not in first.stdout
    assert "InteractionExpired" not in first.stdout
    assert "Traceback" not in first.stderr

    second = run_piped(*HELPDESK, *_data(tmp_path), stdin="1\n")
    assert second.returncode == 0, second.stderr
    out = second.stdout
    assert out.index(WAITING) < out.index("[1] Open it  [2] Cancel") < out.index("› 1")
    assert "✓ Open it" in out  # the card closes with the answer
    assert out.index("✓ Used create_ticket") < out.index(TICKET)
    assert "I'm the helpdesk bot" not in out  # "1" did not go to the agent as text

    third = run_piped(*HELPDESK, *_data(tmp_path), stdin="hi\n")
    assert WAITING not in third.stdout  # answered: not shown again


def test_piped_interrupt_card_is_asked_again_after_a_restart(tmp_path: Path) -> None:
    first = run_piped(*HELPDESK, *_data(tmp_path), stdin="reset my password\n")
    assert first.returncode == 0, first.stderr
    assert "[1] Approve  [2] Deny" in first.stdout
    second = run_piped(*HELPDESK, *_data(tmp_path), stdin="1\n")
    assert second.returncode == 0, second.stderr
    assert second.stdout.index(WAITING) < second.stdout.index("[1] Approve  [2] Deny")
    assert "Password reset: approved." in second.stdout
    assert "I'm the helpdesk bot" not in second.stdout


def test_terminal_sigterm_then_restart_answers_the_ticket(tmp_path: Path) -> None:
    with Terminal(*HELPDESK, *_data(tmp_path), stderr=tmp_path / "first.txt") as term:
        term.expect("› ")
        term.type("my printer is broken")
        term.expect("[2] Cancel")
        term.expect("› ")  # waiting for the answer
        term.send_signal(signal.SIGTERM)
        term.expect(KEPT)
        assert term.wait() == 0, term.stderr()
        assert '"error"' not in term.text
        assert "Traceback" not in term.stderr()
    with Terminal(*HELPDESK, *_data(tmp_path), stderr=tmp_path / "second.txt") as term:
        term.expect(WAITING)
        term.expect("[1] Open it  [2] Cancel")
        term.expect("› ")
        term.type("1")
        term.expect("✓ Used create_ticket")
        term.expect(TICKET)
        term.expect("› ")
        term.end_input()
        assert term.wait() == 0, term.stderr()
        assert "I'm the helpdesk bot" not in term.text


def test_terminal_end_of_input_then_restart_answers_the_interrupt(tmp_path: Path) -> None:
    with Terminal(*HELPDESK, *_data(tmp_path), stderr=tmp_path / "first.txt") as term:
        term.expect("› ")
        term.type("reset my password")
        term.expect("[2] Deny")
        term.expect("› ")
        term.end_input()
        assert term.wait() == 0, term.stderr()
    with Terminal(*HELPDESK, *_data(tmp_path), stderr=tmp_path / "second.txt") as term:
        term.expect(WAITING)
        term.expect("[1] Approve  [2] Deny")
        term.expect("› ")
        term.type("1")
        term.expect("Password reset: approved.")
        term.expect("› ")
        term.end_input()
        assert term.wait() == 0, term.stderr()


@pytest.mark.parametrize("leave", ["/quit", ""])
def test_piped_leaving_without_a_durable_store_drops_the_question(
        tmp_path: Path, leave: str) -> None:
    memory = ("--store", "memory://")
    first = run_piped(*HELPDESK, *_data(tmp_path), *memory,
                      stdin=f"my printer is broken\n{leave}\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout.rstrip().endswith(DROPPED)
    assert '"error"' not in first.stdout
    assert "InteractionExpired" not in first.stdout
    second = run_piped(*HELPDESK, *_data(tmp_path), *memory, stdin="hi\n")
    assert WAITING not in second.stdout  # nothing could answer it: not shown again


def test_terminal_ctrl_c_while_the_ticket_waits(tmp_path: Path) -> None:
    with Terminal(*HELPDESK, *_data(tmp_path), "--store", "memory://",
                  stderr=tmp_path / "stderr.txt") as term:
        term.expect("› ")
        term.type("my printer is broken")
        term.expect("[2] Cancel")
        term.expect("› ")
        term.send_signal(signal.SIGINT)
        term.expect(DROPPED)
        assert term.wait() == 0, term.stderr()
        assert '"error"' not in term.text
        assert "Traceback" not in term.stderr()
        assert "KeyboardInterrupt" not in term.stderr()
