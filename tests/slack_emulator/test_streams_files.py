"""Native streaming (chat.*Stream) and the files_upload_v2 flow."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import FakeClock, SlackEmulator


async def test_sdk_chat_stream_round_trip(slack: SlackEmulator, client: AsyncWebClient):
    question = await slack.user_says("alice", "explain")
    stream = await client.chat_stream(
        channel=slack.general,
        thread_ts=question["ts"],
        recipient_team_id=slack.team_id,
        recipient_user_id="U0EMUALICE",
        buffer_size=10,
    )
    await stream.append(markdown_text="Hello, ")
    await stream.append(markdown_text="streaming world! ")
    await stream.append(markdown_text="Bye.")
    meta = {"event_type": "answer", "event_payload": {"q": question["ts"]}}
    done = await stream.stop(blocks=[{"type": "divider"}], metadata=meta)
    assert done["message"]["text"] == "Hello, streaming world! Bye."
    assert done["message"]["streaming_state"] == "completed"
    assert done["message"]["blocks"] == [{"type": "divider"}]
    methods = [c.method for c in slack.calls]
    assert methods[0] == "chat.startStream"
    assert methods[-1] == "chat.stopStream"
    assert "chunks" in slack.calls[0].args  # slack_sdk >= 3.40 streams chunks
    thread = await client.conversations_replies(
        channel=slack.general, ts=question["ts"], include_all_metadata=True
    )
    assert thread["messages"][1]["metadata"] == meta


async def dm_thread(slack: SlackEmulator) -> tuple[str, str]:
    dm = slack.open_dm("alice")
    question = await slack.user_says("alice", "question", channel=dm)
    return dm, question["ts"]


async def test_stream_with_markdown_text_and_chunks(slack: SlackEmulator, client: AsyncWebClient):
    dm, thread = await dm_thread(slack)
    started = await client.chat_startStream(channel=dm, thread_ts=thread, markdown_text="A")
    ts = started["ts"]
    assert slack.message(ts)["streaming_state"] == "in_progress"
    await client.chat_appendStream(channel=dm, ts=ts, markdown_text="B")
    await client.chat_appendStream(
        channel=dm,
        ts=ts,
        chunks=[
            {"type": "markdown_text", "text": "C"},
            {"type": "task_update", "id": "t1", "title": "Search", "status": "complete"},
        ],
    )
    with pytest.raises(SlackApiError) as bad:
        await client.chat_appendStream(channel=dm, ts=ts, chunks=[{"type": "nope"}])
    assert bad.value.response["error"] == "invalid_chunks"
    stopped = await client.chat_stopStream(channel=dm, ts=ts)
    assert stopped["message"]["text"] == "ABC"
    with pytest.raises(SlackApiError) as after:
        await client.chat_appendStream(channel=dm, ts=ts, markdown_text="D")
    assert after.value.response["error"] == "message_not_in_streaming_state"


async def test_stream_expires_then_chat_update_recovers(
    slack: SlackEmulator, client: AsyncWebClient, clock: FakeClock
):
    dm, thread = await dm_thread(slack)
    ts = (await client.chat_startStream(channel=dm, thread_ts=thread, markdown_text="partial"))[
        "ts"
    ]
    with pytest.raises(SlackApiError) as live:
        await client.chat_update(channel=dm, ts=ts, text="too early")
    assert live.value.response["error"] == "streaming_state_conflict"
    clock.advance(slack.config.stream_ttl + 1)
    for call in (
        client.chat_appendStream(channel=dm, ts=ts, markdown_text="more"),
        client.chat_stopStream(channel=dm, ts=ts),
    ):
        with pytest.raises(SlackApiError) as expired:
            await call
        assert expired.value.response["error"] == "message_not_in_streaming_state"
    fixed = await client.chat_update(channel=dm, ts=ts, text="partial, then the rest")
    assert fixed["message"]["text"] == "partial, then the rest"
    assert "streaming_state" not in fixed["message"]


async def test_stream_errors(slack: SlackEmulator, client: AsyncWebClient):
    parent = await slack.user_says("alice", "in a channel")
    with pytest.raises(SlackApiError) as team:
        await client.chat_startStream(channel=slack.general, thread_ts=parent["ts"])
    assert team.value.response["error"] == "missing_recipient_team_id"
    with pytest.raises(SlackApiError) as user:
        await client.chat_startStream(
            channel=slack.general, thread_ts=parent["ts"], recipient_team_id=slack.team_id
        )
    assert user.value.response["error"] == "missing_recipient_user_id"
    dm, thread = await dm_thread(slack)
    ts = (await client.chat_startStream(channel=dm, thread_ts=thread, markdown_text="mine"))["ts"]
    other = slack.add_bot("otherbot")
    slack.workspace.channels[dm].members.add(other.bot_user_id)
    intruder = AsyncWebClient(token=other.token, base_url=slack.base_url)
    with pytest.raises(SlackApiError) as owned:
        await intruder.chat_appendStream(channel=dm, ts=ts, markdown_text="!")
    assert owned.value.response["error"] == "message_not_owned_by_app"
    with pytest.raises(SlackApiError) as long:
        await client.chat_appendStream(channel=dm, ts=ts, markdown_text="x" * 12_001)
    assert long.value.response["error"] == "msg_too_long"
    with pytest.raises(SlackApiError) as many:
        await client.chat_stopStream(channel=dm, ts=ts, blocks=[{"type": "divider"}] * 51)
    assert many.value.response["error"] == "msg_blocks_too_many"


async def test_files_upload_v2_round_trip_into_a_thread(
    slack: SlackEmulator, client: AsyncWebClient
):
    parent = await slack.user_says("alice", "send me the report")
    done = await client.files_upload_v2(
        channel=slack.general,
        thread_ts=parent["ts"],
        content=b"col1,col2\n1,2\n",
        filename="report.csv",
        title="Report",
        initial_comment="here you go",
    )
    file = done["file"]
    assert file["name"] == "report.csv"
    assert file["title"] == "Report"
    assert file["size"] == 14
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]
    assert slack.calls[0].args["length"] == "14"
    share = await slack.wait_for_message(thread_ts=parent["ts"], from_bot=True)
    assert share["subtype"] == "file_share"
    assert share["text"] == "here you go"
    assert share["files"][0]["id"] == file["id"]
    assert file["shares"]["public"][slack.general][0]["ts"] == share["ts"]
    async with aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {slack.bot_token}"}
        async with http.get(file["url_private"], headers=headers) as response:
            assert await response.read() == b"col1,col2\n1,2\n"
    info = await client.files_info(file=file["id"])
    assert info["file"]["id"] == file["id"]


async def test_sync_files_upload_v2_and_file_not_found(
    slack: SlackEmulator, client: AsyncWebClient
):
    sync = WebClient(token=slack.bot_token, base_url=slack.base_url)
    done = await asyncio.to_thread(
        sync.files_upload_v2, channel=slack.general, content="plain text", filename="note.txt"
    )
    assert done["files"][0]["name"] == "note.txt"
    pending = await client.files_getUploadURLExternal(filename="never.bin", length=3)
    with pytest.raises(SlackApiError) as exc:
        await client.files_completeUploadExternal(
            files=[{"id": pending["file_id"]}], channel_id=slack.general
        )
    assert exc.value.response["error"] == "file_not_found"
    with pytest.raises(SlackApiError) as outside:
        await client.files_upload_v2(channel="C0EMURANDM", content=b"x", filename="x.txt")
    assert outside.value.response["error"] == "not_in_channel"
