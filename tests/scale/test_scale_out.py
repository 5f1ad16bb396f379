"""Three bot processes sharing Redis act as one bot on one Slack (the emulator): over Socket
Mode (the emulator spreads envelopes over their connections) and over HTTP (a round-robin
proxy spreads deliveries over their request URLs). Every message is answered exactly once,
and approvals posted by one replica are resumed by a click delivered to another."""

from __future__ import annotations

from pathlib import Path

import pytest
from scale_harness import (
    Replica,
    RoundRobinProxy,
    asked_by,
    emulator_config,
    press,
    ready,
    spawn,
    start_socket_replicas,
    thread_bot_texts,
    wait_reply,
)

from botkit_slack.emulator import SlackEmulator

CONVERSATIONS = 24


async def deliveries_of(slack: SlackEmulator, proxy: RoundRobinProxy | None,
                        replicas: list[Replica]) -> list[tuple[str, str]]:
    """(the person's message ts, the replica it was delivered to) for every event."""
    await slack.drain()
    if proxy is not None:
        by_id = {d.event_id: d for d in slack.deliveries if d.kind == "event"}
        return [(by_id[what.split()[1]].payload["event"].get("ts", ""), replicas[target].name)
                for what, target in proxy.log if what.startswith("event ")
                and what.split()[1] in by_id]
    names = {r.connection: r.name for r in replicas}
    return [(d.payload["event"].get("ts", ""), names[d.headers["connection"]])
            for d in slack.deliveries if d.kind == "events_api" and d.headers.get("connection")]


def store_url(redis_url: str, prefix: str) -> str:
    return f"{redis_url}{'&' if '?' in redis_url else '?'}prefix={prefix}"


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_three_replicas_on_redis_act_as_one_bot(
    mode: str, redis_url: str, redis_prefix: str, tmp_path: Path,
) -> None:
    store = store_url(redis_url, redis_prefix)
    async with SlackEmulator(config=emulator_config()) as slack:
        at_bot = f"<@{slack.bot_user_id}>"
        proxy: RoundRobinProxy | None = None
        replicas: list[Replica] = []
        try:
            if mode == "socket":
                replicas = await start_socket_replicas(slack, ["r1", "r2", "r3"], store, tmp_path)
            else:
                for name in ("r1", "r2", "r3"):
                    replicas.append(await spawn(slack, name, store, tmp_path, http=True))
                for replica in replicas:
                    await ready(replica)
                proxy = await RoundRobinProxy([str(r.url) for r in replicas]).start()
                slack.events_to(proxy.url)

            def route_click_to(replica: Replica) -> None:
                if proxy is not None:
                    proxy.route_next_click(replicas.index(replica))
                else:
                    slack.route_next(str(replica.connection))

            def clicked_at(delivery_connection: str | None) -> str:
                if proxy is not None:
                    clicks = [target for what, target in proxy.log if what.startswith("click")]
                    return replicas[clicks[-1]].name
                return next(r.name for r in replicas if r.connection == delivery_connection)

            # many conversations at once: each answered once, by whichever replica
            asked = [await slack.user_says("alice", f"{at_bot} ping {i}", slack.general)
                     for i in range(CONVERSATIONS)]
            replies = [await wait_reply(slack, m["ts"], "pong from") for m in asked]
            answered_by = {r["text"].split()[-1] for r in replies}
            connections = {d.headers.get("connection") for d in slack.deliveries}
            pings = {m["ts"] for m in asked}
            reached: dict[str, set[str]] = {}  # a person's message -> the replicas it reached
            for d in await deliveries_of(slack, proxy, replicas):
                if d[0] in pings:
                    reached.setdefault(d[0], set()).add(d[1])

            # a tool's await_choice on one replica, the click delivered to another
            ticket = await slack.user_says("alice", f"{at_bot} open a ticket", slack.general)
            card = await wait_reply(slack, ticket["ts"], "Open a ticket")
            owner = asked_by(card)
            route_click_to(next(r for r in replicas if r.name != owner))
            delivery = await press(slack, card, "Open it")
            ticket_clicker = clicked_at(delivery.headers.get("connection"))
            done = await wait_reply(slack, ticket["ts"], "opened by replica")

            # an interrupt on one replica, Approve (a module-level on_click) on another
            reset = await slack.user_says("alice", f"{at_bot} reset my password", slack.general)
            approval = await wait_reply(slack, reset["ts"], "Reset your password?")
            interrupted_on = asked_by(approval)
            route_click_to(next(r for r in replicas if r.name != interrupted_on))
            delivery = await press(slack, approval, "Approve")
            reset_clicker = clicked_at(delivery.headers.get("connection"))
            resumed = await wait_reply(slack, reset["ts"], "Password reset: approved")
            await slack.drain()
        finally:
            codes = [await r.stop() for r in replicas]  # graceful: in-flight work finishes
            if proxy is not None:
                await proxy.stop()
        logs = "\n".join(r.logged() for r in replicas)
        assert codes == [0, 0, 0], logs
        assert "Traceback" not in logs, logs
        if mode == "socket":
            assert len(connections - {None}) == 3  # the emulator spread envelopes over all three
        else:
            assert proxy is not None
            assert {target for _, target in proxy.log} == {0, 1, 2}
        assert len(answered_by) >= 2, answered_by
        # Slack sends `message` and `app_mention` for each: some reached two replicas
        assert any(len(names) == 2 for names in reached.values()), reached
        for message in asked:  # exactly once, now that every replica has finished its work
            assert len(thread_bot_texts(slack, message["ts"])) == 1, message["text"]

        assert ticket_clicker != owner
        assert done["text"] == f"Ticket 'printer' opened by replica {owner}."  # handed over
        closed = slack.message(card["ts"])
        assert "✓ Open it (by Alice Example)" in str(closed["blocks"])
        assert [t for t in thread_bot_texts(slack, ticket["ts"]) if "opened" in t] == [
            done["text"]]

        assert reset_clicker != interrupted_on
        assert resumed["text"] == f"Password reset: approved (resumed by replica {reset_clicker})."
        assert [t for t in thread_bot_texts(slack, reset["ts"]) if "Password" in t] == [
            resumed["text"]]
