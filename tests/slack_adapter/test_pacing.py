"""The adapter's pacing against Slack's limits: close to them, never over them.

The emulator's token buckets stand in for Slack; the adapter's pacer decides when each call is
sent and a seeded jitter decides when it arrives. No call may be refused, and the pacer may not
leave much of Slack's allowance unused (the adapter finishing far later than Slack allows).
"""

from __future__ import annotations

import asyncio
import random

import pytest

from botkit_slack.client import BATCH_SLACK, DEFAULT_LIMITS, Pacer, RateLimiter
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
                        clock=clock, grid=0).pacer("chat.update")
    assert pacer is not None
    order: list[int] = []

    async def call(i: int) -> None:
        await pacer.take()
        order.append(i)
    await asyncio.gather(*(call(i) for i in range(20)))
    assert order == list(range(20))
    assert looks[0] <= 4 * 20  # a few clock reads per call, not one per call per refill


def _pacer_on_a_fake_clock(per_minute: float, burst: int) -> tuple[Pacer, list[float],
                                                                    list[float]]:
    """A pacer whose sleeps advance a fake clock: (pacer, now, the sleeps it asked for)."""
    now = [0.0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds
        await asyncio.sleep(0)  # the other callers run (and queue) meanwhile

    return Pacer(per_minute, burst, clock=lambda: now[0], sleep=sleep), now, sleeps


async def test_queued_callers_leave_together_and_none_before_its_token() -> None:
    # 4 calls a second, a burst of 4, 12 callers at once: 4 go now, the queue waits. Each
    # queued call used to sleep on its own (8 wake-ups, each posting one reply alone); now
    # the first waiter waits for as many tokens as refill within BATCH_SLACK and those go
    # out back to back: fewer wake-ups, none early, the last as early as before.
    pacer, now, sleeps = _pacer_on_a_fake_clock(240, 4)
    left: list[float] = []

    async def call() -> None:
        await pacer.take()
        left.append(now[0])
    await asyncio.gather(*(call() for _ in range(12)))

    per_token = 60 / 240
    for k, at in enumerate(left):  # the k-th call's token is there at (k + 1 - burst) / rate
        assert at >= (k + 1 - 4) * per_token
    assert left[-1] == (12 - 4) * per_token  # the last leaves when its token comes
    assert len(sleeps) < 8
    assert left.count(left[8]) == 4  # a batch shares one wake-up
    assert left.count(left[-1]) == 3
    assert int(BATCH_SLACK * 240 / 60) == 4  # (the batch size above)


async def test_a_lone_waiter_or_a_slow_bucket_is_not_held_back() -> None:
    # one caller waiting leaves at its token; a bucket refilling slower than one token per
    # BATCH_SLACK (a channel's 1/s) never makes its queue wait for more than one token
    pacer, now, _ = _pacer_on_a_fake_clock(240, 1)
    await pacer.take()
    await pacer.take()
    assert now[0] == 60 / 240
    slow, now, sleeps = _pacer_on_a_fake_clock(DEFAULT_LIMITS["chat.postMessage"][0], 1)
    await asyncio.gather(*(slow.take() for _ in range(4)))
    assert sleeps == [1.0, 1.0, 1.0]


async def test_batched_takes_arriving_with_jitter_are_never_refused() -> None:
    # the workspace-wide chat.postMessage bucket (the one that batches) against Slack's own,
    # as the try_take schedule above: 300 queued calls, released in batches, never refused
    rng = random.Random(11)
    limiter = RateLimiter()
    spec = limiter.pacer("chat.postMessage:workspace")
    assert spec is not None
    pacer, now, _ = _pacer_on_a_fake_clock(spec.per_minute, spec.burst)
    left: list[float] = []

    async def call() -> None:
        await pacer.take()
        left.append(now[0])
    await asyncio.gather(*(call() for _ in range(300)))
    arrivals = sorted(t + rng.uniform(0, 0.15) for t in left)
    bucket = TokenBucket(RateLimits().post_message_workspace, arrivals[0])
    for at in arrivals:
        assert bucket.wait(at) == 0, f"Slack would refuse the call arriving at {at:.3f} s"
        bucket.take()


class Iterations:
    """Counts event-loop iterations: a callback that schedules itself again runs once in
    each."""

    def __init__(self) -> None:
        self.count = 0
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_soon(self._tick)

    def _tick(self) -> None:
        self.count += 1
        self._handle = self._loop.call_soon(self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def test_a_batch_goes_on_in_one_loop_iteration() -> None:
    # the leader hands the batch's tokens out itself and goes on; the other callers of its
    # batch resume together in the next iteration (they used to pass a lock on, one
    # iteration after another)
    pacer, now, _ = _pacer_on_a_fake_clock(240, 4)
    iterations = Iterations()
    left: list[tuple[float, int]] = []

    async def call() -> None:
        await pacer.take()
        left.append((now[0], iterations.count))
    await asyncio.gather(*(call() for _ in range(12)))
    iterations.stop()
    batches: dict[float, set[int]] = {}
    for at, iteration in left:
        batches.setdefault(at, set()).add(iteration)
    assert sorted(len([a for a, _ in left if a == at]) for at in batches) == [1, 3, 4, 4]
    assert all(len(seen) <= 2 for seen in batches.values())


def _pacer_on_a_held_clock(per_minute: float, burst: int
                           ) -> tuple[Pacer, list[float], asyncio.Event]:
    """A pacer on a fake clock the test moves; its sleeps end when the test sets the
    event."""
    now = [0.0]
    go = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await go.wait()
        go.clear()

    return Pacer(per_minute, burst, clock=lambda: now[0], sleep=sleep), now, go


async def _queued(pacer: Pacer, callers: int) -> None:
    """Let the callers started run until they wait; ``callers`` of them queued."""
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(pacer._queue) == callers


async def test_callers_cancelled_in_the_queue_leave_it_and_the_rest_go_in_order() -> None:
    pacer, now, go = _pacer_on_a_held_clock(60, 1)
    await pacer.take()  # the burst is used up: the next callers queue
    left: list[tuple[str, float]] = []

    async def call(name: str) -> None:
        await pacer.take()
        left.append((name, now[0]))
    tasks = {name: asyncio.create_task(call(name)) for name in "abcd"}
    await _queued(pacer, 4)
    tasks["a"].cancel()  # the leader, asleep: b leads now
    tasks["c"].cancel()  # queued behind
    await _queued(pacer, 2)
    while not all(tasks[name].done() for name in "bd"):
        now[0] += 0.5
        go.set()
        await asyncio.sleep(0)
    assert left == [("b", 1.0), ("d", 2.0)]  # one token a second, in order, none early
    assert tasks["a"].cancelled()
    assert tasks["c"].cancelled()


async def test_a_token_taken_for_a_caller_cancelled_before_it_ran_goes_back() -> None:
    pacer, now, go = _pacer_on_a_held_clock(60, 2)
    await pacer.take()
    await pacer.take()
    later: list[asyncio.Task[None]] = []

    async def leader() -> None:
        await pacer.take()
        later[0].cancel()  # its token was just taken for it; it has not run yet

    first = asyncio.create_task(leader())
    await _queued(pacer, 1)
    later.append(asyncio.create_task(pacer.take()))
    await _queued(pacer, 2)
    now[0] = 2.0  # two tokens: the leader's and the one it takes for the caller behind it
    go.set()
    await first
    with pytest.raises(asyncio.CancelledError):
        await later[0]
    assert pacer.try_take()  # the cancelled caller's token is there for the next one
    assert not pacer.try_take()


async def test_pacers_due_within_the_grid_wake_together_and_never_early() -> None:
    # two channels' buckets whose tokens come a few ms apart: their leaders wake at the same
    # multiple of the grid, each after its token
    now = [0.0]
    woke: list[float] = []
    go = asyncio.Event()

    async def sleep(seconds: float) -> None:
        woke.append(now[0] + seconds)
        await go.wait()

    now[0] = 0.013
    first = Pacer(60, 1, clock=lambda: now[0], sleep=sleep, grid=0.1)
    now[0] = 0.037
    second = Pacer(60, 1, clock=lambda: now[0], sleep=sleep, grid=0.1)
    await first.take()
    await second.take()
    now[0] = 0.05
    both = asyncio.gather(first.take(), second.take())
    for _ in range(10):
        await asyncio.sleep(0)
    assert len(woke) == 2
    now[0] = woke[0]
    go.set()
    await both
    assert woke == [pytest.approx(1.1), pytest.approx(1.1)]  # tokens at 1.013 and 1.037
    assert RateLimiter().pacer("chat.postMessage", "C1").grid > 0  # type: ignore[union-attr]
