"""Two bot processes on one SQLite file and on one Redis: a run started on replica B is
followed live from replica A with the real ``langgraph-sdk`` client (``runs.join_stream``),
read and listed there, answered or cancelled there; a client that reconnects to the other
replica with ``Last-Event-ID`` gets exactly the rest; a finished run replays the same on
both."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from web_helpers import ALICE, alice_sdk, helpdesk_bot, replica_here

REPLICA = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, sys.argv[1])
    from web_helpers import helpdesk_bot
    from botkit.store import store_from_url
    from botkit_web import WebAdapter, header_user

    async def main() -> None:
        store = store_from_url(sys.argv[2])
        adapter = WebAdapter(port=0, authenticate=header_user())
        bot = helpdesk_bot(adapter, store)
        await bot.start()
        print(adapter.url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        await bot.stop()
        await store.close()
    asyncio.run(main())
""")



@contextlib.asynccontextmanager
async def replica_process(url: str) -> AsyncIterator[str]:
    """Replica B: the helpdesk bot in its own process; yields its URL."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", REPLICA, str(Path(__file__).parent), url,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env={**os.environ})
    assert child.stdout is not None
    assert child.stdin is not None
    try:
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line.startswith(b"http"), f"replica B did not start: {line!r}"
        yield line.decode().strip()
    finally:
        child.stdin.close()
        try:
            await asyncio.wait_for(child.wait(), 30)
        except TimeoutError:
            child.kill()
            await child.wait()



async def test_a_run_on_replica_b_is_followed_live_from_replica_a(shared_url: str) -> None:
    async with replica_here(shared_url, helpdesk_bot) as a, replica_process(shared_url) as b_url, \
            contextlib.AsyncExitStack() as stack:
        assert a.url is not None
        tid = await a.create_thread("across", user=ALICE)
        on_a, on_b = await stack.enter_async_context(alice_sdk(a.url)), \
            await stack.enter_async_context(alice_sdk(b_url))
        run = await on_b.runs.create(tid, "helpdesk", input={
            "messages": [{"role": "user", "content": "a ticket, please"}]})
        rid = run["run_id"]
        assert a.engine.here(rid) is False  # it goes on in the other process
        seen: list[Any] = []
        async for part in on_a.runs.join_stream(tid, rid, stream_mode=["custom", "ag-ui"]):
            seen.append(part)
            if part.event == "custom" and part.data["value"]["controls"]:
                # the card came while the run waits for its answer: live, not replayed
                assert (await on_a.runs.get(tid, rid))["status"] == "running"
                assert [r["run_id"] for r in await on_a.runs.list(tid)] == [rid]
                card = part.data["value"]
                async with httpx.AsyncClient(base_url=a.url) as http:
                    clicked = await http.post(f"/threads/{tid}/actions", headers={
                        "X-User-Id": "alice"}, json={
                        "action_id": card["controls"][0]["action_id"],
                        "message_id": card["id"]})
                assert clicked.status_code == 200
        assert seen[-1].event == "end"
        assert seen[-1].data["status"] == "success"
        texts = [p.data.get("delta") for p in seen
                 if p.event == "ag-ui" and p.data["type"] == "TEXT_MESSAGE_CONTENT"]
        assert "Ticket says: opened HD-7" in "".join(t or "" for t in texts)
        numbered = [p for p in seen if p.event == "ag-ui"]
        assert numbered[0].data["type"] == "RUN_STARTED"
        assert numbered[-1].data["type"] == "RUN_FINISHED"
        # a client that saw part of it on A reconnects to B (the owner) with Last-Event-ID
        middle = numbered[len(numbered) // 2]
        rest = [p async for p in on_b.runs.join_stream(
            tid, rid, stream_mode="ag-ui", last_event_id=middle.id)]
        after = numbered[numbered.index(middle) + 1:]
        assert [(p.id, p.data) for p in rest if p.event == "ag-ui"] == \
            [(p.id, p.data) for p in after]
        # the finished run replays the same, with the same ids, from either replica
        replay_a = [(p.id, p.data) async for p in on_a.runs.join_stream(tid, rid)
                    if p.event == "ag-ui"]
        replay_b = [(p.id, p.data) async for p in on_b.runs.join_stream(tid, rid)
                    if p.event == "ag-ui"]
        assert replay_a == replay_b == [(p.id, p.data) for p in numbered]


async def test_every_follower_on_a_gets_each_event_once_through_one_mirror(
        shared_url: str) -> None:
    async with replica_here(shared_url, helpdesk_bot) as a, replica_process(shared_url) as b_url, \
            contextlib.AsyncExitStack() as stack:
        assert a.url is not None
        tid = await a.create_thread("fan-out", user=ALICE)
        on_b = await stack.enter_async_context(alice_sdk(b_url))
        run = await on_b.runs.create(tid, "helpdesk", input={
            "messages": [{"role": "user", "content": "a ticket"}]})
        followers = [await stack.enter_async_context(alice_sdk(a.url)) for _ in range(3)]

        async def follow(client: Any, answer: bool) -> list[tuple[str, Any]]:
            got = []
            async for part in client.runs.join_stream(tid, run["run_id"]):
                got.append((part.id, part.data))
                if answer and part.event == "ag-ui" and part.data["type"] == "CUSTOM" \
                        and part.data["value"]["controls"]:
                    await _click(b_url, tid, part.data["value"])  # answered on B
            return got
        results = await asyncio.wait_for(asyncio.gather(
            follow(followers[0], True), follow(followers[1], False),
            follow(followers[2], False)), 60)
        assert results[0] == results[1] == results[2]
        ids = [i for i, data in results[0] if isinstance(data, dict) and "type" in data]
        assert len(ids) == len(set(ids)) > 5
        assert results[0][-1][1]["status"] == "success"
        assert len(a.engine.feeds) == 1  # one mirror served all three


async def _click(url: str, tid: str, card: dict[str, Any]) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        clicked = await http.post(f"/threads/{tid}/actions", headers={"X-User-Id": "alice"},
                                  json={"action_id": card["controls"][0]["action_id"],
                                        "message_id": card["id"]})
    assert clicked.status_code == 200


async def test_a_run_on_replica_b_is_cancelled_from_replica_a(shared_url: str) -> None:
    async with replica_here(shared_url, helpdesk_bot) as a, replica_process(shared_url) as b_url, \
            contextlib.AsyncExitStack() as stack:
        assert a.url is not None
        tid = await a.create_thread("cancel-across", user=ALICE)
        on_a = await stack.enter_async_context(alice_sdk(a.url))
        on_b = await stack.enter_async_context(alice_sdk(b_url))
        run = await on_b.runs.create(tid, "helpdesk", input={
            "messages": [{"role": "user", "content": "a ticket"}]})
        rid = run["run_id"]
        seen: list[Any] = []
        async for part in on_a.runs.join_stream(tid, rid, stream_mode="custom"):
            seen.append(part)
            if part.event == "custom" and part.data["value"]["controls"]:
                await on_a.runs.cancel(tid, rid)  # the run waits on B for its answer
        assert seen[-1].event == "end"
        assert seen[-1].data["status"] == "cancelled"
        assert (await on_b.runs.get(tid, rid))["status"] == "cancelled"
        assert "owner" not in await on_a.runs.get(tid, rid)
        again = await on_a.runs.wait(tid, "helpdesk", input={
            "messages": [{"role": "user", "content": "hello"}]})
        assert again["messages"][-1]["content"] == "Hello hello, I am the helpdesk."
