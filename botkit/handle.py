"""``BotHandle``: all an adapter gets from the bot it serves (re-exported by
``botkit.adapter``, with ``OpenChoice``, the checks an answer must pass before an adapter
accepts it, ``AnswerCheck``, and the bot's records for an adapter whose platform is botkit
itself, ``PlatformRecords``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from botkit.codec import decode_conversation, decode_ref, encode_conversation, encode_ref
from botkit.events import Event
from botkit.store.base import StateStore
from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.nodes import Message

if TYPE_CHECKING:
    from botkit.run.result import RunResult
    from botkit.threads.routes import RouteGroup

__all__ = ["AnswerCheck", "BotHandle", "Delivery", "OpenChoice", "OpenStream",
           "PlatformRecords", "RecordEdit", "ThreadChange"]


@dataclass(frozen=True, kw_only=True)
class AnswerCheck:
    """Whether a person may answer a question (``BotHandle.may_answer``): ``open`` (yes),
    ``closed`` (answered, expired, or not a question of this bot) or ``not_allowed``
    (``allowed_users`` names others: ``allowed_names``)."""

    status: Literal["open", "closed", "not_allowed"]
    allowed_names: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The refusal as the core words it in a chat ("" when open)."""
        if self.status == "closed":
            return "This request has already been answered or has expired."
        if self.status == "not_allowed":
            return f"Sorry, only {', '.join(self.allowed_names) or 'someone else'} can " \
                   "answer this one."
        return ""


RecordEdit = Callable[[dict[str, Any] | None], dict[str, Any] | None]
"""A step of ``PlatformRecords.edit_thread_record``: the stored record (None: none yet) ->
the new record, or None for "leave it"."""


class ThreadChange(Protocol):
    """A change to a thread record, as ``PlatformRecords.thread_changes`` yields it."""

    @property
    def type(self) -> str:
        """``created``, ``renamed``, ``status_changed``, ``updated``, ``deleted`` …"""
        ...

    @property
    def thread_id(self) -> str: ...


@runtime_checkable
class PlatformRecords(Protocol):
    """The bot's records, for an adapter whose platform is botkit itself (the web adapter
    keeps its messages in the bot's store). Chat platforms with their own history never
    need it. ``BotHandle.records`` gives it."""

    @property
    def store(self) -> StateStore:
        """The bot's store: an adapter keeps its own keys there (under its own prefix)."""
        ...

    async def thread_record(self, thread_id: str) -> dict[str, Any] | None:
        """The thread's record as stored (``botkit.ThreadRecord.to_dict()``), or None."""
        ...

    async def edit_thread_record(self, thread_id: str, edit: RecordEdit
                                 ) -> dict[str, Any] | None:
        """Apply ``edit`` atomically (compare-and-set, retried; subscribers hear of the
        change); returns the record as it is afterwards."""
        ...

    def new_thread_record(self, thread_id: str, platform: str, conversation: Conversation,
                          *, title: str = "") -> dict[str, Any]:
        """A fresh record for ``edit_thread_record`` to store."""
        ...

    def thread_changes(self) -> AbstractAsyncContextManager[AsyncIterator[ThreadChange]]:
        """``async with records.thread_changes() as changes: async for c in changes: …``"""
        ...

    async def read_state(self, thread_id: str) -> Any:
        """The agent state of the thread (``{}`` when none)."""
        ...

    async def set_state(self, thread_id: str, state: Any) -> None:
        """Replace the agent state (a new checkpoint; refused while a run is busy)."""
        ...

    async def resume(self, platform: str, conversation: Conversation, value: Any = None, *,
                     user: PlatformUser | None = None, cancel: bool = False) -> RunResult:
        """Continue the agent run interrupted in ``conversation`` (``Thread.resume``):
        ``InteractionExpired`` when nothing waits, ``UserError`` for an answer that does
        not fit (see ``BotHandle.check_resume``)."""
        ...


