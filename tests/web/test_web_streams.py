"""Streams: finished runs replayed from the store, per-viewer ephemeral messages, strict
Last-Event-ID, one id per SSE part, keepalives, LangGraph's messages mode, on_disconnect,
AG-UI state."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import ag_ui.core as agui
import httpx
import pytest
from langgraph_sdk import get_client
from web_helpers import ALICE, as_user, first_card, running_helpdesk, said

from botkit import ContextEntry, create_bot, ui
from botkit.store import SQLiteStore
from botkit_web import WebAdapter, header_user


def _events(body: str) -> list[dict[str, Any]]:
    """SSE frames as dicts (``id``, ``event``, ``data``), comments as ``{"comment": …}``."""
    frames = []
    for block in body.split("\n\n"):
        frame: dict[str, Any] = {}
        for line in block.splitlines():
            if line.startswith(":"):
                frame["comment"] = line[1:].strip()
            elif ": " in line:
                name, value = line.split(": ", 1)
                frame[name] = json.loads(value) if name == "data" else value
        if frame:
            frames.append(frame)
    return frames


def _input(text: str) -> Any:
    from botkit_web import UserInput
    return UserInput(text=text)


async def test_a_finished_run_replays_from_the_store_then_only_its_values(
        tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("old", user=ALICE)
        h.adapter.engine.feeds.keep = 1
        h.adapter.engine.log.keep_relayed = 2
        first = await h.adapter.run(tid, "hello", user=ALICE)
        await h.adapter.run(tid, "hello again", user=ALICE)
        assert h.adapter.engine.feeds.get(first.run_id) is None
        path, alice = f"/threads/{tid}/runs/{first.run_id}/stream", as_user("alice")
        replayed = _events((await http.get(path, headers=alice)).text)
        kinds = [f["data"]["type"] for f in replayed if f.get("event") == "ag-ui"]
        assert kinds[0] == "RUN_STARTED"
        assert kinds[-1] == "RUN_FINISHED"
        assert "TEXT_MESSAGE_CONTENT" in kinds
        assert replayed[-1]["data"]["status"] == "success"
        await h.adapter.run(tid, "and a third", user=ALICE)  # the first's events go
        h.adapter.engine.feeds.drop(first.run_id)
        joined = await http.get(path, params={"stream_mode": "values"}, headers=alice)
        assert joined.status_code == 200
        frames = _events(joined.text)
        assert [f["event"] for f in frames] == ["metadata", "values", "end"]
        assert frames[-1]["data"]["status"] == "success"


async def test_ephemeral_messages_reach_only_their_person(tmp_path: Path) -> None:
    adapter = WebAdapter(port=0, authenticate=header_user())
    store = SQLiteStore(tmp_path / "whispers.db")
    bot = create_bot(adapters=[adapter], store=store, name="whisperer")

    @bot.on_mention
    async def whisper(ctx: Any) -> None:
        await ctx.thread.post_ephemeral(ctx.user, ui.Message("secret for you"))
        await ctx.thread.post("for everyone")
        await ctx.thread.await_choice(ui.Message(ui.Actions(ui.Button("ok", value=1))),
                                      timeout=30)
    await bot.start()
    try:
        async with httpx.AsyncClient(base_url=str(adapter.url)) as http:
            tid = await adapter.create_thread("whispers", user=ALICE, participants=["bob"])
            run = await adapter.turns.send(tid, [_input("psst")], user=ALICE)
            card = await first_card(adapter, run)

            async def seen_by(who: str) -> str:
                async with http.stream("GET", f"/threads/{tid}/runs/{run.run_id}/stream",
                                       params={"stream_mode": "custom"},
                                       headers=as_user(who)) as response:
                    return (await asyncio.wait_for(response.aread(), 20)).decode()
            views = asyncio.gather(seen_by("alice"), seen_by("bob"))
            await adapter.turns.act(tid, card["controls"][0]["action_id"], user=ALICE)
            alice_view, bob_view = await views
            assert "secret for you" in alice_view
            assert "for everyone" in alice_view
            assert "secret for you" not in bob_view
            assert "for everyone" in bob_view
            bobs = [e async for e in adapter.follow(run, viewer="bob")]
            assert "secret for you" not in str(bobs)
    finally:
        await bot.stop()
        await store.close()


@pytest.mark.parametrize("last", ["²", "1.x", "-1", "12345678901234"])
async def test_a_bad_last_event_id_is_a_422(tmp_path: Path, last: str) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("ids", user=ALICE)
        run = await h.adapter.run(tid, "hello", user=ALICE)
        response = await http.get(f"/threads/{tid}/runs/{run.run_id}/stream",
                                  headers={"X-User-Id": b"alice",
                                           "Last-Event-ID": last.encode()})
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "Last-Event-ID"


async def test_every_part_has_its_own_id_and_a_resume_gets_exactly_the_rest(
        tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("parts", user=ALICE)
        run = await h.adapter.run(tid, "hello", user=ALICE)
        path = f"/threads/{tid}/runs/{run.run_id}/stream"
        modes = {"stream_mode": ["ag-ui", "events", "messages"]}
        whole = _events((await http.get(path, params=modes, headers=as_user("alice"))).text)
        ids = [f["id"] for f in whole if "id" in f]
        assert len(ids) == len(set(ids)) > 10
        middle = len(ids) // 2
        rest = _events((await http.get(path, params=modes, headers={
            **as_user("alice"), "Last-Event-ID": ids[middle]})).text)
        assert [f["id"] for f in rest if "id" in f] == ids[middle + 1:]


async def test_messages_mode_streams_partial_and_complete_messages(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, \
            get_client(url=h.url, headers=as_user("alice")) as client:
        parts = [p async for p in client.runs.stream(
            "lg", "helpdesk", input=said("hello")["input"], stream_mode="messages",
            if_not_exists="create")]
        names = [p.event for p in parts]
        assert "messages/metadata" in names
        partial = [p.data[0]["content"] for p in parts if p.event == "messages/partial"]
        assert partial[-1] == "Hello hello, I am the helpdesk."
        assert all(b.startswith(a) for a, b in itertools.pairwise(partial))
        complete = [p.data[0] for p in parts if p.event == "messages/complete"]
        assert complete[-1]["content"] == "Hello hello, I am the helpdesk."
        assert complete[-1]["type"] == "ai"


async def test_idle_streams_send_keepalive_comments(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path, keepalive=0.05) as h, \
            httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("idle", user=ALICE)
        run = await h.adapter.turns.send(tid, [_input("a ticket")], user=ALICE)
        card = await first_card(h.adapter, run)
        async with http.stream("GET", f"/threads/{tid}/runs/{run.run_id}/stream",
                               headers=as_user("alice")) as response:
            lines = response.aiter_lines()
            async for line in lines:
                if line.startswith(": keepalive"):
                    break
            await h.adapter.turns.act(tid, card["controls"][0]["action_id"], user=ALICE)
            rest = [line async for line in lines]
        assert any("RUN_FINISHED" in line for line in rest)


async def test_on_disconnect_cancel_cancels_the_run(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        tid = await h.adapter.create_thread("leaving", user=ALICE)
        body = {**said("a ticket"), "stream_mode": "custom", "on_disconnect": "cancel"}
        async with http.stream("POST", f"/threads/{tid}/runs/stream", json=body,
                               headers=as_user("alice")) as response:
            run_id = response.headers["Content-Location"].rsplit("/", 1)[-1]
            async for line in response.aiter_lines():
                if line.startswith("event: custom"):
                    break
        run = await h.adapter.engine.log.get(tid, run_id)
        assert run is not None
        final = await asyncio.wait_for(h.adapter.engine.wait(run), 20)
        assert final.status == "cancelled"
        bad = await http.post(f"/threads/{tid}/runs", headers=as_user("alice"),
                              json={**said("x"), "on_disconnect": "explode"})
        assert bad.status_code == 422
        assert "on_disconnect" in bad.text


async def test_ag_ui_state_and_context_reach_the_run(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h, httpx.AsyncClient(base_url=h.url) as http:
        seen: list[Any] = []

        @h.bot.on_mention
        async def spy(ctx: Any) -> None:
            seen.append(ctx.message)
        response = await http.post("/agui", headers=as_user("alice"), json={
            "threadId": "stateful", "runId": "r1", "state": {"cart": ["tea"]}, "tools": [],
            "context": [{"description": "page", "value": "/checkout"}],
            "forwardedProps": {}, "messages": [{"id": "m1", "role": "user", "content": "hi"}]})
        assert response.status_code == 200
        assert "RUN_FINISHED" in response.text
        assert (await h.bot.threads.read_state("stateful"))["cart"] == ["tea"]
        page = ContextEntry(description="page", value="/checkout")
        assert seen[-1].context == (page,)
        assert seen[-1].raw["agui"] == {"forwarded_props": {}}
        # the agent got it in RunAgentInput.context, without the handler passing it on
        sent = h.bot.agent.inputs[-1].context  # type: ignore[union-attr]
        assert agui.Context(description="page", value="/checkout") in sent
