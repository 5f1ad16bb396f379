"""A bot serving the threads API serves its web routes on the same server: the real
``langgraph-sdk`` creates a thread and streams a run on one port, behind the API's tokens
(a user-bound token is that web user; an unbound one lets ``authenticate`` say who)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from web_helpers import helpdesk_bot

from botkit import APIToken, ThreadsAPIConfig
from botkit.store import SQLiteStore
from botkit_web import WebAdapter, header_user

TOKENS = (APIToken(token="alice-token", user_id="alice"),
          APIToken(token="bob-token", user_id="bob"),
          APIToken(token="reader-token", scopes=frozenset({"read"}), user_id="alice"))


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Any]:
    adapter = WebAdapter(authenticate=header_user())  # no port of its own
    store = SQLiteStore(tmp_path / "one-port.db")
    bot = helpdesk_bot(adapter, store)
    bot.threads_api = ThreadsAPIConfig(port=0, token="admin-token", tokens=TOKENS)
    await bot.start()
    try:
        yield bot, adapter
    finally:
        await bot.stop()
        await store.close()


async def test_threads_create_then_runs_stream_on_one_port(served: Any) -> None:
    bot, adapter = served
    url = bot.threads_api_url
    assert adapter.mounted
    assert adapter.url is None
    async with get_client(url=url, api_key="alice-token") as alice:
        thread = await alice.threads.create(metadata={"topic": "printer"})
        tid = thread["thread_id"]
        parts = [p async for p in alice.runs.stream(
            tid, "helpdesk", input={"messages": [{"role": "user", "content": "hi"}]},
            stream_mode=["messages-tuple", "values"])]
        assert parts[-1].event == "end"
        assert parts[-1].data["status"] == "success"
        streamed = "".join(p.data[0]["content"] for p in parts if p.event == "messages")
        assert streamed == "Hello hi, I am the helpdesk."
        said = (await adapter.messages.all(tid))[0]
        assert (said.text, said.author.id) == ("hi", "alice")  # the token's user
        assert (await bot.threads.get(tid)).user_id == "alice"
        (run,) = await alice.runs.list(tid)
        assert run["status"] == "success"
        seen = await alice.threads.get(tid)  # the threads API sees the run's thread
        assert seen["metadata"]["topic"] == "printer"
        assert seen["status"] == "idle"
        assert len(await alice.threads.get_history(tid)) >= 1  # the run's checkpoint


async def test_tokens_and_authenticate_combine(served: Any) -> None:
    bot, _ = served
    body = {"input": {"messages": [{"role": "user", "content": "hi"}]}}
    async with httpx.AsyncClient(base_url=bot.threads_api_url) as http:
        made = await http.post("/threads", json={}, headers={"X-Api-Key": "alice-token"})
        tid = made.json()["thread_id"]
        runs = f"/threads/{tid}/runs/wait"
        assert (await http.post(runs, json=body)).status_code == 401
        read_only = await http.post(runs, json=body,
                                    headers={"Authorization": "Bearer reader-token"})
        assert read_only.status_code == 403
        assert "write" in read_only.json()["message"]
        # bob's token is bob: alice's thread is not his
        assert (await http.post(runs, json=body, headers={"X-Api-Key": "bob-token"})
                ).status_code == 404
        # an unbound (admin) token is a trusted caller: authenticate says who the person is
        admin = {"Authorization": "Bearer admin-token"}
        assert (await http.post(runs, json=body, headers=admin)).status_code == 401
        as_alice = await http.post(runs, json=body, headers={**admin, "X-User-Id": "alice"})
        assert as_alice.status_code == 200, as_alice.text
        assert (await http.get(f"/threads/{tid}/runs", headers={"X-Api-Key": "reader-token"})
                ).status_code == 200
        # AG-UI on the same port
        agui = await http.post("/agui", headers={"X-Api-Key": "alice-token"}, json={
            "threadId": tid, "runId": "r-agui", "state": {}, "tools": [], "context": [],
            "forwardedProps": {}, "messages": [{"id": "m1", "role": "user", "content": "hey"}]})
        assert agui.status_code == 200
        assert "RUN_FINISHED" in agui.text
        doc = (await http.get("/openapi.json")).json()
        assert {"/threads", "/threads/{thread_id}/runs/stream", "/agui"} <= set(doc["paths"])


async def test_without_the_threads_api_nothing_is_mounted(tmp_path: Path) -> None:
    adapter = WebAdapter(port=0)
    store = SQLiteStore(tmp_path / "alone.db")
    bot = helpdesk_bot(adapter, store)
    await bot.start()
    try:
        assert not adapter.mounted
        assert bot.threads.route_groups == []
        assert adapter.url is not None
    finally:
        await bot.stop()
        await store.close()


async def test_state_and_history_carry_the_conversation_as_langgraph_clients_read_it(
        served: Any) -> None:
    """LangGraph's clients read a thread's conversation from ``values.messages`` of its
    state and of each checkpoint in its history (``useStream`` shows
    ``history[0].values.messages``): there it is, up to each checkpoint."""
    bot, _ = served
    async with get_client(url=bot.threads_api_url, api_key="alice-token") as alice:
        tid = (await alice.threads.create())["thread_id"]
        for said in ("hi", "hello again"):
            await alice.runs.wait(tid, "helpdesk", input={
                "messages": [{"role": "user", "content": said}]})
        state = await alice.threads.get_state(tid)
        talk = [(m["type"], m["content"]) for m in state["values"]["messages"]]
        assert talk == [("human", "hi"), ("ai", "Hello hi, I am the helpdesk."),
                        ("human", "hello again"),
                        ("ai", "Hello hello again, I am the helpdesk.")]
        history = await alice.threads.get_history(tid)
        assert history[0]["values"]["messages"] == state["values"]["messages"]
        second = history[0]["metadata"]["run_id"]  # the newest checkpoint of the first run:
        first_run = next(h for h in history if h["metadata"]["run_id"] != second)
        assert [m["content"] for m in first_run["values"]["messages"]] == [
            "hi", "Hello hi, I am the helpdesk."]
        picked = await alice.threads.get_state(tid, checkpoint_id=first_run["checkpoint_id"])
        assert picked["values"]["messages"] == first_run["values"]["messages"]
        await alice.threads.update_state(tid, {"messages": ["the agent's own"]})
        own = await alice.threads.get_state(tid)  # an agent state's own messages win
        assert own["values"]["messages"] == ["the agent's own"]
