"""The Events API request body over HTTP (``transport._body``): read whole however it
arrives (one piece, or chunked in several), signed over its bytes, and refused with 413
over ``MAX_BODY`` (by its Content-Length, or as it streams in)."""

from __future__ import annotations

import gc
import hashlib
import hmac
import io
import json
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web
from slack_adapter_harness import Harness, running

from botkit_slack.transport import MAX_BODY


def _signed(h: Harness, body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    base = b"v0:" + timestamp.encode() + b":" + body
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + hmac.new(h.slack.signing_secret.encode(), base,
                                                  hashlib.sha256).hexdigest()}


async def _pieces(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start:start + size]


async def test_a_mention_sent_in_chunks_is_read_whole_and_answered() -> None:
    async with running("http") as h:
        url = h.adapter.request_url
        assert url is not None
        said = h.slack.add_message(h.slack.general, h.at_bot("in pieces"), user="alice")
        event = {"type": "app_mention", "user": said["user"], "text": said["text"],
                 "ts": said["ts"], "channel": h.slack.general, "event_ts": said["ts"]}
        body = json.dumps({"type": "event_callback", "team_id": "T0EMUTEAM1",
                           "event_id": "Ev0PIECES1", "event_time": int(time.time()),
                           "event": event}).encode()
        async with aiohttp.ClientSession() as http, http.post(
                url, data=_pieces(body, 7), headers=_signed(h, body)) as response:
            assert response.status == 200
            assert response.request_info.headers.get("Transfer-Encoding") == "chunked"
        await h.reply(said["ts"])


async def test_a_body_over_the_limit_gets_413_by_its_length_or_as_it_streams() -> None:
    async with running("http") as h:
        url = h.adapter.request_url
        assert url is not None
        big = b'{"type": "event_callback", "x": "' + b"a" * MAX_BODY + b'"}'
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=io.BytesIO(big), headers=_signed(h, big)) as response:
                assert response.status == 413
            async with http.post(url, data=_pieces(big, 64 * 1024),
                                 headers=_signed(h, big)) as response:
                assert response.status == 413
            fits = b'{"type": "url_verification", "challenge": "c", "token": "t"}'
            async with http.post(url, data=fits, headers=_signed(h, fits)) as response:
                assert response.status == 200
                assert "c" in await response.text()


def _held_bytes(obj: object) -> list[bytes]:
    """Bytes ``obj`` refers to, directly or through its attribute dict."""
    found: list[bytes] = []
    for ref in gc.get_referents(obj):
        if isinstance(ref, bytes):
            found.append(ref)
        elif isinstance(ref, dict):
            found += [v for v in ref.values() if isinstance(v, bytes)]
    return found


async def test_an_answered_request_keeps_no_copy_of_its_body() -> None:
    """aiohttp keeps a connection's last request until its next one (an idle keep-alive
    connection holds it for as long as it stays open): not the body with it."""
    async with running("http") as h:
        asked = await h.mention("hello")
        await h.reply(asked["ts"])
        requests = [o for o in gc.get_objects()
                    if isinstance(o, web.BaseRequest) and o.path == "/slack/events"]
        assert requests  # the last one of each keep-alive connection
        assert [b for r in requests for b in _held_bytes(r) if len(b) > 100] == []
