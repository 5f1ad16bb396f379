"""The interrupt a web run left waiting: which run, who may answer it, its interrupt ids.

The core keeps what it needs to resume the agent (``botkit.keys.pending_interrupt``); this
record (``keys.interrupt_key``) says whose answer the web routes accept. Resuming claims it
atomically (``store.pop``) before the resume run starts, so of two resumes one wins and the
other is told nothing waits (409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ag_ui.core as agui

from botkit.store.base import StateStore
from botkit_web.keys import interrupt_key
from botkit_web.runs import WebRun

__all__ = ["Waiting", "WaitingInterrupt"]

TTL = 30 * 24 * 3600.0


@dataclass(frozen=True, kw_only=True)
class WaitingInterrupt:
    thread_id: str
    run_id: str
    asker_id: str | None
    asker_name: str | None
    interrupt_ids: tuple[str, ...]

    def to_store(self) -> dict[str, Any]:
        return {"thread_id": self.thread_id, "run_id": self.run_id, "asker_id": self.asker_id,
                "asker_name": self.asker_name, "interrupt_ids": list(self.interrupt_ids)}

    @classmethod
    def from_store(cls, data: Any) -> WaitingInterrupt | None:
        if not isinstance(data, dict) or not isinstance(data.get("run_id"), str):
            return None
        return cls(thread_id=str(data.get("thread_id") or ""), run_id=data["run_id"],
                   asker_id=data.get("asker_id"), asker_name=data.get("asker_name"),
                   interrupt_ids=tuple(str(i) for i in data.get("interrupt_ids") or ()))


class Waiting:
    def __init__(self, store: StateStore) -> None:
        self.store = store

    async def save(self, run: WebRun, interrupts: Sequence[agui.Interrupt]) -> None:
        record = WaitingInterrupt(
            thread_id=run.thread_id, run_id=run.run_id,
            asker_id=run.user.id if run.user else None,
            asker_name=run.user.display_name if run.user else None,
            interrupt_ids=tuple(i.id for i in interrupts))
        await self.store.set(interrupt_key(run.thread_id), record.to_store(), ttl=TTL)

    async def peek(self, thread_id: str) -> WaitingInterrupt | None:
        return WaitingInterrupt.from_store(await self.store.get(interrupt_key(thread_id)))

    async def claim(self, thread_id: str) -> WaitingInterrupt | None:
        """Take the record (None when another resume took it first)."""
        return WaitingInterrupt.from_store(await self.store.pop(interrupt_key(thread_id)))

    async def put_back(self, record: WaitingInterrupt) -> None:
        """Undo a claim whose run could not start."""
        await self.store.compare_and_set(interrupt_key(record.thread_id), None,
                                         record.to_store(), ttl=TTL)
