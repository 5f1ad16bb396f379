"""The JSON codecs: every inbound event survives the store (the durable inbox, queued turns,
recorded choices) unchanged, ``raw`` and attachment bytes included."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import pickle
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from botkit import TurnContext, create_bot, keys
from botkit.choices import ChoiceRecord
from botkit.codec import (
    decode_conversation,
    decode_event,
    decode_user,
    encode_conversation,
    encode_event,
    encode_user,
)
from botkit.events import (
    CommandEvent,
    Event,
    InteractionEvent,
    MessageEvent,
    ModalCloseEvent,
    ModalSubmitEvent,
    ReactionEvent,
    ThreadStartedEvent,
)
from botkit.testing import ALICE, FakeAdapter, running
from botkit.types import NO_RAW, Attachment, Conversation, MessageRef, PlatformUser, RawJson
from botkit.ui import Actions, Button, Message, Select
from botkit.ui.binding import mark_choice

text = st.text(max_size=20)
opt_text = st.none() | text
json_leaf = st.none() | st.booleans() | st.integers() | text | st.floats(
    allow_nan=False, allow_infinity=False)
json_value = st.recursive(json_leaf, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(text, inner, max_size=3), max_leaves=8)
raw = st.dictionaries(text, json_value, max_size=3)

users = st.builds(PlatformUser, id=text, name=opt_text, handle=opt_text, email=opt_text,
                  is_bot=st.booleans(), raw=raw)
conversations = st.builds(Conversation, id=text, channel=text, thread=opt_text,
                          is_direct=st.booleans(), raw=raw)
refs = st.builds(MessageRef, id=text, channel=text, raw=raw)
attachments = st.builds(Attachment, name=text, mime_type=text,
                        size=st.none() | st.integers(min_value=0), url=opt_text,
                        data=st.none() | st.binary(max_size=64), raw=raw)
common = {"platform": text, "event_id": text, "conversation": conversations, "user": users,
          "raw": raw}
messages = st.builds(MessageEvent, **common, text=text, ref=refs, mentioned=st.booleans(),
                     attachments=st.lists(attachments, max_size=3).map(tuple))
interactions = st.builds(InteractionEvent, **common, action_id=text, value=json_value,
                         message=st.none() | refs)
commands = st.builds(CommandEvent, **common, command=text, text=text)
reactions = st.builds(ReactionEvent, **common, emoji=text, message=refs, added=st.booleans())
thread_starts = st.builds(ThreadStartedEvent, **common, context=raw,
                          context_changed=st.booleans())
modal_value = st.none() | text | st.dates() | st.lists(text, max_size=3)
modal_submits = st.builds(ModalSubmitEvent, **common, callback_id=text, metadata=text,
                          values=st.dictionaries(text, modal_value, max_size=4))
modal_closes = st.builds(ModalCloseEvent, **common, callback_id=text, metadata=text)
events = (messages | interactions | commands | reactions | thread_starts | modal_submits
          | modal_closes)


def _raws(value: Any) -> Any:
    """Every ``raw`` inside a value (``raw`` is excluded from dataclass equality)."""
    if isinstance(value, tuple):
        return [_raws(v) for v in value]
    if not hasattr(value, "__dataclass_fields__"):
        return None
    return {name: (dict(getattr(value, name)) if name == "raw" else _raws(getattr(value, name)))
            for name in value.__dataclass_fields__}


@settings(max_examples=300, deadline=None)
@given(events)
def test_every_event_round_trips_through_json(event: Event) -> None:
    stored = json.loads(json.dumps(encode_event(event)))  # what a store gives back
    decoded = decode_event(stored)
    assert type(decoded) is type(event)
    assert decoded == event
    assert _raws(decoded) == _raws(event)


@given(users, conversations)
def test_users_and_conversations_round_trip(user: PlatformUser, conv: Conversation) -> None:
    assert decode_user(json.loads(json.dumps(encode_user(user)))) == user
    back = decode_conversation(json.loads(json.dumps(encode_conversation(conv))))
    assert back == conv
    assert back.is_direct == conv.is_direct  # choice records used to drop it
    assert dict(back.raw) == dict(conv.raw)


def test_a_queued_turn_stored_before_kind_existed_still_decodes() -> None:
    old = {"platform": "slack", "event_id": "e1", "text": "hi", "mentioned": True,
           "user": {"id": "U1", "name": "Ann", "handle": None, "email": None, "is_bot": False},
           "conversation": {"id": "C1:1", "channel": "C1", "thread": "1", "is_direct": False},
           "ref": {"id": "1", "channel": "C1"},
           "attachments": [{"name": "a.txt", "mime_type": "text/plain", "size": 3,
                            "url": None}]}
    event = decode_event(old)
    assert isinstance(event, MessageEvent)
    assert (event.text, event.user.name, event.attachments[0].name) == ("hi", "Ann", "a.txt")


@pytest.mark.parametrize("bad", [
    None, [], "x", {}, {"kind": "message"}, {"kind": "teleport", "platform": "p",
                                             "event_id": "e"},
    {"kind": "command", "platform": "p", "event_id": "e", "user": {"id": "u"},
     "conversation": {"id": "c"}, "command": "x"},  # conversation without a channel
    {"kind": "message", "platform": "p", "event_id": "e", "user": {"id": "u"},
     "conversation": {"id": "c", "channel": "c"}, "text": "t", "ref": {"id": "r"},
     "attachments": [{"name": "a", "data": "not base64!"}]},
])
def test_what_is_not_an_encoded_event_is_a_value_error(bad: Any) -> None:
    with pytest.raises(ValueError):
        decode_event(bad)


def test_keys_name_every_per_thread_key() -> None:
    assert [k("t1") for k in keys.PER_THREAD] == [
        "state:t1", "runs:t1", "interrupt:t1", "msgids:t1", "turnq:t1", "ckpt:t1",
        "ckstep:t1"]
    assert keys.thread_record("t1").startswith(keys.THREAD_RECORD_PREFIX)
    assert keys.event_seen("slack", "E1") == "evt:slack:E1"


async def test_a_recorded_choice_keeps_the_whole_conversation() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    direct = Conversation(id="D1:t", channel="D1", is_direct=True, raw={"team": "T1"})
    answers: list[Any] = []

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        answers.append(await ctx.thread.await_choice(Message("Go?", Button("Go")), timeout=5))

    event = MessageEvent(platform="fake", event_id="e1", conversation=direct, user=ALICE,
                         text="hi", ref=MessageRef(id="u1", channel="D1"), mentioned=True)
    async with running(bot), asyncio.timeout(5):
        task = bot.spawn(bot.dispatch(event))
        await bot.waiting_for_input("D1:t")
        (key,) = await bot.store.scan("choice:")
        stored = await bot.store.get(key)
        assert stored["conversation"]["is_direct"] is True  # choice records dropped it
        record = ChoiceRecord.from_json(stored)
        assert record.conversation == direct
        assert dict(record.conversation.raw) == {"team": "T1"}
        assert ChoiceRecord.from_json(record.to_json()) == record
        await fake.click("Go", conversation="D1:t")
        await task
    assert answers == ["Go"]


@given(conversations, st.none() | refs, st.none() | st.lists(text, max_size=2),
       st.none() | st.floats(min_value=0, max_value=1e6), st.booleans(), st.booleans())
def test_a_choice_record_is_stored_compact_and_round_trips(
        conv: Conversation, ref: MessageRef | None, allowed: list[str] | None,
        timeout: float | None, with_select: bool, own_labels: bool) -> None:
    controls: list[Any] = [Button("Yes", value=True, style="primary"), Button("No")]
    if with_select:
        controls.append(Select(["a", ("B", "b")], placeholder=None))
    card, labels = mark_choice(Message("Go?", Actions(*controls)), "c1")
    if own_labels:
        labels = {**labels, "bk:choice:c1:0": "Yes please"}
    record = ChoiceRecord(
        platform="fake", conversation=conv, card=card, labels=labels,
        allowed=None if allowed is None else tuple(allowed),
        allowed_names=() if allowed is None else tuple(allowed), owner="r1",
        timeout=timeout, deadline=None if timeout is None else 100.0 + timeout, ref=ref)
    stored = json.loads(json.dumps(record.to_json()))
    assert ChoiceRecord.from_json(stored) == record
    assert ("labels" in stored) is own_labels  # the card gives them
    for name, absent in (("allowed", allowed is None), ("timeout", timeout is None),
                         ("deadline", timeout is None), ("ref", ref is None),
                         ("allowed_names", not allowed), ("call", True), ("user", True),
                         ("message", True)):
        assert (name not in stored) is absent, name
    assert "raw" not in stored["conversation"] or conv.raw
    assert "url" not in json.dumps(stored["card"])  # None fields are left out


def test_values_without_a_payload_share_one_read_only_empty_raw() -> None:
    conv = Conversation(id="C1:t", channel="C1")
    ref = MessageRef(id="m1")
    assert conv.raw is ref.raw is NO_RAW
    assert conv.raw == {}
    with pytest.raises(TypeError):
        conv.raw["x"] = 1  # type: ignore[index]
    stored = json.loads(json.dumps(encode_conversation(conv)))
    assert decode_conversation(stored).raw is NO_RAW  # decoding makes no fresh dict either
    assert dict(decode_conversation({**stored, "raw": {"a": 1}}).raw) == {"a": 1}


def test_a_raw_payload_kept_as_json_is_decoded_once_when_read() -> None:
    payload = {"type": "app_mention", "text": "héllo", "blocks": [{"type": "rich_text"}]}
    raw = RawJson.of(payload)
    assert isinstance(raw, RawJson)
    assert dict(raw) == payload
    conv = Conversation(id="C1:1.0", channel="C1", thread="1.0", raw=raw)
    event = MessageEvent(platform="slack", event_id="e1", conversation=conv,
                         user=PlatformUser(id="U1"), text="héllo", ref=MessageRef(id="1.0"),
                         raw=raw)
    assert [type(r) for r in gc.get_referents(event) if isinstance(r, Mapping)] == [RawJson]
    assert type(event.raw) is dict
    assert event.raw == payload
    assert event.raw is event.raw  # decoded once, then kept
    assert conv.raw == payload
    assert conv.raw is not event.raw
    # what reads every field sees the decoded payload: codecs, copies, pickles
    fresh = MessageEvent(platform="slack", event_id="e1", conversation=Conversation(
        id="C1:1.0", channel="C1", raw=RawJson.of(payload)), user=PlatformUser(id="U1"),
        text="x", ref=MessageRef(id="1.0"), raw=RawJson.of(payload))
    assert decode_event(json.loads(json.dumps(encode_event(fresh)))).raw == payload
    assert pickle.loads(pickle.dumps(dataclasses.replace(fresh, text="y"))).raw == payload
    assert RawJson.of({"not json": object()}).keys() == {"not json"}  # kept as a dict copy
