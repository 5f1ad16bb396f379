"""Who may use a web thread: its owner and its participants.

A thread created over HTTP (``if_not_exists: "create"``, or ``/agui`` on a new id) belongs
to its caller: ``user_id`` on the thread record. Only the owner and the ``participants``
(added with ``WebAdapter.add_participants``) may read it, run it, cancel its runs, answer
its buttons or resume it; everyone else gets the same 404 as for a missing thread, so ids
are not probed. A thread created from Python without an owner is open: anyone the
``authenticate`` hook admits may use it, and is added to its participants when they do.

The web record (``keys.access_key``) is the truth for the web routes; the fields are also
written on the thread record (``user_id``, ``participants``, as the threads API's records
name them), and a thread without a web record (created by the threads API) is judged by
those.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from botkit import ThreadNotFound, ThreadQueryError
from botkit.types import PlatformUser
from botkit_web.errors import NotWaiting
from botkit_web.keys import access_key

if TYPE_CHECKING:
    from botkit import Threads
    from botkit_web.adapter import WebAdapter

__all__ = ["ThreadAccess", "may_use"]


def may_use(members: Mapping[str, Any], user_id: str) -> bool:
    owner = members.get("user_id")
    return owner is None or owner == user_id or user_id in (members.get("participants") or ())


def _checked(thread_id: str) -> str:
    if not isinstance(thread_id, str) or not thread_id.strip():
        raise ThreadQueryError([("thread_id", "must be a non-empty string")])
    return thread_id


def _members(owner: str | None, participants: Iterable[str]) -> dict[str, Any]:
    return {"user_id": owner, "participants": sorted(set(participants) - {owner})}


class ThreadAccess:
    def __init__(self, adapter: WebAdapter) -> None:
        self.adapter = adapter

    @property
    def threads(self) -> Threads:
        return self.adapter.bot.threads

    async def record(self, thread_id: str) -> dict[str, Any] | None:
        """The thread's raw record (read through ``Threads.mutate``, changing nothing)."""
        return await self.threads.mutate(_checked(thread_id), lambda old: None)

    async def members(self, thread_id: str, record: Mapping[str, Any] | None = None
                      ) -> dict[str, Any]:
        """``{"user_id", "participants"}``: the web record, else the thread record's."""
        stored = await self.adapter.bot.store.get(access_key(thread_id))
        if isinstance(stored, Mapping):
            return dict(stored)
        record = record if record is not None else await self.record(thread_id) or {}
        return _members(record.get("user_id"), record.get("participants") or ())

    async def create(self, thread_id: str, *, owner: PlatformUser | None, title: str = "",
                     metadata: Mapping[str, Any] | None = None,
                     participants: Iterable[str] = ()) -> dict[str, Any]:
        """A new web thread, or the existing one with this id (its owner unchanged)."""
        tid = _checked(thread_id)
        threads, created = self.threads, False
        members = _members(owner.id if owner else None, participants)

        def apply(old: dict[str, Any] | None) -> dict[str, Any] | None:
            nonlocal created
            if old is not None:
                return None
            created = True
            record = threads.new_record(tid, "web", self.adapter.conversation(tid), title=title)
            return {**record, "metadata": dict(metadata or {}), **members}
        if await self.record(tid) is None:
            await self.adapter.forget_thread(tid)  # leftovers of a deleted thread
        record = await threads.mutate(tid, apply)
        assert record is not None
        if record.get("platform") != "web":
            raise NotWaiting(f"thread {tid!r} is a {record.get('platform')} thread, not a "
                             "web thread")
        if created:
            await self.adapter.bot.store.set(access_key(tid), members)
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
        members = await self.members(thread_id, record)
        if not may_use(members, user.id):
            raise ThreadNotFound(thread_id)
        if members.get("user_id") is None and user.id not in members["participants"]:
            await self.add_participants(thread_id, [user.id])

    async def add_participants(self, thread_id: str, user_ids: Iterable[str]) -> None:
        """Add people to the thread (kept in the web record and mirrored on the thread
        record for the threads API)."""
        if await self.record(thread_id) is None:
            raise ThreadNotFound(thread_id)
        new, store, key = set(user_ids), self.adapter.bot.store, access_key(thread_id)
        for _ in range(100):
            old = await store.get(key)
            members = await self.members(thread_id) if old is None else dict(old)
            updated = _members(members.get("user_id"),
                               {*members.get("participants", ()), *new})
            if updated == old or await store.compare_and_set(key, old, updated):
                break
        else:
            raise RuntimeError(f"the participants of {thread_id!r} kept changing")

        def mirror(record: dict[str, Any] | None) -> dict[str, Any] | None:
            return None if record is None else {**record, **updated}
        await self.threads.mutate(thread_id, mirror)
