"""Every key botkit writes in the ``StateStore``, named in one place.

Keys form one namespace shared by every process using the store. Per-conversation keys end
in the conversation id (``Conversation.id``); ``PER_THREAD`` lists the ones
``bot.threads.delete`` / ``copy`` must treat as a conversation's data.

=================  =========================================  ==========================
key                what it holds                              written by
=================  =========================================  ==========================
``evt:``           dedup mark of a delivered event            the dispatch pipeline
``turn:``          turn lock of a conversation                the turn gate
``turnq:``         messages queued behind a turn (list)       the turn gate (``queue``)
``thread:``        the conversation's record                  ``bot.threads``
``state:``         the head checkpoint (the agent's state)    runs, ``thread.set_state``
``runs:``          run history (list)                         run tracking
``ckpt:``          state checkpoints (list)                   ``bot.threads`` state writes
``ckstep:``        (older versions' step counter; deleted)    ``bot.threads`` (no more)
``interrupt:``     the run waiting for ``thread.resume``      the run loop
``msgids:``        platform message id -> agent message id    the run loop
``action:``        a durable click handler                    ``thread.post``
``choice:``        a question waiting for a click             ``thread.await_choice``
``choiceans:``     an answer handed to the asking process     click routing
``replica:``       a live process's heartbeat                 the choice relay, replicas
``choices:``       pub/sub channel waking a process           click routing
``owned:``         what a live process holds (by replica id)  the inbox's ``Replicas``
``reply:``         (under ``owned:``) a reply shown as it     adapters, via ``BotHandle``
                   streams, still open on its platform
=================  =========================================  ==========================
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "PER_THREAD",
    "PROBE",
    "THREAD_RECORD_PREFIX",
    "action_handler",
    "checkpoint_step",
    "checkpoints",
    "choice",
    "choice_answer",
    "choice_wakeup_channel",
    "event_seen",
    "message_ids",
    "open_reply",
    "owned",
    "pending_interrupt",
    "replica_alive",
    "run_history",
    "thread_record",
    "thread_state",
    "turn_lock",
    "turn_queue",
]

PROBE = "botkit:probe"
"""Read once at start to check the store answers."""
THREAD_RECORD_PREFIX = "thread:"


def event_seen(platform: str, event_id: str) -> str:
    return f"evt:{platform}:{event_id}"


def turn_lock(conversation_id: str) -> str:
    return f"turn:{conversation_id}"


def turn_queue(conversation_id: str) -> str:
    return f"turnq:{conversation_id}"


def thread_record(conversation_id: str) -> str:
    return f"{THREAD_RECORD_PREFIX}{conversation_id}"


def thread_state(conversation_id: str) -> str:
    return f"state:{conversation_id}"


def run_history(conversation_id: str) -> str:
    return f"runs:{conversation_id}"


def checkpoints(conversation_id: str) -> str:
    return f"ckpt:{conversation_id}"


def checkpoint_step(conversation_id: str) -> str:
    return f"ckstep:{conversation_id}"


def pending_interrupt(conversation_id: str) -> str:
    return f"interrupt:{conversation_id}"


def message_ids(conversation_id: str) -> str:
    return f"msgids:{conversation_id}"


def action_handler(action_id: str) -> str:
    return f"action:{action_id}"


def choice(choice_id: str) -> str:
    return f"choice:{choice_id}"


def choice_answer(choice_id: str) -> str:
    return f"choiceans:{choice_id}"


def replica_alive(replica: str) -> str:
    return f"replica:{replica}"


def choice_wakeup_channel(replica: str) -> str:
    return f"choices:{replica}"


def owned(what: str) -> str:
    """The record that a live process holds ``what`` (a ``turn:`` lock, a ``reply:``)."""
    return f"owned:{what}"


def open_reply(platform: str, reply_id: str = "") -> str:
    """An open streamed reply (``open_reply("")``: the prefix of them all)."""
    return f"reply:{platform}:{reply_id}" if platform else "reply:"


PER_THREAD: tuple[Callable[[str], str], ...] = (
    thread_state, run_history, pending_interrupt, message_ids, turn_queue, checkpoints,
    checkpoint_step)
"""A conversation's data besides its record (``thread_record``): deleted with it."""
