"""The console conversation's history, kept in a JSON-lines file so a restart remembers.

The file is an append-only log of operations (``add``, ``update``, ``delete``); loading
replays it. One line per operation keeps writes cheap and a crash loses at most one line.
A message with buttons also keeps its ``card`` (the message itself, so it can be shown
again after a restart) until it is closed or one of its options was picked.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from pathlib import Path
from typing import Any

from botkit.types import PlatformUser, ThreadMessage
from botkit.ui.codec import decode_message, encode_message
from botkit.ui.nodes import Message

log = logging.getLogger("botkit.console")


class Transcript:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                op = json.loads(line)
                self._apply(op)
            except (ValueError, KeyError, TypeError):
                log.warning("%s:%d is not a transcript entry; skipped", path, number)
        self._ids = itertools.count(len(self._entries) + 1)

    def _apply(self, op: dict[str, Any]) -> None:
        kind, entry_id = op["op"], op["id"]
        if kind == "add":
            self._entries[entry_id] = op["entry"]
        elif kind == "update" and entry_id in self._entries:
            self._entries[entry_id].update(op["entry"])
        elif kind == "delete":
            self._entries.pop(entry_id, None)

    def _write(self, op: dict[str, Any]) -> None:
        self._apply(op)
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(op, ensure_ascii=False) + "\n")

    def new_id(self) -> str:
        while True:
            candidate = f"c{next(self._ids)}"
            if candidate not in self._entries:
                return candidate

    def add(self, *, text: str, user: PlatformUser, is_bot: bool, status: bool = False,
            agent_messages: list[dict[str, Any]] | None = None, card: Message | None = None
            ) -> str:
        entry_id = self.new_id()
        entry = {"text": text, "user": {"id": user.id, "name": user.name}, "is_bot": is_bot,
                 "status": status, "ts": time.time(), "agent_messages": agent_messages or []}
        if card is not None:
            entry["card"] = encode_message(card)
        self._write({"op": "add", "id": entry_id, "entry": entry})
        return entry_id

    def update(self, entry_id: str, *, text: str, status: bool = False,
               card: Message | None = None) -> None:
        entry = {"text": text, "status": status,
                 "card": None if card is None else encode_message(card)}
        self._write({"op": "update", "id": entry_id, "entry": entry})

    def close_card(self, entry_id: str) -> None:
        """The card's question is answered or gone: do not show it again."""
        if self._entries.get(entry_id, {}).get("card") is not None:
            self._write({"op": "update", "id": entry_id, "entry": {"card": None}})

    def open_cards(self) -> list[tuple[str, Message]]:
        """Cards still waiting for an answer, oldest first."""
        cards = []
        for entry_id, e in self._entries.items():
            card = decode_message(e["card"]) if e.get("card") is not None else None
            if card is not None:
                cards.append((entry_id, card))
            elif e.get("card") is not None:
                log.warning("the card of transcript entry %s cannot be read; not shown again",
                            entry_id)
        return cards

    def delete(self, entry_id: str) -> None:
        self._write({"op": "delete", "id": entry_id})

    def messages(self) -> list[ThreadMessage]:
        out = []
        for entry_id, e in self._entries.items():
            user = PlatformUser(id=e["user"]["id"], name=e["user"].get("name"),
                                is_bot=e["is_bot"])
            out.append(ThreadMessage(id=entry_id, text=e["text"], user=user, is_bot=e["is_bot"],
                                     ts=e.get("ts"), is_status=e.get("status", False),
                                     agent_messages=tuple(e.get("agent_messages") or ())))
        return out
