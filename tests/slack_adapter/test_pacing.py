"""The adapter's pacing against Slack's limits: close to them, never over them.

The emulator's token buckets stand in for Slack; the adapter's pacer decides when each call is
sent and a seeded jitter decides when it arrives. No call may be refused, and the pacer may not
leave much of Slack's allowance unused (the adapter finishing far later than Slack allows).
"""

from __future__ import annotations

import asyncio
import random

import pytest

from botkit_slack.client import DEFAULT_LIMITS, RateLimiter
from botkit_slack.emulator.config import Bucket, RateLimits
from botkit_slack.emulator.limiter import TokenBucket


def schedule(limiter: RateLimiter, method: str, key: str, calls: int) -> list[float]:
    """When the pacer lets each of ``calls`` calls go, asking as soon as it may."""
    now = [0.0]
    limiter.clock = lambda: now[0]
    sent: list[float] = []
    while len(sent) < calls:
        if limiter.try_take(method, key):
            sent.append(now[0])
        else:
            now[0] += 0.001
    return sent


@pytest.mark.parametrize(("method", "slack"), [
    ("chat.postMessage", RateLimits().post_message_per_channel),
    ("chat.postMessage:workspace", RateLimits().post_message_workspace),
    ("chat.update", RateLimits().tiers[3]),
])
def test_paced_calls_arriving_with_jitter_are_never_refused(method: str, slack: Bucket) -> None:
    rng = random.Random(7)
    sent = schedule(RateLimiter(), method, "C1", 300)
    arrivals = sorted(t + rng.uniform(0, 0.15) for t in sent)  # up to 150 ms late, reordered
    bucket = TokenBucket(slack, arrivals[0])
    for at in arrivals:
        assert bucket.wait(at) == 0, f"Slack would refuse the call arriving at {at:.3f} s"
        bucket.take()


@pytest.mark.parametrize("method", ["chat.postMessage", "chat.postMessage:workspace"])
def test_pacing_uses_nearly_all_of_slacks_allowance(method: str) -> None:
    per_minute, burst = DEFAULT_LIMITS[method]
    calls = burst + int(per_minute / 6)  # the whole burst, then 10 s at Slack's rate
    sent = schedule(RateLimiter(), method, "C1", calls)
    fastest = (calls - burst) * 60 / per_minute  # what Slack allows at best
    assert sent[burst - 2] == 0.0  # all but one token of the burst at once
    assert sent[-1] <= fastest * 1.05 + 60 / per_minute  # within 5 % (plus the one held back)


async def test_waiters_queue_and_only_the_first_one_sleeps() -> None:
    # a burst of callers on an empty bucket: served in arrival order, and each refill wakes
    # one waiter, not all of them (they used to all wake and race for every token)
    looks = [0]

    def clock() -> float:
        looks[0] += 1
        return asyncio.get_running_loop().time()
    pacer = RateLimiter({"chat.update": (6000, 2)}, margin=1.0, headroom=0,
                        clock=clock).pacer("chat.update")
    assert pacer is not None
    order: list[int] = []

    async def call(i: int) -> None:
        await pacer.take()
        order.append(i)
    await asyncio.gather(*(call(i) for i in range(20)))
    assert order == list(range(20))
    assert looks[0] <= 4 * 20  # a few clock reads per call, not one per call per refill
