"""History reads per turn: after a thread's first turn, each turn reads only what is new
(at most 2 Slack read calls), however long the thread has grown."""

from __future__ import annotations

from polling import until
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


def _replies_reads(h: object, since: int) -> int:
    return sum(1 for c in h.slack.calls[since:]  # type: ignore[attr-defined]
               if c.method == "conversations.replies")


async def test_a_new_socket_connection_reads_what_is_new_again() -> None:
    """Events can be missed while Socket Mode reconnects: after a new connection the next
    turn reads what is new from Slack instead of trusting the cache the events fed."""
    async with running("socket") as h:
        asked = await h.mention("hello number 0")
        thread = asked["ts"]
        await h.reply(thread, "reset your password")
        since = len(h.slack.calls)
        said = await h.mention("what did I say", thread_ts=thread)
        await h.reply(thread, "You first said: 'hello number 0'", after=said["ts"])
        assert _replies_reads(h, since) == 0  # fed by events
        before = set(h.slack.socket_connections)
        await h.slack.disconnect_sockets()  # "refresh_requested": the client connects anew
        await until(lambda: bool(set(h.slack.socket_connections) - before), "a new socket")
        since = len(h.slack.calls)
        said = await h.mention("what did I say", thread_ts=thread)
        await h.reply(thread, "You first said: 'hello number 0'", after=said["ts"])
        reads = h.slack.calls_to("conversations.replies")[-1:]
        assert _replies_reads(h, since) == 1
        assert reads[0].args.get("oldest")  # only what is new
