"""An agent run waiting for a person (an interrupt): what is stored at
``keys.pending_interrupt`` until ``thread.resume`` claims it, and how the answer becomes
the next run's input.

Two channels exist: AG-UI 1.0 ``RUN_FINISHED`` with ``outcome`` interrupts (answered with
``resume`` entries), and the legacy ``CUSTOM`` event (the LangGraph convention, answered
with ``forwardedProps.command.resume``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import ag_ui.core as agui

from botkit import keys
from botkit.errors import InteractionExpired, UserError
from botkit.history import AgentMessage
from botkit.run.assembler import RunAssembler
from botkit.store.base import StateStore

__all__ = ["INTERRUPT_TTL", "PendingInterrupt", "resume_entries"]

INTERRUPT_TTL = 7 * 24 * 3600.0
NOTHING_WAITS = "there is no interrupted run waiting in this conversation"


@dataclass(frozen=True, kw_only=True)
class PendingInterrupt:
    channel: Literal["outcome", "legacy"]
    event_name: str
    """The legacy event's name, or the first interrupt's ``reason``."""
    payload: Any
    """What ``on_interrupt`` handlers get as ``ctx.payload``."""
    interrupts: tuple[dict[str, Any], ...] = ()
    """The 1.0 interrupts as sent (wire keys); empty on the legacy channel."""
    messages: list[AgentMessage] = field(default_factory=list)
    state: Any = None

    @classmethod
    def of_run(cls, asm: RunAssembler, messages: list[AgentMessage], state: Any
               ) -> PendingInterrupt:
        """The interrupt the run ``asm`` assembled ended with."""
        if asm.interrupts:
            interrupts = tuple(i.model_dump(by_alias=True, exclude_none=True)
                               for i in asm.interrupts)
            first = interrupts[0]
            # The handler gets the agent's own payload when it sent one in metadata,
            # else the whole interrupt (id, reason, message, toolCallId, responseSchema).
            metadata = first.get("metadata")
            payload: Any = first
            if isinstance(metadata, Mapping) and "payload" in metadata:
                payload = metadata["payload"]
            return cls(channel="outcome", event_name=str(first.get("reason", "interrupt")),
                       payload=payload, interrupts=interrupts, messages=messages, state=state)
        legacy = asm.legacy_interrupt
        if legacy is None:
            raise ValueError("the run was not interrupted")
        return cls(channel="legacy", event_name=legacy.name, payload=legacy.value,
                   messages=messages, state=state)

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "event_name": self.event_name,
                "payload": self.payload, "interrupts": list(self.interrupts),
                "messages": self.messages, "state": self.state}

    @classmethod
    def from_json(cls, data: Any) -> PendingInterrupt:
        if not isinstance(data, Mapping) or data.get("channel") not in ("outcome", "legacy"):
            raise ValueError("not a stored interrupt")
        return cls(channel=data["channel"], event_name=str(data.get("event_name") or ""),
                   payload=data.get("payload"),
                   interrupts=tuple(dict(i) for i in data.get("interrupts") or ()),
                   messages=[dict(m) for m in data.get("messages") or ()],
                   state=data.get("state"))

    # -- the store ---------------------------------------------------------------------
    async def save(self, store: StateStore, conversation_id: str) -> None:
        await store.set(keys.pending_interrupt(conversation_id), self.to_json(),
                        ttl=INTERRUPT_TTL)

    @classmethod
    async def peek(cls, store: StateStore, conversation_id: str) -> PendingInterrupt:
        """The waiting interrupt, left in place (``InteractionExpired`` when none)."""
        return cls._found(await store.get(keys.pending_interrupt(conversation_id)))

    @classmethod
    async def claim(cls, store: StateStore, conversation_id: str) -> PendingInterrupt:
        """Take the waiting interrupt: exactly one caller gets it (``InteractionExpired``
        for the others)."""
        return cls._found(await store.pop(keys.pending_interrupt(conversation_id)))

    @classmethod
    def _found(cls, data: Any) -> PendingInterrupt:
        if data is None:
            raise InteractionExpired(NOTHING_WAITS)
        try:
            return cls.from_json(data)
        except ValueError:
            raise InteractionExpired(NOTHING_WAITS) from None

    # -- answering ---------------------------------------------------------------------
    def check_answer(self, value: Any, cancel: bool) -> None:
        """Raise ``UserError`` for an answer that does not fit, before anything is claimed."""
        if self.channel == "outcome":
            resume_entries(self.interrupts, value, cancel)

    def answer(self, value: Any, cancel: bool
               ) -> tuple[list[agui.ResumeEntry] | None, Any]:
        """``(resume, forwarded_props)`` for the run that continues after this interrupt."""
        if self.channel == "outcome":
            return resume_entries(self.interrupts, value, cancel), None
        # the legacy channel has no cancel status, and servers read a None resume as
        # "no answer" (ag-ui-langgraph replays the interrupt): cancel with a marker
        answer = {"cancelled": True} if cancel else value
        return None, {"command": {"resume": answer}}


def resume_entries(interrupts: tuple[Mapping[str, Any], ...] | list[Mapping[str, Any]],
                   value: Any, cancel: bool) -> list[agui.ResumeEntry]:
    ids = [str(i["id"]) for i in interrupts]
    if cancel:
        return [agui.ResumeEntry(interrupt_id=i, status="cancelled") for i in ids]
    if len(ids) == 1:
        payloads = {ids[0]: value}
    elif isinstance(value, Mapping) and all(i in value for i in ids):
        payloads = {i: value[i] for i in ids}
    else:
        raise UserError(f"the agent asked {len(ids)} questions at once: resume with a dict "
                        f"mapping every interrupt id ({', '.join(ids)}) to its answer")
    return [agui.ResumeEntry(interrupt_id=i, status="resolved", payload=payloads[i]) for i in ids]
