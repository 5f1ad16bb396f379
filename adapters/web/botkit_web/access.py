"""Who may use a web thread: its owner and its participants.

A thread created over HTTP (``if_not_exists: "create"``, or ``/agui`` on a new id) belongs
to its caller: ``user_id`` on the thread record. Only the owner and the ``participants``
(added with ``WebAdapter.add_participants``) may read it, run it, cancel its runs, answer
its buttons or resume it; everyone else gets the same 404 as for a missing thread, so ids
are not probed. A thread created from Python without an owner is open: anyone the
``authenticate`` hook admits may use it, and is added to its participants when they do.

Owner and participants are the thread record's ``user_id`` and ``participants`` (what the
threads API filters on). One difference: the threads API shows an ownerless thread only to
callers not bound to a user, while web routes let any signed-in caller into it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botkit import ThreadNotFound, ThreadQueryError, ThreadRecord
from botkit.types import PlatformUser
from botkit_web.errors import NotWaiting

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
        found = await self.threads.mutate(_checked(thread_id), lambda old: None)
        return None if found is None else found.to_dict()

    async def members(self, thread_id: str, record: Mapping[str, Any] | None = None
                      ) -> dict[str, Any]:
        """``{"user_id", "participants"}`` of the thread (from its record)."""
        record = record if record is not None else await self.record(thread_id) or {}
        return _members(record.get("user_id"), record.get("participants") or ())

    async def create(self, thread_id: str, *, owner: PlatformUser | None, title: str = "",
                     metadata: Mapping[str, Any] | None = None,
                     participants: Iterable[str] = ()) -> dict[str, Any]:
        """A new web thread, or the existing one with this id (its owner unchanged)."""
        tid = _checked(thread_id)
        threads, created = self.threads, False
        members = _members(owner.id if owner else None, participants)

        def apply(old: ThreadRecord | None) -> ThreadRecord | None:
            nonlocal created
            if old is not None:
                return None
            created = True
            record = threads.new_record(tid, "web", self.adapter.conversation(tid), title=title)
            return replace(record, metadata=dict(metadata or {}), user_id=members["user_id"],
                           participants=tuple(members["participants"]))
        if await self.record(tid) is None:
            await self.adapter.forget_thread(tid)  # leftovers of a deleted thread
        made = await threads.mutate(tid, apply)
        assert made is not None
        if made.platform != "web":
            raise NotWaiting(f"thread {tid!r} is a {made.platform} thread, not a web thread")
        return made.to_dict()

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
        """Let these people use the thread too (its record's ``participants``)."""
        new = set(user_ids)

        def apply(old: ThreadRecord | None) -> ThreadRecord | None:
            if old is None:
                return None
            have = set(old.participants)
            additions = new - have - {old.user_id}
            return replace(old, participants=tuple(sorted(have | additions))) \
                if additions else None
        if await self.threads.mutate(_checked(thread_id), apply) is None:
            raise ThreadNotFound(thread_id)
