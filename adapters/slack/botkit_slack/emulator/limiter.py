"""Per-method rate limits (token buckets on the emulator clock) and scripted faults."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from .clock import Clock
from .config import METHOD_TIERS, Bucket, RateLimits

FaultKind = Literal["ratelimited", "status", "error", "slow", "drop"]
_STATUS_ERRORS = {
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "request_timeout",
    429: "ratelimited",
}


class TokenBucket:
    def __init__(self, spec: Bucket, now: float) -> None:
        self.rate = spec.per_minute / 60.0
        self.capacity = float(max(1, spec.burst))
        self.tokens = self.capacity
        self.updated = now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is there now)."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            return 0.0
        return math.inf if self.rate <= 0 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class RateLimiter:
    """Buckets per (app, method), plus chat.postMessage per channel and setStatus per DM."""

    def __init__(self, config: RateLimits, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.buckets: dict[tuple[str, ...], TokenBucket] = {}

    def spec_for(self, method: str) -> Bucket | None:
        cfg = self.config
        if cfg.non_marketplace and method in ("conversations.history", "conversations.replies"):
            return Bucket(1, 1)
        tier: int | str | Bucket | None = cfg.method_tiers.get(method, METHOD_TIERS.get(method))
        if isinstance(tier, Bucket):
            return tier
        if tier == "special":
            return (
                None
                if method in ("chat.postMessage", "assistant.threads.setStatus")
                else cfg.special
            )
        if isinstance(tier, int):
            return cfg.tiers.get(tier)
        return cfg.tiers.get(3)

    def check(self, method: str, app_id: str, args: dict[str, Any]) -> int | None:
        """``None`` when the call may go ahead (a token is spent), else ``Retry-After`` seconds."""
        if not self.config.enabled:
            return None
        wanted: list[tuple[tuple[str, ...], Bucket]] = []
        spec = self.spec_for(method)
        if spec is not None:
            wanted.append(((app_id, method), spec))
        if method == "chat.postMessage":
            channel = str(args.get("channel", ""))
            wanted.append(((app_id, method, channel), self.config.post_message_per_channel))
            wanted.append(((app_id, method, "*"), self.config.post_message_workspace))
        elif method == "assistant.threads.setStatus":
            channel = str(args.get("channel_id", ""))
            wanted.append(((app_id, method, channel), self.config.set_status_per_channel))
        now = self.clock.now()
        buckets = []
        for key, bucket_spec in wanted:
            bucket = self.buckets.get(key)
            if bucket is None:
                bucket = self.buckets[key] = TokenBucket(bucket_spec, now)
            buckets.append(bucket)
        wait = max((b.wait(now) for b in buckets), default=0.0)
        if wait > 0:
            return max(1, math.ceil(wait)) if math.isfinite(wait) else 60
        for bucket in buckets:
            bucket.take()
        return None

    def reset(self) -> None:
        self.buckets.clear()


@dataclass
class Fault:
    """A scripted misbehaviour for the next ``count`` calls of ``method`` (``"*"``: any method)."""

    method: str
    kind: FaultKind
    count: int = 1
    status: int = 429
    error: str | None = None
    retry_after: int = 1
    delay: float = 0.0

    def matches(self, method: str) -> bool:
        return self.count > 0 and self.method in ("*", method)

    def body(self) -> dict[str, Any]:
        code = self.error or _STATUS_ERRORS.get(self.status, "fatal_error")
        return {"ok": False, "error": code}


class Faults:
    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        self.pending.append(fault)
        return fault

    def take(self, method: str) -> Fault | None:
        for fault in self.pending:
            if fault.matches(method):
                fault.count -= 1
                if fault.count <= 0:
                    self.pending.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.pending.clear()
