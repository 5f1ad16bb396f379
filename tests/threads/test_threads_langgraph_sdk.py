"""The real ``langgraph-sdk`` Python client, unchanged, against a running bot's threads API."""

from __future__ import annotations

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.errors import ConflictError, NotFoundError
from threads_helpers import make_bot

from botkit.testing import FakeAdapter, running
from botkit.threads import APIToken, ThreadsAPIConfig


async def test_the_langgraph_sdk_threads_client_works_unchanged() -> None:
    fake = FakeAdapter()
    config = ThreadsAPIConfig(port=0, tokens=(APIToken(token="k", scopes=frozenset({"admin"})),))
    bot = make_bot(fake, threads_api=config)
    async with running(bot), get_client(url=str(bot.threads_api_url), api_key="k") as client:
        await fake.emit_mention("file a ticket")  # a platform thread with a run

        thread = await client.threads.create(metadata={"team": "it"}, graph_id="agent")
        tid = thread["thread_id"]
        assert (thread["status"], thread["metadata"]) == ("idle", {"team": "it",
                                                                   "graph_id": "agent"})
        same = await client.threads.create(thread_id=tid, if_exists="do_nothing")
        assert same["thread_id"] == tid
        with pytest.raises(ConflictError):
            await client.threads.create(thread_id=tid, if_exists="raise")
        seeded = await client.threads.create(supersteps=[
            {"updates": [{"values": {"messages": [{"type": "human", "content": "hello"}]},
                          "as_node": "__start__"}]}])
        assert seeded["values"]["messages"][0]["content"] == "hello"

        assert (await client.threads.get(tid))["metadata"]["team"] == "it"
        updated = await client.threads.update(tid, metadata={"team": "ops"})
        assert updated["metadata"]["team"] == "ops"
        found = await client.threads.search(metadata={"team": "ops"})
        assert [t["thread_id"] for t in found] == [tid]
        by_id = await client.threads.search(sort_by="thread_id", sort_order="asc", limit=5)
        assert [t["thread_id"] for t in by_id] == sorted(
            ["C1:t1", tid, seeded["thread_id"]])
        assert await client.threads.count(status="idle") == 3
        assert await client.threads.count(metadata={"team": "ops"}) == 1

        state = await client.threads.get_state("C1:t1")
        assert state["metadata"]["source"] == "loop"
        assert state["checkpoint"]["checkpoint_id"]
        written = await client.threads.update_state(tid, {"note": "hi"}, as_node="operator")
        point = written["checkpoint"]
        again = await client.threads.get_state(tid, checkpoint_id=point["checkpoint_id"])
        assert again["values"] == {"note": "hi"}
        assert again["metadata"]["as_node"] == "operator"
        await client.threads.update_state(tid, {"more": 1})
        history = await client.threads.get_history(tid, limit=5)
        assert [h["values"] for h in history] == [{"note": "hi", "more": 1}, {"note": "hi"}]
        older = await client.threads.get_history(tid, before=history[0]["checkpoint"])
        assert [h["checkpoint"] for h in older] == [point]
        at = await client.threads.get_state(tid, checkpoint=point)
        assert at["values"] == {"note": "hi"}

        copied = await client.threads.copy(tid)
        assert (await client.threads.get_state(copied["thread_id"]))["values"] == {
            "note": "hi", "more": 1}
        await client.threads.delete(tid)
        with pytest.raises(NotFoundError):
            await client.threads.get(tid)
