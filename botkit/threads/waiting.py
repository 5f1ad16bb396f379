"""A thread's pending interrupt as LangGraph clients read it: ``interrupts`` on the thread
(keyed by interrupt id), and ``next`` / ``tasks[].interrupts`` / ``interrupts`` on the
state at its head. Decoded from what the run stored (``PendingInterrupt``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botkit.run.interrupts import PendingInterrupt

__all__ = ["AGENT_NODE", "Waiting"]

AGENT_NODE = "agent"
"""The one node a botkit thread has: the agent, which waits for the answer."""


@dataclass(frozen=True)
class Waiting:
    """The interrupts a thread waits on (none when it does not)."""

    interrupts: tuple[dict[str, Any], ...] = ()
    """``{"value", "id"}`` each: the value an ``on_interrupt`` handler gets as payload."""

    @classmethod
    def of(cls, stored: Any) -> Waiting:
        """From the stored ``PendingInterrupt`` (anything else: nothing waits)."""
        try:
            pending = PendingInterrupt.from_json(stored)
        except ValueError:
            return cls()
        if pending.channel == "legacy":  # the legacy event carries no id: its name is one
            return cls(({"value": pending.payload, "id": pending.event_name},))
        return cls(tuple({"value": _value(i), "id": str(i.get("id", ""))}
                         for i in pending.interrupts))

    def by_id(self) -> dict[str, list[dict[str, Any]]]:
        """The thread's ``interrupts`` field."""
        return {i["id"]: [i] for i in self.interrupts}

    def next_nodes(self) -> list[str]:
        return [AGENT_NODE] if self.interrupts else []

    def tasks(self, thread_id: str) -> list[dict[str, Any]]:
        """One task (the agent) holding every interrupt; its id is stable while it waits."""
        if not self.interrupts:
            return []
        task_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"botkit:{thread_id}:"
                                 + ",".join(i["id"] for i in self.interrupts)))
        return [{"id": task_id, "name": AGENT_NODE, "path": ["__pregel_pull", AGENT_NODE],
                 "error": None, "interrupts": list(self.interrupts), "checkpoint": None,
                 "state": None, "result": None}]


def _value(interrupt: Mapping[str, Any]) -> Any:
    """The agent's own payload when it sent one in metadata, else the whole interrupt."""
    metadata = interrupt.get("metadata")
    if isinstance(metadata, Mapping) and "payload" in metadata:
        return metadata["payload"]
    return dict(interrupt)
