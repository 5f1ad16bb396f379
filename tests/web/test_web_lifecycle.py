"""Runs end cleanly whatever happens to them: cancelled while queued, refused, raced,
interrupted by another strategy; answers are claimed once; waiting never swallows the
caller's own cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import ag_ui.core as agui
import httpx
import pytest
from web_helpers import ALICE, BOB, as_user, first_card, running_helpdesk, said

from botkit_web import RunBusy, WebRun
from botkit_web.engine import Outcome
from botkit_web.runs import RunLog
from botkit_web.surface import RunSurface


async def test_cancelled_runs_do_not_steal_the_right_to_resume(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("deploys", user=ALICE, participants=["bob"])
        waited = await http.post(f"/threads/{tid}/runs/wait", json=said("deploy it"),
                                 headers=as_user("alice"))
        assert waited.json()["__interrupt__"]
        bobs = await h.adapter.turns.send(tid, [_said("a ticket")], user=BOB)
        await first_card(h.adapter, bobs)
        cancel = await http.post(f"/threads/{tid}/runs/{bobs.run_id}/cancel?wait=1",
                                 headers=as_user("bob"))
        assert cancel.json()["status"] == "cancelled"
        assert cancel.json()["cancel_reason"] == "cancelled"
        refused = await http.post(f"/threads/{tid}/runs", headers=as_user("bob"),
                                  json={"command": {"resume": "yes"}})
        assert refused.status_code == 403, refused.text
        assert refused.json()["message"] == "only alice can answer this interrupt"
        resumed = await http.post(f"/threads/{tid}/runs/wait", headers=as_user("alice"),
                                  json={"command": {"resume": "yes"}})
        assert resumed.status_code == 200
        assert resumed.json()["messages"][-1]["content"].endswith("You said yes.")


def _said(text: str):  # type: ignore[no-untyped-def]
    from botkit_web import UserInput
    return UserInput(text=text)


async def test_a_queued_run_cancelled_ends_and_keeps_its_message(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("queue", user=ALICE)
        first = await h.adapter.turns.send(tid, [_said("a ticket")], user=ALICE)
        await first_card(h.adapter, first)
        queued = (await http.post(f"/threads/{tid}/runs", json=said("and then this"),
                                  headers=as_user("alice"))).json()
        assert queued["status"] == "pending"
        assert "and then this" in [m.text for m in await h.adapter.messages.all(tid)]
        cancel = await http.post(f"/threads/{tid}/runs/{queued['run_id']}/cancel?wait=1",
                                 headers=as_user("alice"))
        assert cancel.status_code == 200
        assert cancel.json()["status"] == "cancelled"
        async with http.stream("GET", f"/threads/{tid}/runs/{queued['run_id']}/stream",
                               headers=as_user("alice")) as joined:
            body = await asyncio.wait_for(joined.aread(), 10)
        assert b'"status": "cancelled"' in body
        assert b"RUN_STARTED" in body
        assert b'"CANCELLED"' in body or b"cancelled" in body.lower()
        # the running one was untouched
        assert (await h.adapter.engine.log.get(tid, first.run_id)).status == "running"  # type: ignore[union-attr]


async def test_a_store_failure_at_the_start_still_ends_the_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    original = RunLog.save

    async def flaky(self: RunLog, run: WebRun) -> None:
        if run.status == "running":
            raise ConnectionError("the store is down")
        await original(self, run)
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread("flaky", user=ALICE)
        monkeypatch.setattr(RunLog, "save", flaky)
        run = await h.adapter.send(tid, "hello", user=ALICE)
        events = await asyncio.wait_for(_collect(h.adapter.follow(run)), 10)
        assert [e.type for e in events] == [agui.EventType.RUN_STARTED,
                                            agui.EventType.RUN_ERROR]
        assert "the store is down" not in str(events[-1])
        final = await h.adapter.engine.wait(run)
        assert final.status == "error"
        assert (await h.adapter.engine.log.get(tid, run.run_id)).status == "error"  # type: ignore[union-attr]
        assert "hello" in [m.text for m in await h.adapter.messages.all(tid)]


async def _collect(events: AsyncIterator[agui.BaseEvent]) -> list[agui.BaseEvent]:
    return [e async for e in events]


async def test_an_invalid_interrupting_request_cancels_nothing(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("strategy", user=ALICE)
        first = await h.adapter.turns.send(tid, [_said("a ticket")], user=ALICE)
        await first_card(h.adapter, first)
        bad = await http.post(f"/threads/{tid}/runs", headers=as_user("alice"), json={
            "input": {"messages": [{"role": "assistant", "content": "x"}]},
            "multitask_strategy": "interrupt"})
        assert bad.status_code == 422
        assert (await h.adapter.engine.log.get(tid, first.run_id)).status == "running"  # type: ignore[union-attr]
        good = await http.post(f"/threads/{tid}/runs/wait", headers=as_user("alice"),
                               json={**said("hello"), "multitask_strategy": "interrupt"})
        assert good.status_code == 200
        assert (await h.adapter.engine.wait(first)).status == "cancelled"


async def test_two_answers_to_one_choice_or_interrupt_one_wins(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("double", user=ALICE)
        run = await h.adapter.turns.send(tid, [_said("a ticket")], user=ALICE)
        card = await first_card(h.adapter, run)
        click = {"action_id": card["controls"][0]["action_id"], "message_id": card["id"]}
        answers = await asyncio.gather(*[
            http.post(f"/threads/{tid}/actions", json=click, headers=as_user("alice"))
            for _ in range(2)])
        assert sorted(a.status_code for a in answers) == [200, 409]
        assert (await h.adapter.engine.wait(run)).status == "success"
        await http.post(f"/threads/{tid}/runs/wait", json=said("deploy"),
                        headers=as_user("alice"))
        resumes = await asyncio.gather(*[
            http.post(f"/threads/{tid}/runs", json={"command": {"resume": v}},
                      headers=as_user("alice")) for v in ("yes", "no")])
        assert sorted(r.status_code for r in resumes) == [200, 409]
        loser = next(r for r in resumes if r.status_code == 409)
        assert loser.json()["error"] == "conflict"
        runs = await h.adapter.engine.log.list(tid, status="error")
        assert runs == []


async def test_reject_is_checked_and_registered_together(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread("reject", user=ALICE)
        blocked = asyncio.Event()

        async def work(surface: RunSurface) -> Outcome:
            await blocked.wait()
            return Outcome(status="success")
        engine = h.adapter.engine
        results = await asyncio.gather(
            *[engine.start(tid, work, kind="message", user=ALICE, strategy="reject")
              for _ in range(2)], return_exceptions=True)
        assert sum(isinstance(r, WebRun) for r in results) == 1
        assert sum(isinstance(r, RunBusy) for r in results) == 1
        blocked.set()
        started = next(r for r in results if isinstance(r, WebRun))
        assert (await engine.wait(started)).status == "success"
        assert len(engine.turns) == 0  # no lock left behind


async def test_waiting_for_a_run_can_be_cancelled_without_cancelling_it(
        tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread("waiting", user=ALICE)
        run = await h.adapter.turns.send(tid, [_said("a ticket")], user=ALICE)
        await first_card(h.adapter, run)
        waiter = asyncio.create_task(h.adapter.engine.wait(run))
        await asyncio.sleep(0)
        waiter.cancel()
        done, _ = await asyncio.wait({waiter}, timeout=10)
        assert waiter in done
        assert waiter.cancelled()
        assert h.adapter.engine.here(run.run_id)
