"""Who may use a web thread: its owner and participants, on every route; safe defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from web_helpers import ALICE, as_user, first_card, helpdesk_bot, running_helpdesk, said

from botkit.errors import UserError
from botkit.store import SQLiteStore
from botkit_web import WebAdapter


def _not_found(response: httpx.Response, tid: str) -> None:
    assert response.status_code == 404, response.text
    assert response.json() == {"error": "not_found", "message": f"no thread {tid!r}"}


async def test_only_the_owner_and_participants_reach_a_thread(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = "alices"
        created = await http.post(f"/threads/{tid}/runs",
                                  json={**said("a ticket"), "if_not_exists": "create"},
                                  headers=as_user("alice"))
        assert created.status_code == 200, created.text
        run_id = created.json()["run_id"]
        run = await h.adapter.engine.log.get(tid, run_id)
        assert run is not None
        card = await first_card(h.adapter, run)
        carol = as_user("carol")
        base = f"/threads/{tid}/runs"
        requests: list[tuple[str, str, Any]] = [
            ("GET", base, None), ("GET", f"{base}/{run_id}", None),
            ("GET", f"{base}/{run_id}/join", None), ("GET", f"{base}/{run_id}/stream", None),
            ("POST", f"{base}/{run_id}/cancel", None), ("POST", base, said("hi")),
            ("POST", f"{base}/stream", said("hi")), ("POST", f"{base}/wait", said("hi")),
            ("POST", base, {"command": {"resume": "yes"}}),
            ("POST", f"/threads/{tid}/actions",
             {"action_id": card["controls"][0]["action_id"]}),
        ]
        for method, path, body in requests:
            _not_found(await http.request(method, path, json=body, headers=carol), tid)
        joined = await http.post("/agui", headers=carol, json={
            "threadId": tid, "runId": "r1", "state": {}, "tools": [], "context": [],
            "forwardedProps": {}, "messages": [{"id": "m1", "role": "user", "content": "hi"}]})
        _not_found(joined, tid)
        assert (await h.adapter.engine.log.get(tid, run_id)).status == "running"  # type: ignore[union-attr]
        texts = [m.text for m in await h.adapter.messages.all(tid)]
        assert "hi" not in texts  # nothing carol sent was stored
        # the owner is kept through runs (the thread record is rewritten by each run)
        assert await h.adapter.access.members(tid) == {"user_id": "alice", "participants": []}
        # a participant the owner adds may read and write
        await h.adapter.add_participants(tid, ["carol"])
        listed = await http.get(base, headers=carol)
        assert listed.status_code == 200
        assert [r["run_id"] for r in listed.json()] == [run_id]
        answered = await http.post(f"/threads/{tid}/actions?wait=1", headers=as_user("alice"),
                                   json={"action_id": card["controls"][0]["action_id"]})
        assert answered.status_code == 200


async def test_an_open_thread_records_who_joins(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("open")  # from Python, no owner
        for who in ("alice", "bob"):
            response = await http.post(f"/threads/{tid}/runs/wait", json=said("hello"),
                                       headers=as_user(who))
            assert response.status_code == 200
        members = await h.adapter.access.members(tid)
        assert members == {"user_id": None, "participants": ["alice", "bob"]}
        owned = await h.adapter.create_thread("owned", user=ALICE, participants=["bob"])
        assert (await http.get(f"/threads/{owned}/runs", headers=as_user("bob"))
                ).status_code == 200
        _not_found(await http.get(f"/threads/{owned}/runs", headers=as_user("eve")), owned)


def test_the_local_user_default_is_refused_on_a_network_host() -> None:
    with pytest.raises(UserError) as refused:
        WebAdapter(port=0, host="0.0.0.0")
    assert "authenticate=" in str(refused.value)
    assert "allow_local_user=True" in str(refused.value)
    WebAdapter(port=0, host="0.0.0.0", allow_local_user=True)  # said explicitly
    WebAdapter(port=0, host="::1")
    WebAdapter(port=0, host="localhost")


def test_a_bad_authenticate_hook_is_refused_at_construction() -> None:
    with pytest.raises(UserError, match="must be a function"):
        WebAdapter(authenticate=42)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="one argument"):
        WebAdapter(authenticate=lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(UserError, match="keepalive"):
        WebAdapter(keepalive=0)


async def test_a_hook_returning_no_user_is_a_server_error_without_details(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    store = SQLiteStore(tmp_path / "hook.db")
    adapter = WebAdapter(port=0, authenticate=lambda request: {"id": "alice"})  # type: ignore[arg-type,return-value]
    bot = helpdesk_bot(adapter, store)
    await bot.start()
    try:
        async with httpx.AsyncClient(base_url=str(adapter.url)) as http:
            response = await http.get("/threads/t/runs")
        assert response.status_code == 500
        assert response.json()["message"] == "the server's sign-in hook is misconfigured"
        assert "returned dict, not a PlatformUser" in caplog.text
    finally:
        await bot.stop()
        await store.close()
