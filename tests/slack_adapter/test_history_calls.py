"""History reads per turn: after a thread's first turn, each turn reads only what is new
(at most 2 Slack read calls), however long the thread has grown."""

from __future__ import annotations

from slack_adapter_harness import running

READS = frozenset({"conversations.replies", "conversations.history", "conversations.info",
                   "users.info", "users.list", "bots.info"})


async def test_each_turn_after_the_first_reads_at_most_two_slack_calls() -> None:
    async with running("socket") as h:
        asked = await h.mention("hello number 0")
        await h.reply(asked["ts"], "reset your password")
        thread = asked["ts"]
        for i in range(40):  # a long thread: people talking among themselves
            h.slack.add_message(h.slack.general, f"chatter {i}", user=("alice", "bob")[i % 2],
                                thread_ts=thread)
        per_turn = []
        for turn in range(5):
            since = len(h.slack.calls)
            said = await h.mention("what did I say", thread_ts=thread)
            await h.reply(thread, "You first said: 'hello number 0'", after=said["ts"])
            per_turn.append(sum(1 for c in h.slack.calls[since:] if c.method in READS))
            for i in range(10):  # the thread keeps growing between turns
                h.slack.add_message(h.slack.general, f"more {turn}.{i}", user="bob",
                                    thread_ts=thread)
        assert all(n <= 2 for n in per_turn), per_turn
        # what a later turn does read is only what is new
        assert all(c.args.get("oldest") for c in h.slack.calls_to("conversations.replies")[1:])
