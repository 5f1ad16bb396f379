"""Platform history → agent messages: the rules that live once in botkit.history."""

from __future__ import annotations

import base64
import json
from typing import Any

import ag_ui.core as agui
import pytest

from botkit import Attachment, PlatformUser, ThreadMessage
from botkit.history import (
    MAX_TEXT_ATTACHMENT_BYTES,
    build_agent_messages,
    strip_mentions,
    tool_result,
)
from botkit.testing import ALICE, BOB, BOT

OTHER_BOT = PlatformUser(id="U_OTHER", name="deploybot", is_bot=True)


def user(text: str, who: PlatformUser = ALICE, *, id: str = "", **kw: Any) -> ThreadMessage:
    return ThreadMessage(id=id or f"u-{text[:8]}", text=text, user=who, **kw)


def bot(text: str, *, id: str = "", **kw: Any) -> ThreadMessage:
    return ThreadMessage(id=id or f"b-{text[:8]}", text=text, user=BOT, is_bot=True, **kw)


def valid(messages: list[dict[str, Any]]) -> list[Any]:
    """The messages are what AG-UI accepts."""
    run_input = agui.RunAgentInput.model_validate(
        {"threadId": "t", "runId": "r", "messages": messages, "state": {}, "tools": [],
         "context": []})
    return list(run_input.messages)


def test_roles_names_and_order() -> None:
    messages = build_agent_messages([
        user("hi", id="1"),
        bot("hello Alice", id="2"),
        user("me too", BOB, id="3"),
        ThreadMessage(id="4", text="deployed v2", user=OTHER_BOT, is_bot=True),
        ThreadMessage(id="5", text="anonymous"),
        user("x", PlatformUser(id="U_NONAME"), id="6"),
    ], bot=BOT)
    assert messages == [
        {"id": "1", "role": "user", "content": "hi", "name": "Alice"},
        {"id": "2", "role": "assistant", "content": "hello Alice"},
        {"id": "3", "role": "user", "content": "me too", "name": "Bob"},
        # another bot's message is someone else talking, not our own reply
        {"id": "4", "role": "user", "content": "deployed v2", "name": "deploybot"},
        {"id": "5", "role": "user", "content": "anonymous"},
        {"id": "6", "role": "user", "content": "x", "name": "U_NONAME"},
    ]
    valid(messages)


@pytest.mark.parametrize(("text", "expected"), [
    ("<@U_BOT> hello", "hello"),
    ("<@U_BOT|helpbot> hello", "hello"),
    ("hey <@U_BOT>, the printer", "hey , the printer"),
    ("@helpbot what's up", "what's up"),
    ("@HelpBot  shout", "shout"),
    ("ask <@U_BOB> and @bob", "ask <@U_BOB> and @bob"),  # other people stay mentioned
    ("mail ops@helpbot.com please", "mail ops@helpbot.com please"),
    ("@helpbotter is someone else", "@helpbotter is someone else"),
])
def test_bot_mentions_are_stripped(text: str, expected: str) -> None:
    assert strip_mentions(text, BOT) == expected


def test_without_a_known_bot_user_nothing_is_stripped() -> None:
    assert strip_mentions("  <@U_BOT> hi  ", None) == "<@U_BOT> hi"
    messages = build_agent_messages([ThreadMessage(id="1", text="mine", is_bot=True,
                                                   user=OTHER_BOT)], bot=None)
    assert messages == [{"id": "1", "role": "assistant", "content": "mine"}]


def test_a_message_that_is_only_a_mention_is_dropped() -> None:
    assert build_agent_messages([user("<@U_BOT>"), user("   ")], bot=BOT) == []


def test_status_lines_are_dropped() -> None:
    messages = build_agent_messages([
        user("hi", id="1"),
        bot("_thinking…_", id="2", is_status=True),
        bot("answer", id="3"),
        bot("⚠️ The agent failed: boom", id="4", is_status=True),
    ], bot=BOT)
    assert [m["content"] for m in messages] == ["hi", "answer"]


def test_consecutive_bot_chunks_are_folded() -> None:
    messages = build_agent_messages([
        user("long question", id="1"),
        bot("part one", id="2"),
        bot("part two", id="3"),
        bot("  ", id="4"),  # an empty message does not break the reply
        bot("(continued) part three", id="5"),
        user("thanks", id="6"),
        bot("you're welcome", id="7"),
    ], bot=BOT)
    assert messages == [
        {"id": "1", "role": "user", "content": "long question", "name": "Alice"},
        {"id": "2", "role": "assistant",
         "content": "part one\npart two\n(continued) part three"},
        {"id": "6", "role": "user", "content": "thanks", "name": "Alice"},
        {"id": "7", "role": "assistant", "content": "you're welcome"},
    ]


