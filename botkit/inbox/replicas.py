"""Which processes are alive, and what each one holds: the crash-recovery registry.

A running process (a *replica*) keeps ``replica:<id>`` alive with a heartbeat (it expires
``ttl`` seconds after the last beat, so a killed process is known dead within ``ttl``).
What a replica holds that must be undone if it dies (a turn lock, an open streamed message)
is recorded at ``owned:<what>`` with the replica's id; ``orphans`` lists the records whose
replica is dead, so a live process can clean up after it (``release_orphaned_locks`` does
that for locks). The ``replica:`` key is the same one the choice relay uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from botkit import keys
from botkit.store.base import StateStore

__all__ = ["Owned", "Replicas"]

log = logging.getLogger("botkit.inbox")


@dataclass(frozen=True, slots=True)
class Owned:
    """A record of something a replica holds: ``key`` names it (``turn:C42`` …)."""

    key: str
    replica: str
    data: Any


class Replicas:
    """This process's heartbeat and ownership records (start it, and stop it on exit)."""

    def __init__(self, store: StateStore, replica: str | None = None, *, ttl: float = 6.0,
                 beat_every: float = 2.0) -> None:
        if not 0 < beat_every < ttl:
            raise ValueError("beat_every must be positive and shorter than ttl")
        self.store = store
        self.replica = replica or uuid.uuid4().hex[:12]
        self.ttl = ttl
        self.beat_every = beat_every
        self._task: asyncio.Task[None] | None = None
        self._stopped = asyncio.Event()

    def __repr__(self) -> str:
        return f"Replicas(replica={self.replica!r})"

    async def beat(self) -> None:
        await self.store.set(keys.replica_alive(self.replica), {"replica": self.replica},
                             ttl=self.ttl)

    async def start(self) -> None:
        await self.beat()
        if self._task is None:
            self._stopped = asyncio.Event()
            self._task = asyncio.create_task(self._beating(), name="botkit-replica-heartbeat")

    async def _beating(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # ``stop`` wakes it to end between calls
                await asyncio.wait_for(self._stopped.wait(), self.beat_every)
            if self._stopped.is_set():
                return
            try:
                await self.beat()
            except Exception:
                log.warning("replica heartbeat failed; retrying", exc_info=True)

    async def stop(self, *, forget: bool = True) -> None:
        """Stop beating; with ``forget``, say at once that this process is gone."""
        task, self._task = self._task, None
        if task is not None:
            self._stopped.set()
            await asyncio.wait({task}, timeout=30)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if forget:
            await self.store.delete(keys.replica_alive(self.replica))

    async def alive(self, replica: str) -> bool:
        if replica == self.replica and self._task is not None:
            return True
        return await self.store.get(keys.replica_alive(replica)) is not None

    # -- ownership ---------------------------------------------------------------------
    async def record(self, key: str, data: Any = None, *, ttl: float | None = None) -> None:
        """Record that this process holds ``key`` (until ``forget``)."""
        await self.store.set(keys.owned(key), {"replica": self.replica, "data": data}, ttl=ttl)

    async def forget(self, key: str) -> None:
        await self.store.delete(keys.owned(key))

    async def owned(self, prefix: str = "") -> list[Owned]:
        names = await self.store.scan(keys.owned(prefix))
        found = []
        for key, value in zip(names, await self.store.get_many(names), strict=True):
            if isinstance(value, dict) and isinstance(value.get("replica"), str):
                found.append(Owned(key.removeprefix(keys.owned("")), value["replica"],
                                   value.get("data")))
        return found

    async def orphans(self, prefix: str = "") -> list[Owned]:
        """The records under ``prefix`` whose replica is dead."""
        alive: dict[str, bool] = {}
        orphaned = []
        for item in await self.owned(prefix):
            if item.replica not in alive:
                alive[item.replica] = await self.alive(item.replica)
            if not alive[item.replica]:
                orphaned.append(item)
        return orphaned

    async def adopt(self, item: Owned) -> bool:
        """Take over ``item``'s record: True for exactly one of several callers."""
        return await self.store.compare_and_set(
            keys.owned(item.key), {"replica": item.replica, "data": item.data},
            {"replica": self.replica, "data": item.data})

    async def release_orphaned_locks(self, prefix: str = "turn:") -> list[str]:
        """Release the locks under ``prefix`` recorded (``record(key, token)``) by dead
        replicas (never a lock someone else has taken since). The keys whose holder died."""
        orphaned = []
        for item in await self.orphans(prefix):
            if not await self.adopt(item):
                continue  # another process is cleaning this one up
            if isinstance(item.data, str):
                await self.store.release_lock(item.key, item.data)
            await self.forget(item.key)
            orphaned.append(item.key)
        if orphaned:
            log.info("released %d lock(s) held by stopped processes", len(orphaned))
        return orphaned
