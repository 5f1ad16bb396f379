"""Hardening (#10) and real-Slack behaviour (#13): the HTTP endpoint never answers 5xx or
hangs, whatever is sent to it; Slack's non-JSON 5xx bodies and stream failures never lose a
reply; streaming calls carry text or chunks, never both; tool records fit Slack's metadata
shape; a channel type that refuses native streams does not turn them off elsewhere."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from functools import partial
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from polling import until
from slack_adapter_harness import Harness, running
from slack_faults import EdgeProxy

from botkit import TurnContext, create_bot
from botkit.adapter import ToolProgress
from botkit_slack import metadata

# -- the HTTP endpoint ------------------------------------------------------------------


async def _post(h: Harness, body: bytes, headers: Mapping[str, str]) -> int:
    assert h.adapter.request_url is not None
    # Bolt waits up to 3 s for an ack: an answer within 2.5 s proves no such wait
    timeout = aiohttp.ClientTimeout(total=2.5)
    async with aiohttp.ClientSession(timeout=timeout) as http, \
            http.post(h.adapter.request_url, data=body, headers=dict(headers)) as response:
        return response.status


def _signed(h: Harness, body: bytes, content_type: str = "application/json",
            timestamp: str | None = None) -> dict[str, str]:
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    base = b"v0:" + timestamp.encode() + b":" + body
    signature = "v0=" + hmac.new(h.slack.signing_secret.encode(), base,
                                 hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature}


@pytest.fixture
async def http_bot() -> AsyncIterator[Harness]:
    async with running("http") as h:
        yield h


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


@pytest.mark.parametrize("timestamp", ["9" * 310, "9" * 5000, "1e9", "-1", "", "١٢٣",
                                       " 1700000000", "17000000000000000"])
async def test_any_timestamp_gets_401_without_a_traceback(
        http_bot: Harness, timestamp: str, caplog: pytest.LogCaptureFixture) -> None:
    body = b'{"type": "event_callback"}'
    assert await _post(http_bot, body, {"X-Slack-Request-Timestamp": timestamp,
                                        "X-Slack-Signature": "v0=00"}) == 401
    assert await _post(http_bot, body, _signed(http_bot, body, timestamp=timestamp)) == 401
    assert _tracebacks(caplog) == []


SIGNED_MALFORMED = [
    b'{"type": "event_callback", "event": "]"}',
    b"[1]",
    b'{"type": false}',
    b'{"type": "event_callback", "event": {"type": 5}}',
    b'{"type": "event_callback", "event": {"type": "message", "user": ["U1"]}}',
    b'{"type": "event_callback", "event": {"type": "message", "channel": {}, "text": 1}}',
    b'{"type": "event_callback", "event": {"type": "app_mention", "files": [1]}}',
    b'{"type": "event_callback", "team_id": 7, "event": {"type": "message"}}',
    b'{"type": "event_callback", "authorizations": "x", "event": {"type": "message"}}',
    b'{"type": "block_actions", "user": "x", "actions": [{"action_id": "a"}]}',
    b'{"type": "block_actions", "user": {"id": "U1"}, "actions": [3]}',
    b'{"type": "block_actions", "user": {"id": "U1"}, "channel": [], "actions": []}',
    b'{"type": "block_actions", "user": {"id": 5}, "actions": [{"action_id": "a"}]}',
    b'{"type": "view_submission", "view": "v"}',
    b'{"type": "event_callback", "event": {"type": "message", "message": "m"}}',
    b'{"response_urls": [1], "type": "view_submission"}',
]


@pytest.mark.parametrize("body", SIGNED_MALFORMED, ids=range(len(SIGNED_MALFORMED)))
async def test_signed_malformed_bodies_get_4xx_at_once(http_bot: Harness, body: bytes) -> None:
    status = await _post(http_bot, body, _signed(http_bot, body))
    assert 400 <= status < 500
    form = b"payload=" + aiohttp.helpers.quote(body.decode(), safe="").encode()  # type: ignore[attr-defined]
    status = await _post(http_bot, form, _signed(
        http_bot, form, "application/x-www-form-urlencoded"))
    assert 400 <= status < 500


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "event", "user", "channel", "team", "actions", "text", "ts",
                         "thread_ts", "id", "action_id", "message", "container", "view",
                         "team_id", "files", "subtype", "authorizations", "command",
                         "enterprise", "response_urls", "assistant_thread"]),
        inner, max_size=5),
    max_leaves=12)
KINDS = st.sampled_from(["event_callback", "block_actions", "view_submission",
                         "url_verification", "shortcut", "message_action"])
PAYLOADS = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries({"type": KINDS}, optional={
        "event": JSON_VALUES, "user": JSON_VALUES, "actions": JSON_VALUES,
        "channel": JSON_VALUES, "team": JSON_VALUES, "message": JSON_VALUES,
        "container": JSON_VALUES, "team_id": JSON_VALUES, "authorizations": JSON_VALUES}))
HEADERS = st.dictionaries(
    st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature", "X-Slack-Retry-Num",
                     "Content-Type", "X-Slack-Retry-Reason"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40), max_size=5)


def test_the_http_endpoint_never_answers_5xx(caplog: pytest.LogCaptureFixture) -> None:
    """Hypothesis drives arbitrary headers and bodies (signed and unsigned, JSON and form)
    at a running adapter; every answer is below 500 and comes before Bolt's ack timeout."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    harness: list[Harness] = []
    stop = asyncio.Event()

    async def serve() -> None:
        async with running("http") as h:
            harness.append(h)
            ready.set()
            await stop.wait()

    server = threading.Thread(target=lambda: loop.run_until_complete(serve()), daemon=True)
    server.start()
    assert ready.wait(30)
    h = harness[0]
    statuses: list[int] = []

    @settings(max_examples=200, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(payload=PAYLOADS, raw=st.none() | st.binary(max_size=64), headers=HEADERS,
           signed=st.booleans(), form=st.booleans())
    @example(payload={"type": None, "user": None, "view": None}, raw=None, headers={},
             signed=True, form=False)  # Bolt's middleware read a null view's keys
    def check(payload: Any, raw: bytes | None, headers: dict[str, str], signed: bool,
              form: bool) -> None:
        body = json.dumps(payload).encode() if raw is None else raw
        if form and raw is None:
            body = b"payload=" + aiohttp.helpers.quote(  # type: ignore[attr-defined]
                body.decode(), safe="").encode()
        sent = dict(headers)
        if signed:
            sent.update(_signed(h, body, "application/x-www-form-urlencoded" if form
                                else "application/json"))
        logged = len(caplog.records)
        status = asyncio.run_coroutine_threadsafe(_post(h, body, sent), loop).result(10)
        statuses.append(status)
        assert status < 500, (payload, headers, signed, form)
        errors = [r.getMessage() for r in caplog.records[logged:]
                  if r.exc_info or r.levelno >= logging.ERROR]
        assert errors == [], (payload, headers, signed, form)

    try:
        check()
    finally:
        loop.call_soon_threadsafe(stop.set)
        server.join(30)
        loop.close()
    assert any(s == 401 for s in statuses)
    assert any(s != 401 for s in statuses)  # signed bodies got past the signature check
    assert _tracebacks(caplog) == []


# -- Slack's own failures ---------------------------------------------------------------


Condition = Callable[[Harness, str, str], bool]


def shown(h: Harness, channel: str, thread: str) -> bool:
    """The bot's reply has appeared in the thread (streaming or posted)."""
    return bool(h.bot_messages(thread, channel))


def called(method: str) -> Condition:
    return lambda h, channel, thread: bool(h.slack.calls_to(method))


def _long_answer_bot(text: str, *, tool: bool = False, waits: Sequence[Condition] = (),
                     harness: list[Harness] | None = None) -> Any:
    """A bot streaming ``text`` in parts; after part ``i`` it waits until ``waits[i]``
    holds (e.g. the stream has started), so the rest goes out in later calls."""
    bot = create_bot(name="answers")

    @bot.on_mention
    @bot.on_message
    async def answer(ctx: TurnContext) -> None:
        if ctx.text == "hello":  # the harness's settle() barrier
            await ctx.thread.stream("hi")
            return
        channel = ctx.thread.conversation.channel
        thread = ctx.thread.conversation.thread or ""

        async def parts() -> AsyncIterator[Any]:  # text, and tool progress rows
            if tool:
                yield ToolProgress(tool_call_id="c1", name="lookup")
            for n, i in enumerate(range(0, len(text), 50)):
                yield text[i:i + 50]
                if n < len(waits) and harness:
                    await until(partial(waits[n], harness[0], channel, thread))
            if tool:
                yield ToolProgress(tool_call_id="c1", name="lookup", done=True)

        await ctx.thread.stream(parts())

    return bot


ANSWER = "\n".join(f"Line {i}: the printer on floor {i} is fixed." for i in range(30))


def _shown(h: Harness, thread: str) -> str:
    return "\n".join(m["text"] for m in h.bot_messages(thread))


@pytest.mark.parametrize("kind", ["html", "text", "json"])
@pytest.mark.parametrize("method", ["chat.startStream", "chat.postMessage",
                                    "assistant.threads.setStatus", "chat.appendStream"])
async def test_a_non_json_5xx_from_slack_never_loses_the_reply(
        method: str, kind: str, caplog: pytest.LogCaptureFixture) -> None:
    holder: list[Harness] = []
    async with EdgeProxy("") as proxy:
        def failed(name: str) -> Condition:
            return lambda h, channel, thread: proxy.failed[name] > 0

        waits = {"chat.startStream": [failed(method)],
                 "chat.appendStream": [called("chat.startStream"), failed(method)]}
        bot = _long_answer_bot(ANSWER, waits=waits.get(method, []), harness=holder)
        async with running("socket", bot=bot, proxy=proxy,
                           thinking_status="is thinking…") as h:
            holder.append(h)
            proxy.fail_next(method, kind=kind)
            asked = await h.mention("tell me")
            await h.reply(asked["ts"], "Line 29")
            await h.settle()
            assert proxy.failed[method] == 1
            text = _shown(h, asked["ts"])
            assert "Line 0:" in text
            assert "Line 29:" in text
            assert "couldn't show" not in text
            assert "AttributeError" not in caplog.text
            gc.collect()
            await asyncio.sleep(0)
            assert "never retrieved" not in caplog.text


async def test_a_lone_surrogate_from_the_model_is_posted_as_a_replacement() -> None:
    for streaming in ("native", "edits"):
        async with running("socket", bot=_long_answer_bot("broken \ud800 text here"),
                           streaming=streaming) as h:
            asked = await h.mention("tell me")
            reply = await h.reply(asked["ts"], "text here")
            assert "broken \ufffd text here" in reply["text"] + str(reply.get("blocks"))


async def test_a_500_on_append_stops_the_stream_then_continues_the_reply() -> None:
    holder: list[Harness] = []
    bot = _long_answer_bot(ANSWER, waits=[called("chat.startStream"),
                                          called("chat.appendStream")], harness=holder)
    async with running("socket", bot=bot) as h:
        holder.append(h)
        h.slack.fail_next("chat.appendStream", status=500)
        asked = await h.mention("tell me")
        await h.reply(asked["ts"], "Line 29")
        await h.settle()
        replies = h.bot_messages(asked["ts"])
        streamed = [m for m in replies if "Line 0:" in m["text"]]
        assert len(streamed) == 1
        assert "Line 29:" in _shown(h, asked["ts"])
        assert h.slack.calls_to("chat.appendStream")[0].status == 500
        errors = [c.response.get("error") for c in h.slack.calls if not c.ok]
        assert "streaming_state_conflict" not in errors
        assert not any("couldn't show" in m["text"] for m in replies)


# -- real Slack's rules -----------------------------------------------------------------


async def test_stream_calls_carry_text_or_chunks_never_both() -> None:
    holder: list[Harness] = []
    bot = _long_answer_bot(ANSWER, tool=True, harness=holder, waits=[
        called("chat.startStream"), called("chat.appendStream")])
    async with running("socket", bot=bot) as h:
        holder.append(h)
        asked = await h.mention("tell me")
        await h.reply(asked["ts"], "Line 29")
        await h.settle()
        calls = [c for m in ("chat.startStream", "chat.appendStream", "chat.stopStream")
                 for c in h.slack.calls_to(m)]
        assert any(c.args.get("chunks") for c in calls)
        assert any(c.args.get("markdown_text") for c in calls)
        assert not [c.method for c in calls
                    if c.args.get("chunks") and c.args.get("markdown_text")]
        assert "Line 29:" in _shown(h, asked["ts"])


async def test_a_refused_channel_type_keeps_native_streams_elsewhere(
        caplog: pytest.LogCaptureFixture) -> None:
    holder: list[Harness] = []
    bot = _long_answer_bot("All fixed now.", waits=[shown], harness=holder)
    async with running("socket", bot=bot) as h:
        holder.append(h)
        h.slack.fail_next("chat.startStream", status=200, error="channel_type_not_supported")
        asked = await h.mention("tell me")
        await h.reply(asked["ts"], "All fixed now.")
        started = len(h.slack.calls_to("chat.startStream"))
        dm = h.slack.open_dm("alice")
        first = await h.slack.user_says("alice", "hi", dm)
        said = await h.slack.user_says("alice", "tell me", dm, first["ts"])
        await h.reply(first["ts"], "All fixed now.", channel=dm, after=said["ts"])
        assert len(h.slack.calls_to("chat.startStream")) > started  # native in the DM
        assert h.slack.calls_to("chat.startStream")[-1].args["channel"] == dm
        started = len(h.slack.calls_to("chat.startStream"))
        asked = await h.mention("tell me again")
        await h.reply(asked["ts"], "All fixed now.")
        assert len(h.slack.calls_to("chat.startStream")) == started  # not in channels
        assert "in channel conversations" in caplog.text


async def test_bolt_is_built_without_a_second_auth_test_or_token_warning(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-the-environment")  # Bolt reads it too
    async with running("socket", bot=_long_answer_bot("All fixed now.")) as h:
        asked = await h.mention("tell me")
        await h.reply(asked["ts"], "All fixed now.")
        assert len(h.slack.calls_to("auth.test")) == 1
    assert "will be unused" not in caplog.text


def _flat(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _fits_slack(payload: Mapping[str, Any]) -> bool:
    """Slack's documented event_payload: values are scalars, flat objects or arrays of flat
    objects."""
    for value in payload.values():
        if isinstance(value, Mapping):
            if not all(_flat(v) for v in value.values()):
                return False
        elif isinstance(value, list):
            if not all(isinstance(v, Mapping) and all(_flat(x) for x in v.values())
                       for v in value):
                return False
        elif not _flat(value):
            return False
    return True


def test_tool_records_fit_slacks_metadata_shape_and_read_back() -> None:
    records = [{"id": "a1", "role": "assistant", "toolCalls": [
        {"id": f"c{i}", "type": "function",
         "function": {"name": "lookup", "arguments": json.dumps({"q": "x" * 900, "n": i})}}
        for i in range(6)]}]
    records += [{"id": f"r{i}", "role": "tool", "toolCallId": f"c{i}", "content": "ok " * 300}
                for i in range(6)]
    fitted = metadata.fit_records(records)
    assert fitted is not None
    for status in (False, True):
        encoded = metadata.encode(fitted, status=status)
        assert encoded is not None
        payload = encoded["event_payload"]
        assert _fits_slack(payload)
        assert len(json.dumps(payload)) < metadata.METADATA_BUDGET + 1000
        assert payload["agent_messages_parts"] > 1  # chunked across keys
        assert metadata.decode(encoded) == (tuple(fitted), status)
    # the nested form of earlier versions still reads; junk reads as nothing
    assert metadata.decode({"event_type": metadata.AGENT_EVENT,
                            "event_payload": {"agent_messages": records}})[0] == tuple(records)
    for junk in ({"agent_messages_parts": 2, "agent_messages_1": "[{"},
                 {"agent_messages_parts": 1, "agent_messages_1": '{"a": 1}'},
                 {"agent_messages_parts": True}, {"agent_messages": "x"}):
        assert metadata.decode({"event_type": metadata.AGENT_EVENT,
                                "event_payload": junk}) == ((), False)


@pytest.mark.parametrize("method", ["chat.appendStream", "chat.stopStream"])
async def test_a_long_streamed_reply_survives_a_failed_stream_call(method: str) -> None:
    """Past one edited message's length when the stream fails: the rest is cut into more
    messages, none of it lost or truncated."""
    long_answer = "\n".join(f"Line {i}: " + "the printer is fine now. " * 8 for i in range(40))
    holder: list[Harness] = []
    waits = [called("chat.startStream")] + [lambda h, c, t: True] * 60 + [
        called("chat.appendStream")]
    bot = _long_answer_bot(long_answer, waits=waits, harness=holder)
    async with running("socket", bot=bot) as h:
        holder.append(h)
        h.slack.fail_next(method, status=500)
        asked = await h.mention("tell me")
        await h.reply(asked["ts"], "Line 39:")
        await h.settle()
        assert any(c.status == 500 for c in h.slack.calls_to(method))
        text = _shown(h, asked["ts"])
        for i in range(40):
            assert f"Line {i}: " in text
        assert "truncated" not in text
        assert "couldn't show" not in text
        assert len(h.bot_messages(asked["ts"])) >= 2
