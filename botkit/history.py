"""Platform history → the agent's message list. The rules live here, once.

Adapters only supply their platform's messages (``ThreadMessage``, oldest first). Every
``run_agent`` rebuilds the agent's history from them, so the platform stays the source of
truth and a restarted bot forgets nothing:

- the bot's own messages become ``assistant``; everyone else's ``user``, author name kept;
- @-mentions of the bot are stripped from user text;
- consecutive text chunks of one bot reply are folded into one message;
- bot status lines ("thinking…", tool progress) are dropped;
- tool calls and results the bot recorded with a message are restored in place, and any
  tool call left without a result (a crash mid-tool) gets an error result, so the agent
  never sees a dangling call;
- attached files become content parts (text decoded, images inline, others as a note).
"""

from __future__ import annotations

import base64
import functools
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botkit.types import Attachment, PlatformUser, ThreadMessage

__all__ = ["MAX_TEXT_ATTACHMENT_BYTES", "build_agent_messages", "strip_mentions", "tool_result"]

MAX_TEXT_ATTACHMENT_BYTES = 200 * 1024
MAX_INLINE_ATTACHMENT_BYTES = 8 * 1024 * 1024
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-ndjson",
               "application/yaml", "application/x-yaml", "application/csv")
_MEDIA_TYPES = {"image": "image", "audio": "audio", "video": "video",
                "application/pdf": "document"}

AgentMessage = dict[str, Any]


def tool_result(call_id: str, content: str | None = None, *, error: str | None = None
                ) -> AgentMessage:
    """The AG-UI tool message answering ``call_id``: ``content`` as the model reads it, or,
    for a failed call, ``error`` (the model reads ``{"error": "<error>"}``). Every tool
    result botkit makes comes from here."""
    text = content if content is not None else json.dumps({"error": error or "failed"})
    message: AgentMessage = {"id": f"result-{call_id}", "role": "tool", "toolCallId": call_id,
                             "content": text}
    if error:
        message["error"] = error
    return message


_SPACES = re.compile(r"[ \t]{2,}")


@functools.lru_cache(maxsize=64)
def _mention_patterns(bot_id: str, names: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """The bot's mentions as compiled patterns (compiled once per bot, not per message)."""
    return (re.compile(rf"<@{re.escape(bot_id)}(\|[^>]*)?>"),
            *(re.compile(rf"(?<![\w@])@{re.escape(name)}\b", re.IGNORECASE)
              for name in names))


def strip_mentions(text: str, bot: PlatformUser | None) -> str:
    """Remove @-mentions of the bot (``<@U123>``, ``<@U123|name>``, ``@name``)."""
    if bot is None:
        return text.strip()
    names = tuple(sorted({n for n in (bot.name, bot.handle) if n}))
    for pattern in _mention_patterns(bot.id, names):
        text = pattern.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _is_own(message: ThreadMessage, bot: PlatformUser | None) -> bool:
    if not message.is_bot:
        return False
    return bot is None or message.user is None or message.user.id == bot.id


def _attachment_parts(attachment: Attachment) -> list[dict[str, Any]]:
    size = len(attachment.data) if attachment.data is not None else attachment.size
    note = f"[attachment: {attachment.name} ({attachment.mime_type}"
    note += f", {size} bytes)]" if size is not None else ")]"
    data = attachment.data
    if data is None:
        return [{"type": "text", "text": note}]
    if attachment.mime_type.startswith(_TEXT_TYPES):
        clipped = data[:MAX_TEXT_ATTACHMENT_BYTES].decode("utf-8", errors="replace")
        more = " (truncated)" if len(data) > MAX_TEXT_ATTACHMENT_BYTES else ""
        return [{"type": "text", "text": f"{note}{more}\n{clipped}"}]
    kind = _MEDIA_TYPES.get(attachment.mime_type) or _MEDIA_TYPES.get(
        attachment.mime_type.split("/")[0]
    )
    if kind is None or len(data) > MAX_INLINE_ATTACHMENT_BYTES:
        return [{"type": "text", "text": note + " (not included)"}]
    source = {"type": "data", "value": base64.b64encode(data).decode(),
              "mimeType": attachment.mime_type}
    return [{"type": "text", "text": note}, {"type": kind, "source": source}]


def _user_message(message: ThreadMessage, bot: PlatformUser | None) -> AgentMessage | None:
    text = strip_mentions(message.text, bot)
    parts = [p for a in message.attachments for p in _attachment_parts(a)]
    if not text and not parts:
        return None
    result: AgentMessage = {"id": message.id, "role": "user"}
    result["content"] = [{"type": "text", "text": text}, *parts] if parts else text
    if message.user is not None:
        result["name"] = message.user.display_name
    return result


def _close_dangling_calls(messages: list[AgentMessage]) -> list[AgentMessage]:
    answered = {m.get("toolCallId") for m in messages if m.get("role") == "tool"}
    out: list[AgentMessage] = []
    for m in messages:
        out.append(m)
        for call in m.get("toolCalls") or ():
            if call["id"] not in answered:
                out.append(tool_result(call["id"], error="no result was recorded for this "
                                       "tool call (it was interrupted)"))
                answered.add(call["id"])
    return out


def build_agent_messages(
    history: Sequence[ThreadMessage], *, bot: PlatformUser | None
) -> list[AgentMessage]:
    """Translate platform history (oldest first) into AG-UI message dicts (wire shape)."""
    messages: list[AgentMessage] = []
    folding = False  # the last message is bot text that the next bot chunk may extend
    for item in history:
        if item.agent_messages:
            messages.extend(dict(m) for m in _valid_records(item.agent_messages))
            folding = False
        if item.is_status:
            continue
        if _is_own(item, bot):
            text = item.text.strip()
            if not text:
                continue
            if folding:
                messages[-1]["content"] += "\n" + text
            else:
                messages.append({"id": item.id, "role": "assistant", "content": text})
                folding = True
            continue
        folding = False
        user_message = _user_message(item, bot)
        if user_message is not None:
            messages.append(user_message)
    return _close_dangling_calls(messages)


def _valid_records(records: Iterable[Mapping[str, Any]]) -> Iterable[Mapping[str, Any]]:
    for record in records:
        if isinstance(record, Mapping) and record.get("role") in {"assistant", "tool"}:
            yield record


def new_message_id() -> str:
    return uuid.uuid4().hex