@dataclass(frozen=True, kw_only=True)
class OpenChoice:
    """A question (``await_choice``) shown in a conversation and still waiting for a click:
    what an input-driven adapter (the console) needs to know to route a typed answer."""

    id: str
    """The choice id (its controls' action ids carry it: ``botkit.choices.choice_id_of``)."""
    message: Message
    """The card as posted, controls included."""
    ref: MessageRef | None = None
    kept: bool = False
    """Kept in a durable store by a waiting bot tool: when the bot stops before it is
    answered, the question stays open and an answer after a restart continues the run."""


@dataclass(frozen=True, kw_only=True)
class OpenStream:
    """A reply an adapter shows as it arrives (a platform's native stream, or a message
    edited in place) in ``conversation``, open until the reply ends: what
    ``BotHandle.stream_opened`` records, and ``BaseAdapter.close_stream`` gets back when
    the process that opened it died first.

    ``id`` names the reply (the adapter picks it: one record per reply, recorded again as
    it changes). ``ref`` is its open message, None while the platform has not answered the
    call opening it (record before that call, so a crash in between is covered too; the
    adapter then finds the message itself, among its own posted since ``opened_at``)."""

    id: str
    platform: str
    conversation: Conversation
    ref: MessageRef | None = None
    opened_at: float = 0.0

    def to_data(self) -> dict[str, Any]:
        return {"id": self.id, "platform": self.platform,
                "conversation": encode_conversation(replace(self.conversation, raw={})),
                "ref": None if self.ref is None else encode_ref(self.ref),
                "opened_at": self.opened_at}

    @classmethod
    def from_data(cls, data: Any) -> OpenStream:
        """Raises ``ValueError`` for data that is not an ``OpenStream``."""
        if not isinstance(data, dict) or not isinstance(data.get("platform"), str) or \
                not isinstance(data.get("id"), str):
            raise ValueError("not an open stream record")
        opened_at = data.get("opened_at")
        return cls(id=data["id"], platform=data["platform"],
                   conversation=decode_conversation(data.get("conversation")),
                   ref=None if data.get("ref") is None else decode_ref(data["ref"]),
                   opened_at=float(opened_at) if isinstance(opened_at, int | float) else 0.0)


@dataclass(frozen=True, kw_only=True)
class Delivery:
    """A platform delivery stored as it came (``BotHandle.admit_delivery``), for the
    adapter to turn into an ``Event`` later, in the inbox's consumer
    (``BaseAdapter.rebuild_delivery``): the ack path then only parses, dedups and stores,
    and whatever needs the network (who sent it, its files) runs after the ack.

    ``event_id`` is the id the rebuilt event will have (the dedup key), ``conversation``
    the id of its conversation (the inbox runs a conversation's deliveries in order),
    ``payload`` the delivery itself (JSON-compatible), ``received`` when it arrived (unix
    time; None: now)."""

    platform: str
    event_id: str
    conversation: str
    payload: dict[str, Any]
    received: float | None = None

    def to_data(self) -> dict[str, Any]:
        return {"kind": "delivery", "platform": self.platform, "event_id": self.event_id,
                "conversation": self.conversation, "payload": self.payload}

    @classmethod
    def from_data(cls, data: Any) -> Delivery:
        """Raises ``ValueError`` for data that is not a ``Delivery``."""
        if not isinstance(data, dict) or data.get("kind") != "delivery" or not all(
                isinstance(data.get(k), str) for k in ("platform", "event_id", "conversation")
        ) or not isinstance(data.get("payload"), dict):
            raise ValueError("not a stored delivery")
        return cls(platform=data["platform"], event_id=data["event_id"],
                   conversation=data["conversation"], payload=data["payload"])


