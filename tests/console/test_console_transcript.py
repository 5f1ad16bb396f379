"""The transcript keeps cards with open controls, so a restart can show them again."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from botkit import ui
from botkit.types import PlatformUser
from botkit.ui.text import numbered_choices
from botkit_console.transcript import Transcript

BOT = PlatformUser(id="console-bot", name="bot", is_bot=True)


def card(title: str) -> ui.Message:
    return ui.Message(ui.Section(title), ui.Actions(ui.Button("Yes", value={"ok": True}),
                                                    ui.Button("No", value=False)))


def test_open_cards_survive_a_reload_until_closed(tmp_path: Path) -> None:
    path = tmp_path / "transcript.jsonl"
    first = Transcript(path)
    asked = first.add(text="Deploy?", user=BOT, is_bot=True, card=card("Deploy?"))
    answered = first.add(text="Restart?", user=BOT, is_bot=True, card=card("Restart?"))
    first.close_card(answered)
    updated = first.add(text="Scale?", user=BOT, is_bot=True, card=card("Scale?"))
    first.update(updated, text="Scale? ✓ Yes", card=None)  # closed by the bot

    (entry, shown), = Transcript(path).open_cards()
    assert entry == asked
    assert [(c.number, c.label, c.value) for c in numbered_choices(shown)] == [
        (1, "Yes", {"ok": True}), (2, "No", False)]


def test_an_unreadable_card_is_not_shown_again(tmp_path: Path,
                                               caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "transcript.jsonl"
    path.write_text(json.dumps({"op": "add", "id": "c1", "entry": {
        "text": "?", "user": {"id": "b"}, "is_bot": True, "card": {"type": "Nope"}}}) + "\n")
    with caplog.at_level(logging.WARNING, logger="botkit.console"):
        assert Transcript(path).open_cards() == []
    assert "cannot be read" in caplog.text
