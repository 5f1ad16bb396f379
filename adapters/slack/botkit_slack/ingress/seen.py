"""The event ids this process handled recently: a retry or redelivery of one is a duplicate.

Slack retries a delivery it got no timely ack for and may deliver an event twice; the
store's dedup mark catches that across processes, this memory catches it here first,
without a store round trip. One instance per adapter, used from the bot's loop and from
the Socket Mode ack lane's thread (``ingress.lane``), hence the lock.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

__all__ = ["SeenIds"]


class SeenIds:
    """Ids seen within a time window, at most ``limit`` of them (oldest forgotten first)."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self.duplicates = 0
        self._at: OrderedDict[str, float] = OrderedDict()  # id -> when first seen (monotonic)
        self._lock = threading.Lock()

    def first_sight(self, key: str, ttl: float) -> bool:
        """True, and ``key`` remembered, unless it was seen within ``ttl`` seconds."""
        now = time.monotonic()
        with self._lock:
            at = self._at
            while at and (len(at) > self.limit or now - next(iter(at.values())) > ttl):
                at.popitem(last=False)
            if key in at:
                self.duplicates += 1
                return False
            at[key] = now
            return True

    def forget(self, key: str) -> None:
        """Take back ``first_sight`` (the delivery was not stored: its redelivery is new)."""
        with self._lock:
            self._at.pop(key, None)
