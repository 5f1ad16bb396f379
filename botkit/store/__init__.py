"""State stores: memory now; SQLite and Redis come with durable threads."""

from botkit.store.base import StateStore
from botkit.store.memory import MemoryStore

__all__ = ["MemoryStore", "StateStore"]
