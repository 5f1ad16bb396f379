"""The real ``langgraph-sdk`` client against a running botkit bot's web threads:
``runs.create / stream / wait / join_stream / get / list / cancel``, a choice answered over
HTTP, and an interrupt resumed with ``command={"resume": ...}``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from web_helpers import running_helpdesk


def _client(url: str, user: str) -> Any:
    return get_client(url=url, headers={"X-User-Id": user})


def _ai_texts(values: dict[str, Any]) -> list[str]:
    return [m["content"] for m in values["messages"] if m["type"] == "ai" and m["content"]]


async def test_a_conversation_with_a_tool_a_choice_and_an_interrupt(tmp_path: Path) -> None:
    # keepalive comments every 10 ms: the real client must read past them
    async with running_helpdesk(tmp_path, keepalive=0.01) as h, \
            _client(h.url, "alice") as alice, \
            _client(h.url, "bob") as bob:
        await _conversation(h.url, alice, bob, h.adapter)


async def _conversation(url: str, alice: Any, bob: Any, adapter: Any) -> None:
    tid = "conversation-1"
    parts: list[Any] = []
    statuses: dict[str, int] = {}
    async with httpx.AsyncClient(base_url=url) as http:
        async for part in alice.runs.stream(
                tid, "helpdesk", input={"messages": [{"role": "user",
                                                      "content": "open a ticket"}]},
                stream_mode=["messages-tuple", "custom", "values"],
                if_not_exists="create"):
            parts.append(part)
            if part.event == "custom" and part.data["value"]["controls"]:
                card = part.data["value"]
                action = {"action_id": card["controls"][0]["action_id"],
                          "message_id": card["id"]}
                for who in ("bob", "alice"):
                    answer = await http.post(f"/threads/{tid}/actions", json=action,
                                             headers={"X-User-Id": who})
                    statuses[who] = answer.status_code
    assert statuses == {"bob": 404, "alice": 200}  # alice's thread: bob is not in it
    events = [p.event for p in parts]
    assert events[0] == "metadata"
    assert events[-1] == "end"
    assert parts[-1].data["status"] == "success"
    streamed = "".join(p.data[0]["content"] for p in parts if p.event == "messages")
    assert "Ticket says: opened HD-7" in streamed
    final_values = [p.data for p in parts if p.event == "values"][-1]
    tool_calls = [m for m in final_values["messages"] if m["type"] == "ai"
                  and m.get("tool_calls")]
    assert tool_calls[0]["tool_calls"][0]["name"] == "create_ticket"
    assert tool_calls[0]["tool_calls"][0]["args"] == {"title": "Printer on fire"}

    await adapter.add_participants(tid, ["bob"])  # bob takes part, but the interrupt is alice's
    waited = await alice.runs.wait(tid, "helpdesk", input={
        "messages": [{"role": "user", "content": "deploy it"}]})
    assert waited["__interrupt__"][0]["value"] == {"question": "Deploy to prod?"}
    with pytest.raises(httpx.HTTPStatusError) as refused:
        await bob.runs.wait(tid, "helpdesk", command={"resume": "yes"})
    assert refused.value.response.status_code == 403
    resumed = await alice.runs.wait(tid, "helpdesk", command={"resume": "yes"})
    assert _ai_texts(resumed)[-1].endswith("You said yes.")
    assert "__interrupt__" not in resumed
    runs = await alice.runs.list(tid)
    assert [(r["kind"], r["status"]) for r in runs] == [
        ("resume", "success"), ("message", "interrupted"), ("action", "success"),
        ("message", "success")]


async def test_create_get_join_stream_and_cancel(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, _client(h.url, "alice") as client:
        await _join_and_cancel(client, await h.adapter.create_thread("joinable"))


async def _join_and_cancel(client: Any, tid: str) -> None:
    run = await client.runs.create(tid, "helpdesk", input={
        "messages": [{"role": "user", "content": "a ticket, please"}]})
    assert run["thread_id"] == tid
    assert run["status"] in ("pending", "running")
    joined: list[Any] = []
    async for part in client.runs.join_stream(tid, run["run_id"], stream_mode="custom"):
        joined.append(part)
        if part.event == "custom" and part.data["value"]["controls"]:
            got = await client.runs.get(tid, run["run_id"])
            assert got["status"] == "running"  # waiting for the choice
            await client.runs.cancel(tid, run["run_id"])
    assert joined[-1].event == "end"
    assert joined[-1].data["status"] == "cancelled"
    got = await client.runs.get(tid, run["run_id"])
    assert got["status"] == "cancelled"
    assert got["cancel_reason"] == "cancelled"
    # joining a finished run replays it; Last-Event-ID skips what was seen
    replay = [p async for p in client.runs.join_stream(tid, run["run_id"])]
    numbered = [p for p in replay if p.event == "ag-ui"]
    assert numbered[0].data["type"] == "RUN_STARTED"
    assert numbered[-1].data["type"] == "RUN_FINISHED"
    tail = [p async for p in client.runs.join_stream(
        tid, run["run_id"], last_event_id=numbered[-2].id)]
    assert [p.data["type"] for p in tail if p.event == "ag-ui"] == ["RUN_FINISHED"]
    # the next message runs normally after a cancelled run
    values = await client.runs.wait(tid, "helpdesk", input={
        "messages": [{"role": "user", "content": "hello"}]})
    assert _ai_texts(values)[-1] == "Hello hello, I am the helpdesk."
