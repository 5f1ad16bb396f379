"""Bad requests get clear 4xx answers (never 5xx), and the bot keeps serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from web_helpers import running_helpdesk

ALICE = {"X-User-Id": "alice"}
MESSAGE = {"input": {"messages": [{"role": "user", "content": "hello"}]}}

CASES: list[tuple[str, str, Any, int, str]] = [
    ("POST", "/threads/t/runs", {}, 422, "input"),
    ("POST", "/threads/t/runs", {"input": {}}, 422, "input.messages"),
    ("POST", "/threads/t/runs", {"input": {"messages": []}}, 422, "input.messages"),
    ("POST", "/threads/t/runs", {"input": {"messages": "hi"}}, 422, "input.messages"),
    ("POST", "/threads/t/runs", {"input": {"messages": [{"role": "assistant",
                                                         "content": "x"}]}}, 422, "role"),
    ("POST", "/threads/t/runs", {"input": {"messages": [{"role": "user", "content": ""}]}},
     422, "content"),
    ("POST", "/threads/t/runs", {**MESSAGE, "command": {"resume": 1}}, 422, "input"),
    ("POST", "/threads/t/runs", {"command": {"goto": "x"}}, 422, "command"),
    ("POST", "/threads/t/runs/stream", {**MESSAGE, "stream_mode": ["nope"]}, 422, "nope"),
    ("POST", "/threads/t/runs", {**MESSAGE, "multitask_strategy": "x"}, 422, "multitask"),
    ("POST", "/threads/t/runs", {**MESSAGE, "if_not_exists": "x"}, 422, "if_not_exists"),
    ("POST", "/threads/t/runs", [1, 2], 422, "body"),
    ("POST", "/threads/missing/runs", MESSAGE, 404, "missing"),
    ("POST", "/threads/missing/runs/wait", MESSAGE, 404, "missing"),
    ("GET", "/threads/t/runs/no-such-run", None, 404, "no-such-run"),
    ("GET", "/threads/t/runs/no-such-run/stream", None, 404, "no-such-run"),
    ("POST", "/threads/t/runs/no-such-run/cancel", None, 404, "no-such-run"),
    ("GET", "/threads/missing/runs", None, 404, "missing"),
    ("GET", "/threads/t/runs?limit=0", None, 422, "limit"),
    ("GET", "/threads/t/runs?limit=x", None, 422, "limit"),
    ("POST", "/threads/t/runs", {"command": {"resume": "yes"}}, 409, "no interrupted run"),
    ("POST", "/threads/t/actions", {"action_id": "nope"}, 404, "no control"),
    ("POST", "/threads/t/actions", {"action_id": ""}, 422, "action_id"),
    ("POST", "/threads/t/actions", {"action_id": "a", "extra": 1}, 422, "extra"),
    ("POST", "/agui", {"threadId": "t"}, 422, "runId"),
    ("POST", "/agui", {"threadId": "t", "runId": "r", "state": {}, "messages": [],
                       "tools": [], "context": [], "forwardedProps": {}}, 422, "messages"),
    ("GET", "/nowhere", None, 404, "nowhere"),
]


NOT_FOUND = {  # the exact answer: a removed route would answer differently
    "/threads/missing/runs": "no thread 'missing'",
    "/threads/missing/runs/wait": "no thread 'missing'",
    "/threads/t/runs/no-such-run": "thread 't' has no run 'no-such-run'",
    "/threads/t/runs/no-such-run/stream": "thread 't' has no run 'no-such-run'",
    "/threads/t/runs/no-such-run/cancel": "thread 't' has no run 'no-such-run'",
    "/threads/t/actions": "thread 't' has no control 'nope'",
    "/nowhere": "Not Found: GET /nowhere",
}


@pytest.fixture
async def served(tmp_path: Path) -> Any:
    async with running_helpdesk(tmp_path, max_body_bytes=4096) as h:
        await h.adapter.create_thread("t")
        yield h


@pytest.mark.parametrize(("method", "path", "body", "status", "mentions"), CASES)
async def test_bad_requests_are_refused_clearly(served: Any, method: str, path: str,
                                                body: Any, status: int, mentions: str) -> None:
    async with httpx.AsyncClient(base_url=served.url, headers=ALICE) as http:
        response = await http.request(method, path, json=body)
        assert response.status_code == status, response.text
        assert mentions.lower() in response.text.lower()
        assert response.json()["error"]
        if status == 404:
            assert response.json() == {"error": "not_found",
                                       "message": NOT_FOUND[path.split("?")[0]]}
        # and the bot still answers
        ok = await http.post("/threads/t/runs/wait", json=MESSAGE)
        assert ok.status_code == 200
        assert ok.json()["messages"][-1]["content"] == "Hello hello, I am the helpdesk."


async def test_oversized_bodies_unauthenticated_callers_and_non_json(served: Any) -> None:
    async with httpx.AsyncClient(base_url=served.url) as http:
        huge = {"input": {"messages": [{"role": "user", "content": "x" * 10_000}]}}
        for path in ("/threads/t/runs", "/agui", "/threads/t/actions"):
            response = await http.post(path, json=huge, headers=ALICE)
            assert response.status_code == 413, (path, response.text)
        response = await http.post("/threads/t/runs", json=MESSAGE)
        assert response.status_code == 401
        assert "X-User-Id" in response.text
        response = await http.post("/threads/t/runs", content=b"{not json",
                                   headers={**ALICE, "Content-Type": "application/json"})
        assert response.status_code == 400
        assert "not JSON" in response.text
        assert (await http.post("/threads/t/runs/wait", json=MESSAGE,
                                headers=ALICE)).status_code == 200


async def test_a_slack_thread_is_not_run_over_the_web_routes(served: Any) -> None:
    threads = served.bot.threads
    await threads.mutate("slack-thread", lambda old: threads.new_record(
        "slack-thread", "slack", served.adapter.conversation("slack-thread")))
    async with httpx.AsyncClient(base_url=served.url, headers=ALICE) as http:
        response = await http.post("/threads/slack-thread/runs", json=MESSAGE)
        assert response.status_code == 409
        assert "web threads" in response.text


async def test_choices_and_interrupts_only_for_their_people(served: Any) -> None:
    async with httpx.AsyncClient(base_url=served.url, headers=ALICE) as http:
        run = (await http.post("/threads/t/runs", json={"input": {"messages": [
            {"role": "user", "content": "a ticket"}]}})).json()
        card = None
        async for event in served.adapter.follow(
                await served.adapter.engine.log.get("t", run["run_id"])):
            if event.type == "CUSTOM" and event.value["controls"]:
                card = event.value
                break
        assert card is not None
        action = {"action_id": card["controls"][0]["action_id"]}
        bad_value = await http.post("/threads/t/actions", json={**action, "value": "hack"})
        assert bad_value.status_code == 422
        assert "must be one of" in bad_value.text
        as_bob = await http.post("/threads/t/actions", json=action,
                                 headers={"X-User-Id": "bob"})
        assert as_bob.status_code == 403
        assert "Alice" in as_bob.text or "alice" in as_bob.text
        answered = await http.post("/threads/t/actions?wait=1", json=action)
        assert answered.status_code == 200
        again = await http.post("/threads/t/actions", json=action)
        assert again.status_code == 409
        final = await http.get(f"/threads/t/runs/{run['run_id']}/join")
        assert final.json()["messages"][-1]["content"] == "Ticket says: opened HD-7"
        busy = await http.post("/threads/t/runs", json={
            "input": {"messages": [{"role": "user", "content": "a ticket"}]}})
        rejected = await http.post("/threads/t/runs", json={
            **MESSAGE, "multitask_strategy": "reject"})
        assert rejected.status_code == 409
        await http.post(f"/threads/t/runs/{busy.json()['run_id']}/cancel?wait=1")
        # an interrupt: only the person whose run was interrupted may resume it
        waited = await http.post("/threads/t/runs/wait", json={
            "input": {"messages": [{"role": "user", "content": "deploy"}]}})
        assert waited.json()["__interrupt__"][0]["value"] == {"question": "Deploy to prod?"}
        as_bob = await http.post("/threads/t/runs", json={"command": {"resume": "yes"}},
                                 headers={"X-User-Id": "bob"})
        assert as_bob.status_code == 403
        assert as_bob.json() == {"error": "forbidden",
                                 "message": "only alice can answer this interrupt"}
        resumed = await http.post("/threads/t/runs/wait", json={"command": {"resume": "yes"}})
        assert resumed.status_code == 200
        assert resumed.json()["messages"][-1]["content"].endswith("You said yes.")
