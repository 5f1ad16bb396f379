"""Knobs of the emulator: timers, lifetimes, rate-limit tiers, delivery behaviour.

Defaults follow Slack (3 s ack deadline, retries after about 0 s / 1 min / 5 min, 5-minute streams,
Tier 1-4 at 1/20/50/100 per minute). :meth:`EmulatorConfig.fast` compresses the timers for tests.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal

SigningMode = Literal["valid", "bad_signature", "stale_timestamp", "unsigned"]
StreamExpiry = Literal["total", "idle"]
EventOrder = Literal["random", "message_first", "mention_first"]

#: Slack's documented tier for each emulated method. ``"special"`` methods have their own buckets.
METHOD_TIERS: dict[str, int | str] = {
    "auth.test": "special",
    "chat.postMessage": "special",
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": "special",
    "chat.startStream": 2,
    "chat.appendStream": 4,
    "chat.stopStream": 2,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.info": 3,
    "conversations.list": 2,
    "conversations.members": 4,
    "conversations.open": 3,
    "conversations.join": 3,
    "users.info": 4,
    "users.list": 2,
    "users.lookupByEmail": 3,
    "users.conversations": 3,
    "team.info": 3,
    "bots.info": 3,
    "files.getUploadURLExternal": 4,
    "files.completeUploadExternal": 4,
    "files.info": 4,
    "reactions.add": 3,
    "reactions.remove": 2,
    "reactions.get": 3,
    "assistant.threads.setStatus": "special",
    "assistant.threads.setSuggestedPrompts": 4,
    "assistant.threads.setTitle": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
    "apps.connections.open": 3,
    "chat.scheduleMessage": 3,
    "chat.scheduledMessages.list": 3,
    "chat.deleteScheduledMessage": 3,
    "oauth.v2.access": 4,
    "apps.uninstall": 4,
    "auth.revoke": 3,
}


@dataclass
class Bucket:
    """A token bucket: ``per_minute`` refill, ``burst`` tokens when full."""

    per_minute: float
    burst: int


@dataclass
class RateLimits:
    """Rate limiting, on by default with Slack's numbers.

    ``tiers`` maps a tier number to its bucket; ``method_tiers`` overrides a method's tier (or
    gives a method its own :class:`Bucket`). ``post_message_per_channel`` is the ~1 msg/s per
    channel rule, ``post_message_workspace`` the workspace-wide cap, ``set_status_per_channel``
    the per-DM bucket. ``non_marketplace`` puts ``conversations.history``/``replies`` at 1/min
    with ``limit`` capped at 15.
    """

    enabled: bool = True
    tiers: dict[int, Bucket] = field(
        default_factory=lambda: {
            1: Bucket(1, 2),
            2: Bucket(20, 20),
            3: Bucket(50, 50),
            4: Bucket(100, 100),
        }
    )
    method_tiers: dict[str, int | Bucket] = field(default_factory=dict)
    special: Bucket = field(default_factory=lambda: Bucket(600, 100))
    post_message_per_channel: Bucket = field(default_factory=lambda: Bucket(60, 4))
    post_message_workspace: Bucket = field(default_factory=lambda: Bucket(300, 60))
    set_status_per_channel: Bucket = field(default_factory=lambda: Bucket(60, 10))
    non_marketplace: bool = False

    @classmethod
    def off(cls) -> RateLimits:
        return cls(enabled=False)

    def scaled(self, factor: float) -> RateLimits:
        """Every bucket ``factor`` times looser (``> 1``) or tighter (``< 1``)."""

        def scale(bucket: Bucket) -> Bucket:
            return Bucket(bucket.per_minute * factor, max(1, round(bucket.burst * factor)))

        return dataclasses.replace(
            self,
            tiers={tier: scale(b) for tier, b in self.tiers.items()},
            method_tiers={
                m: scale(b) if isinstance(b, Bucket) else b for m, b in self.method_tiers.items()
            },
            special=scale(self.special),
            post_message_per_channel=scale(self.post_message_per_channel),
            post_message_workspace=scale(self.post_message_workspace),
            set_status_per_channel=scale(self.set_status_per_channel),
        )


@dataclass
class EmulatorConfig:
    """Timers (real seconds on the event loop) and lifetimes (seconds of the emulator clock)."""

    ack_timeout: float = 3.0
    """A delivery not answered (HTTP 2xx / Socket Mode ack) in this time failed."""
    retry_delays: tuple[float, ...] = (0.0, 60.0, 300.0)
    """Wait before retry 1, 2, 3 after a failed attempt; its length is the number of retries."""
    socket_retry_delays: tuple[float, ...] = (0.0, 60.0, 300.0)
    max_redirects: int = 2
    stream_ttl: float = 300.0
    stream_expiry: StreamExpiry = "total"
    trigger_ttl: float = 3.0
    response_url_ttl: float = 1800.0
    response_url_max_uses: int = 5
    status_ttl: float = 120.0
    replies_repeat_parent: bool = True
    """Whether later ``conversations.replies`` pages start with the parent again (undocumented)."""
    max_socket_connections: int = 10
    disconnect_grace: float = 1.0
    """After a ``disconnect`` frame (but ``warning``) the server closes the socket this late."""
    signing_mode: SigningMode = "valid"
    stale_by: float = 600.0
    rate_limits: RateLimits = field(default_factory=RateLimits)
    stream_requires_thread: bool = False
    """Reject ``chat.startStream`` without ``thread_ts`` (the Python SDK always sends one)."""
    events_per_hour: int = 30_000
    """Past this many events in an hour the app gets ``app_rate_limited`` instead."""
    record_limit: int | None = None
    """Keep at most this many call/delivery records (oldest half dropped); ``None``: all."""
    event_order: EventOrder = "random"
    """Order of ``message`` and ``app_mention`` for one post; Slack promises none."""
    event_seed: int | None = 0
    """Seed for ``event_order="random"`` (the same seed gives the same order; ``None``: fresh)."""
    strict: bool = True
    """Enforce Slack's documented shapes the emulator used to accept: metadata ``event_payload``
    nesting (flat values, flat objects, arrays of flat objects) and stream calls that carry
    both ``markdown_text`` and ``chunks``."""

    @classmethod
    def fast(cls, **overrides: object) -> EmulatorConfig:
        """Slack's behaviour with timers compressed for tests (1 s acks, ~0 s back-off)."""
        base = cls(
            ack_timeout=1.0,
            retry_delays=(0.0, 0.01, 0.02),
            socket_retry_delays=(0.0, 0.01, 0.02),
            disconnect_grace=0.2,
        )
        return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]