def test_recorded_tool_calls_are_restored_in_place() -> None:
    call = {"id": "c1", "type": "function",
            "function": {"name": "weather", "arguments": '{"city": "Oslo"}'}}
    records = ({"id": "a1", "role": "assistant", "toolCalls": [call]},
               {"id": "t1", "role": "tool", "toolCallId": "c1", "content": "cold"},
               {"id": "x", "role": "user", "content": "forged"},  # only agent records count
               "not a record")
    messages = build_agent_messages([
        user("weather?", id="1"),
        bot("Checking.", id="2"),
        ThreadMessage(id="r", text="", user=BOT, is_bot=True, is_status=True,
                      agent_messages=records),  # type: ignore[arg-type]
        bot("It is cold.", id="3"),
    ], bot=BOT)
    assert [m["id"] for m in messages] == ["1", "2", "a1", "t1", "3"]
    assert messages[2]["toolCalls"] == [call]
    # the reply after the tool result is not folded into the text before the call
    assert messages[4]["content"] == "It is cold."
    valid(messages)


def test_a_dangling_tool_call_gets_an_error_result() -> None:
    messages = build_agent_messages([
        user("go", id="1"),
        ThreadMessage(id="r", text="", user=BOT, is_bot=True, is_status=True, agent_messages=(
            {"id": "a1", "role": "assistant", "toolCalls": [
                {"id": "c1", "type": "function", "function": {"name": "a", "arguments": "{}"}},
                {"id": "c2", "type": "function", "function": {"name": "b", "arguments": "{}"}}]},
            {"id": "t2", "role": "tool", "toolCallId": "c2", "content": "done"})),
        user("hello?", id="2"),
    ], bot=BOT)
    # the same id and shape as the run loop's error results (it was "tool-c1" here)
    assert [m["id"] for m in messages] == ["1", "a1", "result-c1", "t2", "2"]
    closed = messages[2]
    assert closed == tool_result("c1", error=closed["error"])
    assert closed["role"] == "tool"
    assert closed["toolCallId"] == "c1"
    assert "no result was recorded" in closed["error"]
    assert json.loads(closed["content"]) == {"error": closed["error"]}
    parsed = valid(messages)
    assert isinstance(parsed[2], agui.ToolMessage)
    assert parsed[2].error == closed["error"]


def test_attachments_become_content_parts() -> None:
    png = b"\x89PNG\r\n\x1a\n"
    message = user("see attached", id="1", attachments=(
        Attachment(name="log.txt", mime_type="text/plain", data=b"line 1\nline 2"),
        Attachment(name="shot.png", mime_type="image/png", data=png),
        Attachment(name="spec.pdf", mime_type="application/pdf", data=b"%PDF-1.7"),
        Attachment(name="blob.bin", data=b"\x00\x01"),
        Attachment(name="remote.png", mime_type="image/png", size=2048,
                   url="https://files.example/remote.png"),
    ))
    (result,) = build_agent_messages([message], bot=BOT)
    assert result["name"] == "Alice"
    parts = result["content"]
    assert parts[0] == {"type": "text", "text": "see attached"}
    assert parts[1] == {"type": "text",
                        "text": "[attachment: log.txt (text/plain, 13 bytes)]\nline 1\nline 2"}
    assert parts[2] == {"type": "text", "text": "[attachment: shot.png (image/png, 8 bytes)]"}
    assert parts[3] == {"type": "image", "source": {
        "type": "data", "value": base64.b64encode(png).decode(), "mimeType": "image/png"}}
    assert parts[5]["type"] == "document"
    assert parts[6]["text"].endswith("(not included)")
    assert parts[7] == {"type": "text", "text": "[attachment: remote.png (image/png, 2048 bytes)]"}
    (parsed,) = valid([result])
    assert [type(p).__name__ for p in parsed.content] == [
        "TextPart", "TextPart", "TextPart", "ImagePart", "TextPart", "DocumentPart", "TextPart",
        "TextPart"]


def test_large_text_attachments_are_truncated() -> None:
    data = b"a" * (MAX_TEXT_ATTACHMENT_BYTES + 10)
    (result,) = build_agent_messages(
        [user("", id="1", attachments=(Attachment(name="big.csv", mime_type="text/csv",
                                                  data=data),))], bot=BOT)
    text_part, attachment_part = result["content"]
    assert text_part == {"type": "text", "text": ""}
    note, body = attachment_part["text"].split("\n", 1)
    assert note.endswith("(truncated)")
    assert body == "a" * MAX_TEXT_ATTACHMENT_BYTES


def test_a_message_with_only_an_attachment_is_kept() -> None:
    (result,) = build_agent_messages(
        [user("<@U_BOT>", id="1", attachments=(Attachment(name="a.json",
                                                          mime_type="application/json",
                                                          data=b'{"k": 1}'),))], bot=BOT)
    assert result["content"][1]["text"].endswith('{"k": 1}')
