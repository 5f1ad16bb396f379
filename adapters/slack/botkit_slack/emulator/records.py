"""Records of what the emulator saw and did: Web API calls and deliveries to the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import JSON


@dataclass
class Call:
    """One Web API request as the emulator saw and answered it."""

    seq: int
    method: str
    args: JSON
    token: str | None
    http_method: str
    headers: dict[str, str]
    status: int
    response: JSON
    at: float

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        err = self.response.get("error")
        return str(err) if err is not None else None

    def to_json(self) -> JSON:
        return {
            "seq": self.seq,
            "method": self.method,
            "args": self.args,
            "http_method": self.http_method,
            "status": self.status,
            "ok": self.ok,
            "error": self.error,
            "response": self.response,
            "at": self.at,
        }


@dataclass
class Delivery:
    """One attempt to deliver an event, interaction or command to the app."""

    seq: int
    kind: str
    transport: str
    attempt: int
    payload: JSON
    event_id: str | None = None
    envelope_id: str | None = None
    retry_reason: str | None = None
    result: str = "pending"
    status: int | None = None
    response: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    at: float = 0.0
    finished_at: float | None = None
    """When the app answered (or the attempt failed): ``finished_at - at`` is the ack time."""

    @property
    def retry_num(self) -> int:
        return self.attempt - 1

    @property
    def acked(self) -> bool:
        return self.result == "acked"

    def to_json(self) -> JSON:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "transport": self.transport,
            "attempt": self.attempt,
            "retry_num": self.retry_num,
            "retry_reason": self.retry_reason,
            "event_id": self.event_id,
            "envelope_id": self.envelope_id,
            "result": self.result,
            "status": self.status,
            "response": self.response,
            "payload": self.payload,
            "at": self.at,
            "finished_at": self.finished_at,
        }
