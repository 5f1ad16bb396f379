"""Wire helpers shared by the HTTP backends: SSE framing, lenient AG-UI decoding, safe URLs.

``iter_sse`` turns a stream of lines into the ``data`` payloads of Server-Sent Events
(``event:``/``id:``/``retry:`` fields and ``:`` comments ignored, multi-line data joined by
``\\n``). ``EventDecoder`` validates one AG-UI event per payload and follows the protocol's
tolerance rules: unknown event types, unknown ``RUN_FINISHED`` outcomes and messages of
unknown roles in a snapshot are dropped with a warning; a malformed known event is fatal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import ag_ui.core as agui
import httpx
from pydantic import TypeAdapter, ValidationError

from botkit.errors import AgentError

__all__ = ["EventDecoder", "error_detail", "iter_sse", "safe_url"]

log = logging.getLogger("botkit.agents")

_EVENT_ADAPTER: TypeAdapter[Any] = TypeAdapter(agui.Event)
_KNOWN_TYPES = frozenset(t.value for t in agui.EventType)
_KNOWN_OUTCOMES = frozenset({"success", "interrupt", "cancelled"})
_KNOWN_ROLES = frozenset({"developer", "system", "assistant", "user", "tool", "activity",
                          "reasoning"})
_LEGACY_THINKING = "THINKING_"


async def iter_sse(lines: AsyncIterator[str]) -> AsyncGenerator[str, None]:
    """Yield the data of each SSE event read from ``lines`` (line endings stripped)."""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:  # a last event without its blank line: still deliver it
        yield "\n".join(data)


class EventDecoder:
    """Decodes the events of one run; warns once per kind of thing it drops."""

    def __init__(self, source: str = "the agent") -> None:
        self.source = source
        self._warned: set[str] = set()

    def _warn(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)

    def decode(self, data: str) -> agui.BaseEvent | None:
        """One SSE payload → an event, or None when it is to be skipped."""
        try:
            raw = json.loads(data)
        except json.JSONDecodeError as exc:
            raise AgentError(f"{self.source} sent malformed JSON ({exc.msg} at "
                             f"position {exc.pos}): {data[:120]!r}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
            raise AgentError(f"{self.source} sent an event without a type: {data[:120]!r}")
        kind: str = raw["type"]
        if kind not in _KNOWN_TYPES:
            if kind.startswith(_LEGACY_THINKING):
                self._warn(kind, "skipping legacy %s events (AG-UI 0.x reasoning)", kind)
            else:
                self._warn(kind, "skipping unknown AG-UI event type %r", kind)
            return None
        if kind == "RUN_FINISHED":
            self._strip_unknown_outcome(raw)
        elif kind == "MESSAGES_SNAPSHOT":
            self._strip_unknown_roles(raw)
        try:
            event: agui.BaseEvent = _EVENT_ADAPTER.validate_python(raw)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(x) for x in first["loc"][1:]) or "event"
            raise AgentError(f"{self.source} sent an invalid {kind} event "
                             f"({where}: {first['msg']})") from None
        if isinstance(event, agui.RunStartedEvent):
            self._check_version(event)
        return event

    def _strip_unknown_outcome(self, raw: dict[str, Any]) -> None:
        outcome = raw.get("outcome")
        kind = outcome.get("type") if isinstance(outcome, dict) else None
        if outcome is not None and kind not in _KNOWN_OUTCOMES:
            self._warn(f"outcome:{kind}", "unknown RUN_FINISHED outcome %r read as success",
                       kind)
            del raw["outcome"]

    def _strip_unknown_roles(self, raw: dict[str, Any]) -> None:
        messages = raw.get("messages")
        if not isinstance(messages, list):
            return
        kept = [m for m in messages if not isinstance(m, dict) or m.get("role") in _KNOWN_ROLES]
        if len(kept) != len(messages):
            self._warn("roles", "dropping %d snapshot message(s) of unknown roles",
                       len(messages) - len(kept))
            raw["messages"] = kept

    def _check_version(self, event: agui.RunStartedEvent) -> None:
        version = getattr(event, "protocol_version", None)
        if not version:
            return
        major = str(version).split(".")[0]
        if not major.isdigit() or int(major) > int(agui.PROTOCOL_VERSION.split(".")[0]):
            self._warn("version", "%s speaks AG-UI %s (botkit speaks %s); proceeding",
                       self.source, version, agui.PROTOCOL_VERSION)


def safe_url(url: str | httpx.URL) -> str:
    """``url`` without credentials, query or fragment: safe for messages and logs."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}{parsed.path}"


def error_detail(body: bytes, limit: int = 300) -> str:
    """The useful part of an HTTP error body (JSON ``detail`` / ``error.message`` / text)."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        data = json.loads(text)
    except ValueError:
        return _clip(" ".join(text.split()), limit)
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and "message" in error:
            data = error["message"]
        elif isinstance(error, str):
            data = error
        elif "detail" in data:
            data = data["detail"]
        elif "message" in data:
            data = data["message"]
    if isinstance(data, list) and data and all(isinstance(d, dict) and "msg" in d for d in data):
        data = "; ".join(f"{'.'.join(str(x) for x in d.get('loc', ()))}: {d['msg']}"
                         for d in data)
    return _clip(data if isinstance(data, str) else json.dumps(data), limit)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
