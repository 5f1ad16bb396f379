"""Files people attach, Socket Mode reconnects, the URL handshake, assistant threads,
reactions, quick replies, and pacing that keeps a burst of streams under Slack's limits."""

from __future__ import annotations

from typing import Any

from slack_adapter_harness import running
from slack_sdk.web.async_client import AsyncWebClient
from test_slack_adapter_helpdesk import spy_on

from botkit.types import Conversation, MessageRef
from botkit_slack.emulator import EmulatorConfig

GREETING_END = 'reset your password ("reset my password").'


async def test_a_file_in_a_user_message_reaches_the_agent_as_content() -> None:
    async with running("socket") as h:
        spy = spy_on(h)
        person = AsyncWebClient(token=h.slack.user_token("alice"), base_url=h.slack.base_url)
        await person.files_upload_v2(channel=h.slack.general, content=b"model: LaserJet 4",
                                     filename="printer.txt",
                                     initial_comment=h.at_bot("what did I say"))
        shared = await h.slack.wait_for_message(lambda m: m.get("subtype") == "file_share",
                                                from_bot=False)
        await h.reply(shared["ts"])
        user = [m for m in spy.inputs[-1].messages if m.role == "user"][-1]
        parts = user.model_dump(by_alias=True)["content"]
        assert parts[0]["text"] == "what did I say"
        assert "printer.txt" in parts[1]["text"]
        assert "model: LaserJet 4" in parts[1]["text"]


async def test_socket_mode_reconnects_after_a_refresh() -> None:
    async with running("socket") as h:
        first = h.slack.socket_connections
        await h.slack.disconnect_sockets("refresh_requested")
        live = await h.slack.wait_for_socket()
        assert live != first
        asked = await h.mention("hello after the refresh")
        await h.reply(asked["ts"], GREETING_END)


async def test_http_mode_answers_the_url_verification_handshake() -> None:
    async with running("http") as h:
        assert await h.slack.verify_url()


async def test_assistant_threads_get_prompts_and_the_extras_work() -> None:
    prompts = [("Broken printer", "my printer is broken"), ("Find someone", "who is bob")]
    async with running("socket", suggested_prompts=prompts) as h:
        channel, thread = await h.slack.start_assistant_thread("alice")
        await h.slack.wait_for_call("assistant.threads.setSuggestedPrompts")
        state = h.slack.assistant_state(channel, thread)
        assert [p["title"] for p in state["prompts"]["prompts"]] == ["Broken printer",
                                                                      "Find someone"]
        asked = await h.slack.user_says("alice", "who is bob", channel, thread)
        reply = await h.reply(thread, "Bob Example", channel=channel)
        conversation = Conversation(id=f"{channel}:{thread}", channel=channel, thread=thread,
                                    is_direct=True)
        await h.adapter.set_title(conversation, "Looking for Bob")
        await h.adapter.add_reaction(conversation, MessageRef(id=asked["ts"], channel=channel),
                                     ":eyes:")
        assert h.slack.assistant_state(channel, thread)["title"] == "Looking for Bob"
        assert h.slack.message(asked["ts"], channel)["reactions"][0]["name"] == "eyes"
        assert reply["thread_ts"] == thread


async def test_a_quick_reply_is_posted_once() -> None:
    async with running("socket", first_post_delay=2.0) as h:
        asked = await h.mention("hello")
        await h.reply(asked["ts"], GREETING_END)
        posts = [c for c in h.slack.calls if c.method.startswith("chat.")]
        assert [c.method for c in posts] == ["chat.postMessage"]


async def test_a_burst_of_streams_stays_under_the_rate_limits() -> None:
    config = EmulatorConfig.fast()  # Slack's tiers, enforced
    async with running("socket", config=config, streaming="edits") as h:
        channels = [h.slack.add_channel(f"team-{i}", members=["alice"]).id for i in range(12)]
        asks: list[dict[str, Any]] = [await h.mention("hello", channel=c) for c in channels]
        for channel, asked in zip(channels, asks, strict=True):
            reply = await h.reply(asked["ts"], GREETING_END, channel=channel, timeout=30)
            assert reply["text"].startswith("Hi! I'm the helpdesk bot.")
        assert [c.method for c in h.slack.calls if c.status == 429] == []
