"""``ThreadRecord.to_dict`` (written on every handled message) builds the same dict as
``dataclasses.asdict`` did, without sharing its containers with the record."""

from __future__ import annotations

import dataclasses
import json

from botkit.codec import encode_conversation
from botkit.threads.records import Checkpoint, RunRecord, ThreadRecord
from botkit.types import Conversation


def record() -> ThreadRecord:
    return ThreadRecord(
        id="C1:t1", platform="slack", channel="C1", title="Printer on fire", status="busy",
        metadata={"team": "ops", "tags": ["a", "b"]}, created_at=1.0, updated_at=2.5,
        last_run_at=2.0, run_count=3, current_run="r1", last_error=None,
        conversation={"id": "C1:t1", "channel": "C1", "thread": "t1", "is_direct": False},
        user_id="U1", participants=("U2", "U3"), live_runs=("r1",))


def test_to_dict_matches_asdict_and_round_trips() -> None:
    r = record()
    expected = dataclasses.asdict(r)
    expected["participants"] = list(r.participants)  # stored as JSON lists
    expected["live_runs"] = list(r.live_runs)
    data = r.to_dict()
    assert data == expected
    assert list(data) == [f.name for f in dataclasses.fields(ThreadRecord)]
    assert ThreadRecord.from_dict(json.loads(json.dumps(data))) == r


def test_to_dict_does_not_share_the_records_containers() -> None:
    r = record()
    data = r.to_dict()
    data["metadata"]["team"] = "changed"
    data["conversation"]["thread"] = "other"
    data["participants"].append("U9")
    assert r.metadata["team"] == "ops"
    assert r.conversation["thread"] == "t1"
    assert r.participants == ("U2", "U3")


def test_checkpoint_and_run_record_dicts_match_asdict_without_sharing() -> None:
    point = Checkpoint(checkpoint_id="c1", thread_id="t1", values={"todo": [{"n": 1}]},
                       created_at=1.0, step=0, source="loop", metadata={"run_status": "x"})
    run = RunRecord(run_id="r1", thread_id="t1", kind="run", status="completed",
                    started_at=1.0, ended_at=2.0, tool_calls=({"id": "c", "args": [1]},),
                    checkpoint={"values": {"a": [1]}})
    for record in (point, run):
        expected = dataclasses.asdict(record)
        if isinstance(record, RunRecord):
            expected["tool_calls"] = list(expected["tool_calls"])
        assert record.to_dict() == expected
    data = point.to_dict()
    data["values"]["todo"][0]["n"] = 2
    data["metadata"]["run_status"] = "changed"
    assert point.values == {"todo": [{"n": 1}]}
    assert point.metadata == {"run_status": "x"}
    copied = run.to_dict()
    copied["tool_calls"][0]["args"].append(2)
    copied["checkpoint"]["values"]["a"].append(2)
    assert run.tool_calls[0]["args"] == [1]
    assert run.checkpoint == {"values": {"a": [1]}}


def test_the_stored_form_leaves_defaults_out_and_round_trips() -> None:
    bare = ThreadRecord(id="C1:t2", platform="slack", channel="C1", created_at=1.0,
                        updated_at=1.0, conversation={"id": "C1:t2", "channel": "C1"})
    assert bare.to_store() == {"id": "C1:t2", "platform": "slack", "channel": "C1",
                               "created_at": 1.0, "updated_at": 1.0,
                               "conversation": {"id": "C1:t2", "channel": "C1"}}
    full = record()
    assert full.to_store() == {k: v for k, v in full.to_dict().items()
                               if k not in ("last_error", "archived", "copied_from")}
    encoded = ThreadRecord(id="C1:t2", platform="slack", channel="C1", created_at=1.0,
                           updated_at=1.0, conversation=encode_conversation(
                               Conversation(id="C1:t2", channel="C1", thread="t2")))
    assert encoded.to_store()["conversation"] == {"id": "C1:t2", "channel": "C1",
                                                  "thread": "t2"}  # not direct, no raw
    direct = dataclasses.replace(encoded, conversation=encode_conversation(
        Conversation(id="D1", channel="D1", is_direct=True, raw={"team": "T1"})))
    assert direct.to_store()["conversation"] == direct.conversation
    for r in (bare, full, encoded, direct):
        stored = json.loads(json.dumps(r.to_store()))
        assert ThreadRecord.from_dict(stored) == r
        assert ThreadRecord.from_dict(stored).to_dict() == r.to_dict()  # the API shape
