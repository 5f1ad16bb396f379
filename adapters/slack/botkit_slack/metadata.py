"""The message metadata the bot writes: its tool calls and results, and a "status" flag.

Slack documents ``event_payload`` values as scalars, flat objects or arrays of flat objects,
so the agent messages (nested: ``toolCalls[].function``) travel JSON-encoded as text, cut
into ``agent_messages_1`` … ``agent_messages_N`` strings with ``agent_messages_parts: N``.
The records are shrunk (long results and arguments cut) to stay within ≈7 KB of JSON.
``decode`` reads them back, and also reads the nested form older versions wrote.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["AGENT_EVENT", "METADATA_BUDGET", "STATUS_EVENT", "decode", "encode", "fit_records"]

AGENT_EVENT = "botkit_agent_messages"
STATUS_EVENT = "botkit_status"
METADATA_BUDGET = 7000
PART_SIZE = 1500
_PARTS = "agent_messages_parts"


def encode(records: Sequence[Mapping[str, Any]], *, status: bool) -> dict[str, Any] | None:
    """The ``metadata`` argument for a message carrying ``records`` (None: no metadata)."""
    if records:
        text = json.dumps(list(records), separators=(",", ":"), default=str)
        parts = [text[i:i + PART_SIZE] for i in range(0, len(text), PART_SIZE)]
        payload: dict[str, Any] = {_PARTS: len(parts)}
        payload.update({f"agent_messages_{n}": part for n, part in enumerate(parts, 1)})
        if status:
            payload["status"] = True
        return {"event_type": AGENT_EVENT, "event_payload": payload}
    if status:
        return {"event_type": STATUS_EVENT, "event_payload": {"status": True}}
    return None


def decode(metadata: Any) -> tuple[tuple[Mapping[str, Any], ...], bool]:
    """(agent messages, status flag) from a message's ``metadata``; nothing when it is not
    botkit's or does not parse."""
    if not isinstance(metadata, Mapping) or \
            metadata.get("event_type") not in (AGENT_EVENT, STATUS_EVENT):
        return (), False
    payload = metadata.get("event_payload")
    if not isinstance(payload, Mapping):
        payload = {}
    status = bool(payload.get("status")) or metadata.get("event_type") == STATUS_EVENT
    return _records(payload), status


def _records(payload: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    count = payload.get(_PARTS)
    if isinstance(count, int) and not isinstance(count, bool) and 0 < count <= 1000:
        parts = [payload.get(f"agent_messages_{n}") for n in range(1, count + 1)]
        if not all(isinstance(p, str) for p in parts):
            return ()
        try:
            records: Any = json.loads("".join(parts))  # type: ignore[arg-type]
        except (ValueError, RecursionError):
            return ()
    else:
        records = payload.get("agent_messages")  # the nested form of earlier versions
    if not isinstance(records, list):
        return ()
    return tuple(r for r in records if isinstance(r, Mapping))


def fit_records(records: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Records shrunk (long tool results and arguments cut) to fit the metadata budget."""
    for cap in (None, 2000, 800, 300, 100):
        shrunk = records if cap is None else [_shrink(r, cap) for r in records]
        if len(json.dumps(shrunk, default=str)) <= METADATA_BUDGET:
            return shrunk
    return None


def _shrink(record: Mapping[str, Any], cap: int) -> dict[str, Any]:
    out = dict(record)
    if isinstance(out.get("content"), str) and len(out["content"]) > cap:
        out["content"] = out["content"][:cap] + "… [truncated]"
    calls = []
    for call in out.get("toolCalls") or ():
        call = {**call, "function": dict(call.get("function") or {})}
        args = call["function"].get("arguments")
        if isinstance(args, str) and len(args) > cap:
            call["function"]["arguments"] = json.dumps({"truncated": args[:cap]})
        calls.append(call)
    if calls:
        out["toolCalls"] = calls
    return out
