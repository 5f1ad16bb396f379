"""The "thinking" statuses a burst of turns sets go out through a few workers (issue #15):
queued in order, at most ``workers`` calls at once, each turn's future done once its status
was sent; stopping drops what is still queued."""

from __future__ import annotations

import asyncio

from botkit.types import Conversation
from botkit_slack.status import StatusSender


def _room(i: int) -> Conversation:
    return Conversation(id=f"C{i}:1.{i}", channel=f"C{i}", thread=f"1.{i}")


async def test_statuses_go_in_order_through_at_most_the_workers() -> None:
    began: list[str] = []
    going: list[str] = []
    most = 0
    two_going, release = asyncio.Event(), asyncio.Event()

    async def send(conversation: Conversation, status: str) -> None:
        nonlocal most
        began.append(conversation.channel)
        going.append(conversation.channel)
        most = max(most, len(going))
        if len(going) == 2:
            two_going.set()
        await release.wait()
        going.remove(conversation.channel)

    sender = StatusSender(send, workers=2)
    futures = [sender.set(_room(i), "is thinking…") for i in range(5)]
    await two_going.wait()
    assert going == ["C0", "C1"]
    assert not any(f.done() for f in futures)
    release.set()
    await asyncio.gather(*futures)
    assert began == ["C0", "C1", "C2", "C3", "C4"]  # first come, first served
    assert most == 2


async def test_stopping_drops_the_queued_statuses_and_ends_their_waits() -> None:
    started = asyncio.Event()

    async def send(conversation: Conversation, status: str) -> None:
        started.set()
        await asyncio.Event().wait()  # a call that never answers

    sender = StatusSender(send, workers=1)
    futures = [sender.set(_room(i), "is thinking…") for i in range(3)]
    await started.wait()
    sender.cancel()
    await asyncio.gather(*futures)  # none is left waiting
