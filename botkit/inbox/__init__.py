"""Durable inbound events: the inbox (append before ack, handle, acknowledge when done),
graceful drain, and the replica registry crash recovery builds on."""

from __future__ import annotations

from botkit.inbox.engine import Inbox
from botkit.inbox.records import Apology, DrainSummary, Envelope, InboxConfig, InboxStats
from botkit.inbox.replicas import Owned, Replicas

__all__ = ["Apology", "DrainSummary", "Envelope", "Inbox", "InboxConfig", "InboxStats", "Owned",
           "Replicas"]
