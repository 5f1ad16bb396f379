"""A bot process killed (SIGKILL) while two approvals wait, and a new one started with
``botkit run … --adapter slack --store sqlite:///…``: both clicks still work. The tool that
waited in ``await_choice`` is replayed, the interrupted run is resumed, each exactly once."""

from __future__ import annotations

from pathlib import Path

from scale_harness import (
    asked_by,
    emulator_config,
    press,
    ready,
    spawn,
    thread_bot_texts,
    wait_for_sockets,
    wait_reply,
)

from botkit_slack import metadata
from botkit_slack.emulator import SlackEmulator


async def test_approvals_survive_a_killed_bot_process(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'state.db'}"
    async with SlackEmulator(config=emulator_config()) as slack:
        at_bot = f"<@{slack.bot_user_id}>"
        first = await ready(await spawn(slack, "r1", store, tmp_path, cli=True))
        try:
            killed = await wait_for_sockets(slack)
            ticket = await slack.user_says("alice", f"{at_bot} open a ticket", slack.general)
            card = await wait_reply(slack, ticket["ts"], "Open a ticket")
            reset = await slack.user_says("alice", f"{at_bot} reset my password", slack.general)
            approval = await wait_reply(slack, reset["ts"], "Reset your password?")
            await slack.drain()
        finally:
            await first.kill()
        assert first.process.returncode == -9
        second = await ready(await spawn(slack, "r2", store, tmp_path, cli=True))
        try:
            await wait_for_sockets(slack, besides=killed)
            await press(slack, card, "Open it")
            done = await wait_reply(slack, ticket["ts"], "opened by replica")
            await press(slack, approval, "Approve")
            resumed = await wait_reply(slack, reset["ts"], "Password reset:")
            await slack.drain()
        finally:
            code = await second.stop()
        assert code == 0, second.logged()
        assert "Traceback" not in second.logged(), second.logged()
        assert (asked_by(card), asked_by(approval)) == ("r1", "r1")
        assert done["text"] == "Ticket 'printer' opened by replica r2."  # replayed by r2
        assert "✓ Open it (by Alice Example)" in str(slack.message(card["ts"])["blocks"])
        assert resumed["text"] == "Password reset: approved (resumed by replica r2)."
        records = [r for m in slack.messages(slack.general, ticket["ts"])
                   for r in metadata.decode(m.get("metadata"))[0]]
        results = [r for r in records if r.get("role") == "tool"]
        assert [r["content"] for r in results] == [done["text"]]  # the call closed once, in Slack
        texts = thread_bot_texts(slack, ticket["ts"]) + thread_bot_texts(slack, reset["ts"])
        assert sum("opened by" in t for t in texts) == 1
        assert sum("Password reset:" in t for t in texts) == 1
