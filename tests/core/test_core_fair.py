"""``FairShare``: a burst of CPU-bound callers is let through in slices, in arrival order,
with the loop's timers and I/O running between slices (no timing is asserted: only order)."""

from __future__ import annotations

import asyncio
import gc
import time

import pytest

from botkit.run.fair import FULL_PASS_EVERY, FairShare, serving_gc


def spin(seconds: float) -> None:
    """Busy CPU work (as a turn's bookkeeping on the in-memory store is)."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


async def test_a_burst_lets_the_loop_run_between_slices_and_keeps_its_order() -> None:
    fair = FairShare(budget=0.004)
    events: list[str] = []

    async def caller(i: int) -> None:
        await fair.turn()
        events.append(f"caller {i}")
        spin(0.002)

    loop = asyncio.get_running_loop()
    loop.call_later(0.001, events.append, "timer")  # due while the burst runs
    await asyncio.gather(*(caller(i) for i in range(40)))
    callers = [e for e in events if e != "timer"]
    assert callers == [f"caller {i}" for i in range(40)]  # first come, first through
    assert "timer" in events[:-1]  # the timer fired before the burst ended
    assert events.index("timer") < 39


async def test_callers_outside_a_burst_pass_at_once() -> None:
    fair = FairShare(budget=0.004)
    for _ in range(5):
        await fair.turn()
        await asyncio.sleep(0)  # a new loop iteration: a new slice
        assert fair.waiting == 0


async def test_a_cancelled_waiter_leaves_the_queue_and_the_others_pass() -> None:
    fair = FairShare(budget=0.0)  # every caller after the first in an iteration waits
    passed: list[int] = []

    async def caller(i: int) -> None:
        await fair.turn()
        passed.append(i)

    tasks = [asyncio.create_task(caller(i)) for i in range(4)]
    await asyncio.sleep(0)  # all four reached the gate: the first passed, three wait
    assert passed == [0]
    assert fair.waiting == 3
    tasks[2].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert passed == [0, 1, 3]
    assert isinstance(results[2], asyncio.CancelledError)
    assert fair.waiting == 0


async def test_each_loop_has_its_own_slices_and_queue() -> None:
    fair = FairShare(budget=0.0)

    async def burst() -> list[int]:
        passed: list[int] = []

        async def caller(i: int) -> None:
            await fair.turn()
            passed.append(i)
        await asyncio.gather(*(caller(i) for i in range(3)))
        return passed

    async with asyncio.timeout(30):
        here = asyncio.create_task(burst())  # waiting here while another loop runs one
        other = await asyncio.to_thread(asyncio.run, burst())
        assert other == [0, 1, 2]
        assert await here == [0, 1, 2]


@pytest.mark.parametrize("budget", [0.0, 0.01])
async def test_every_caller_of_a_burst_gets_through(budget: float) -> None:
    fair = FairShare(budget=budget)
    count = 0

    async def caller() -> None:
        nonlocal count
        await fair.turn()
        count += 1

    await asyncio.gather(*(caller() for _ in range(500)))
    assert count == 500
    assert fair.waiting == 0


def test_nested_serving_gc_calls_apply_once_and_the_last_restore_undoes_them() -> None:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    try:
        outer = serving_gc()
        inner = serving_gc()  # a second bot served in the same process
        assert gc.get_threshold() == (700, 10, FULL_PASS_EVERY)
        inner()
        inner()  # once only
        assert gc.get_threshold() == (700, 10, FULL_PASS_EVERY)  # the first still serves
        assert gc.get_freeze_count() > 0
        outer()
        assert (gc.get_threshold(), gc.get_freeze_count()) == ((700, 10, 10), 0)
        gc.freeze()  # an app froze what it loaded (before forking, say): it stays frozen
        frozen = gc.get_freeze_count()
        serving_gc()()
        assert gc.get_threshold() == (700, 10, 10)
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
