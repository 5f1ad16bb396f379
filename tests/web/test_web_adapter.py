"""The web adapter from Python: stored messages, history rebuilt from them, the runs."""

from __future__ import annotations

import re
from pathlib import Path

import ag_ui.core as agui
from web_helpers import ALICE, BOB, running_helpdesk

from botkit import ui
from botkit_web import WebMessage
from botkit_web.keys import message_key


async def test_history_lives_in_the_store_and_survives_a_restart(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread("t-restart")
        run = await h.adapter.run(tid, "hi there", user=ALICE)
        assert run.status == "success"
    async with running_helpdesk(tmp_path) as h:  # a new process on the same SQLite file
        seen: list[list[str]] = []
        original = h.bot.agent.run  # type: ignore[union-attr]

        async def spy(run_input: agui.RunAgentInput):  # type: ignore[no-untyped-def]
            seen.append([str(m.content) for m in run_input.messages])
            async for event in original(run_input):
                yield event
        h.bot.agent.run = spy  # type: ignore[union-attr,method-assign]
        run = await h.adapter.run(tid, "and again", user=ALICE)
        assert run.status == "success"
        assert seen == [["hi there", "Hello hi there, I am the helpdesk.", "and again"]]
        stored = await h.adapter.messages.all(tid)
        assert [(m.author.id if m.author else None, m.text) for m in stored] == [
            ("alice", "hi there"), ("web-bot", "Hello hi there, I am the helpdesk."),
            ("alice", "and again"), ("web-bot", "Hello and again, I am the helpdesk.")]


async def test_a_run_streams_ag_ui_events_and_records_tool_calls(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread()
        run = await h.adapter.send(tid, "open a ticket please", user=ALICE)
        events: list[agui.BaseEvent] = []
        async for event in h.adapter.follow(run):
            events.append(event)
            if isinstance(event, agui.CustomEvent) and event.value["controls"]:
                card = WebMessage.from_json(event.value)
                assert [c.label for c in card.controls] == ["Open it", "Cancel"]
                await h.adapter.turns.act(tid, card.controls[0].action_id, user=ALICE)
        types = [e.type for e in events]
        assert types[0] == agui.EventType.RUN_STARTED
        assert types[-1] == agui.EventType.RUN_FINISHED
        start = types.index(agui.EventType.TOOL_CALL_START)
        assert types[start:].index(agui.EventType.TOOL_CALL_ARGS) > 0
        result = next(e for e in events if isinstance(e, agui.ToolCallResultEvent))
        assert "opened HD-7" in result.content
        text = "".join(e.delta for e in events if isinstance(e, agui.TextMessageContentEvent))
        assert "Ticket says: opened HD-7" in text
        final = await h.adapter.engine.wait(run)
        assert final.status == "success"
        stored = await h.adapter.messages.all(tid)
        records = [r for m in stored for r in m.agent_messages]
        assert [r["role"] for r in records] == ["assistant", "tool"]
        assert any(m.text.startswith("Open a ticket") and not m.controls for m in stored), \
            "the answered card is closed"


async def test_capabilities_files_users_and_ephemeral_messages(tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path, users=[BOB]) as h:
        tid = await h.adapter.create_thread("caps")
        await h.adapter.run(tid, "hello", user=ALICE)
        thread = h.bot.thread("web", h.adapter.conversation(tid))
        assert await thread.lookup_user("ali") == ALICE  # wrote in a web thread
        assert await thread.lookup_user("bob") == BOB  # from the directory
        result = await thread.post_file(b"a,b\n1,2\n", "report.csv", title="Report")
        assert result.ok
        assert result.file_id
        await thread.post_ephemeral(BOB, ui.Message("only for bob"))
        big = await thread.post_file(b"x" * (h.adapter.max_file_bytes + 1), "big.bin")
        assert not big.ok
        assert "bytes" in (big.error or "")
        everyone = await h.adapter.messages.all(tid)
        assert [m.text for m in everyone][-1] == "[file: Report]"
        stored_file = everyone[-1].files[0]
        assert stored_file.data is None  # the bytes live under their own key
        raw = await h.bot.store.get(message_key(tid, everyone[-1].id))
        assert "YSxiCjEsMgo" not in str(raw)  # no base64 of the file inside the message record
        assert await h.adapter.messages.file(tid, stored_file.id) == b"a,b\n1,2\n"
        loaded = await h.adapter.messages.all(tid, with_files=True)
        assert loaded[-1].files[0].data == b"a,b\n1,2\n"
        mine = await h.adapter.messages.all(tid, viewer="bob")
        assert mine[-1].text == "only for bob"
        assert mine[-1].visible_to == "bob"
        history = await thread.get_messages()
        assert history[-2].attachments[0].name == "report.csv"


async def test_an_agent_failure_ends_the_run_in_error_and_the_next_run_works(
        tmp_path: Path) -> None:
    async with running_helpdesk(tmp_path) as h:
        tid = await h.adapter.create_thread("failing")
        run = await h.adapter.send(tid, "crash now", user=ALICE)
        events = [e async for e in h.adapter.follow(run)]
        assert isinstance(events[-1], agui.RunErrorEvent)
        assert re.fullmatch(r"the agent run failed \(error [0-9a-f]{8}\)", events[-1].message)
        failed = await h.adapter.engine.wait(run)
        assert failed.status == "error"
        assert failed.error == events[-1].message  # an opaque reference, details in the log
        notices = [m.text for m in await h.adapter.messages.all(tid) if m.is_status]
        assert any("model overloaded" in n for n in notices)
        assert (await h.adapter.run(tid, "hi", user=BOB)).status == "success"
