"""Who may use a web thread: its owner and its participants.

A thread created over HTTP (``if_not_exists: "create"``, or ``/agui`` on a new id) belongs
to its caller: ``user_id`` on the thread record. Only the owner and the ``participants``
(added with ``WebAdapter.add_participants``) may read it, run it, cancel its runs, answer
its buttons or resume it; everyone else gets the same 404 as for a missing thread, so ids
are not probed. A thread created from Python without an owner is open: anyone the
``authenticate`` hook admits may use it, and is added to its participants when they do.

The fields match the threads API's thread records (``user_id``, ``participants``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from botkit.threads.records import ThreadNotFound, check_id
from botkit.types import PlatformUser
from botkit_web.errors import NotWaiting

if TYPE_CHECKING:
    from botkit.threads.service import Threads
    from botkit_web.adapter import WebAdapter

__all__ = ["ThreadAccess", "may_use"]


def may_use(record: Mapping[str, Any], user_id: str) -> bool:
    owner = record.get("user_id")
    return owner is None or owner == user_id or user_id in (record.get("participants") or ())


class ThreadAccess:
    def __init__(self, adapter: WebAdapter) -> None:
        self.adapter = adapter

    @property
    def threads(self) -> Threads:
        return self.adapter.bot.threads

    async def record(self, thread_id: str) -> dict[str, Any] | None:
        """The thread's raw record (read through ``Threads.mutate``, changing nothing)."""
        return await self.threads.mutate(check_id(thread_id), lambda old: None)

    async def create(self, thread_id: str, *, owner: PlatformUser | None, title: str = "",
                     metadata: Mapping[str, Any] | None = None,
                     participants: Iterable[str] = ()) -> dict[str, Any]:
        """A new web thread, or the existing one with this id (its owner unchanged)."""
        tid = check_id(thread_id)
        threads, created = self.threads, False

        def apply(old: dict[str, Any] | None) -> dict[str, Any] | None:
            nonlocal created
            if old is not None:
                return None
            created = True
            record = threads.new_record(tid, "web", self.adapter.conversation(tid), title=title)
            record["metadata"] = dict(metadata or {})
            record["user_id"] = owner.id if owner else None
            record["participants"] = sorted(set(participants) - {owner.id if owner else ""})
            return record
        if await self.record(tid) is None:
            await self.adapter.forget_thread(tid)  # leftovers of a deleted thread
        record = await threads.mutate(tid, apply)
        assert record is not None
        if record.get("platform") != "web":
            raise NotWaiting(f"thread {tid!r} is a {record.get('platform')} thread, not a "
                             "web thread")
        return record

    async def check(self, thread_id: str, user: PlatformUser, *, create: bool = False
                    ) -> None:
        """Let ``user`` use the thread, or raise: 404 (missing, or not theirs), 409 (not a
        web thread). With ``create`` a missing thread is created, owned by ``user``."""
        record = await self.record(thread_id)
        if record is None:
            if not create:
                raise ThreadNotFound(thread_id)
            record = await self.create(thread_id, owner=user)
        if record.get("platform") != "web":
            raise NotWaiting(f"thread {thread_id!r} is a {record.get('platform')} thread: "
                             "runs over HTTP drive web threads")
        if not may_use(record, user.id):
            raise ThreadNotFound(thread_id)
        if record.get("user_id") is None and user.id not in (record.get("participants") or ()):
            await self.add_participants(thread_id, [user.id])

    async def add_participants(self, thread_id: str, user_ids: Iterable[str]) -> None:
        new = set(user_ids)

        def apply(old: dict[str, Any] | None) -> dict[str, Any] | None:
            if old is None:
                return None
            have = set(old.get("participants") or ())
            additions = new - have - {old.get("user_id")}
            return {**old, "participants": sorted(have | additions)} if additions else None
        if await self.threads.mutate(check_id(thread_id), apply) is None:
            raise ThreadNotFound(thread_id)