@runtime_checkable
class BotHandle(Protocol):
    """All an adapter gets from the bot it serves (``PlatformAdapter.start(bot)``).

    Ingress: hand every event to ``dispatch`` (or run it in the background with ``spawn``,
    acking the platform first). Input-driven adapters (the console) also use the
    read-only view of questions waiting for an answer."""

    @property
    def name(self) -> str:
        """The bot's display name."""
        ...

    @property
    def store(self) -> StateStore:
        """The bot's state store (an adapter may keep its own records there, under keys of
        its own, e.g. Slack's installations)."""
        ...

    async def dispatch(self, event: Event) -> None:
        """The one entry point for platform events; returns once the event is handled (with
        the durable inbox on: once it is stored)."""
        ...

    @property
    def durable_intake(self) -> bool:
        """Whether the durable inbox is on: ``dispatch`` then returns once the event is
        stored, and an adapter should dispatch a message *before* it acks it, so that no
        acknowledged message can be lost by a crash."""
        ...

    @property
    def accepts_deliveries(self) -> bool:
        """Whether ``admit_delivery`` stores a delivery as it came (the durable inbox is
        on): the adapter then acks once it returned, and builds the event in
        ``rebuild_delivery``, after the ack."""
        ...

    async def admit_delivery(self, delivery: Delivery) -> bool:
        """Dedup and store ``delivery`` in one store write (False: a duplicate); ack the
        platform only after this returned. Before the inbox runs (while the bot starts)
        the delivery is rebuilt and dispatched at once instead."""
        ...

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None
              ) -> asyncio.Task[Any]:
        """Run ``coro`` in the background; ``bot.stop()`` waits for it."""
        ...

    def has_command(self, name: str) -> bool:
        """Whether a slash command of this name has a handler."""
        ...

    def request_stop(self) -> None:
        """Ask ``bot.serve()`` to return (an adapter whose input ended)."""
        ...

    def pending_choices(self, conversation_id: str) -> list[OpenChoice]:
        """Questions shown in ``conversation_id`` still waiting for an answer, oldest first."""
        ...

    async def waiting_for_input(self, conversation_id: str) -> None:
        """Return once a question is shown and waiting in ``conversation_id``."""
        ...

    def cancel_choices(self, reason: str) -> None:
        """End every waiting question: its ``await_choice`` raises ``InteractionExpired``."""
        ...

    async def may_answer(self, choice_id: str, user: PlatformUser, *,
                         conversation_id: str | None = None) -> AnswerCheck:
        """Whether ``user`` may answer the question ``choice_id`` (in ``conversation_id``,
        when given), here or in any process sharing the store. Checking claims nothing:
        the click itself still goes through ``dispatch``."""
        ...

    async def check_resume(self, conversation_id: str, value: Any = None, *,
                           cancel: bool = False) -> None:
        """Raise before anything is claimed: ``InteractionExpired`` when no interrupted
        run waits in the conversation, ``UserError`` when ``value`` does not answer what
        waits (several interrupts need ``{interrupt id: answer}``)."""
        ...

    async def stream_opened(self, stream: OpenStream) -> None:
        """A streamed reply is open on the platform: if this process dies before
        ``stream_ended``, a live one (sharing the store, with the durable inbox on) has the
        adapter ``close_stream`` it with a notice. Nothing without the inbox; never raises."""
        ...

    async def stream_ended(self, stream: OpenStream) -> None:
        """The reply ``stream_opened`` recorded is complete on the platform."""
        ...

    @property
    def records(self) -> PlatformRecords:
        """The bot's store, thread records and resuming (``PlatformRecords``)."""
        ...

    async def heartbeat(self) -> str:
        """Keep this process's heartbeat in the store while the bot runs (the registry of
        live processes the durable inbox and choices use) and return this process's id
        there; safe to call again. Other processes see it with ``replica_alive``. From
        then on this process's turn locks are recorded under its id, so that when it dies
        another process can free them (``release_stopped_turns``)."""
        ...

    async def release_stopped_turns(self) -> list[str]:
        """Release the turn locks held by processes whose heartbeat expired, so the next
        turn of their conversations goes at once, not after ``lock_ttl``; the
        conversation ids. Only locks recorded under an id (``heartbeat``, or the durable
        inbox) can be released."""
        ...

    async def replica_alive(self, replica: str) -> bool:
        """Whether the process ``replica`` (an id ``heartbeat`` returned, here or in any
        process sharing the store) is running: its heartbeat has not expired."""
        ...

    def mount_routes(self, group: RouteGroup) -> bool:
        """Serve ``group`` (``botkit.RouteGroup``) on the bot's threads API server, with
        its tokens and scopes, CORS, error shape and OpenAPI document; call it from
        ``start``. False: the bot serves no threads API (serve the routes yourself).
        A caller's ``Principal`` is then ``request[botkit.threads.http.base.PRINCIPAL]``."""
        ...
