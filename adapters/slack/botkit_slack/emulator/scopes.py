"""OAuth scopes: what each Web API method needs from a bot token, and ``missing_scope``.

An app declares its bot scopes (``SlackEmulator(scopes=...)``, default :data:`ALL_BOT_SCOPES`);
a bot-token call to a method whose scope is not granted answers
``{"ok": false, "error": "missing_scope", "needed": ..., "provided": ...}`` as Slack does.
Conversation methods need the scope of the conversation's type (``channels:history`` for a
public channel, ``im:history`` for a DM...). User and app-level tokens are not checked.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ApiError
from .models import JSON, Actor, ChannelKind

_KIND_PREFIX: dict[ChannelKind, str] = {
    "public": "channels",
    "private": "groups",
    "im": "im",
    "mpim": "mpim",
}
#: Methods whose scope depends on the conversation type: ``{prefix}:{suffix}``.
_BY_KIND = {
    "conversations.history": "history",
    "conversations.replies": "history",
    "conversations.info": "read",
    "conversations.members": "read",
}
#: Any one of the listed scopes is enough (``setStatus`` takes chat:write since 2026-03-05).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.startStream": ("chat:write",),
    "chat.appendStream": ("chat:write",),
    "chat.stopStream": ("chat:write",),
    "chat.scheduleMessage": ("chat:write",),
    "chat.scheduledMessages.list": ("chat:write",),
    "chat.deleteScheduledMessage": ("chat:write",),
    "conversations.list": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.open": ("im:write", "mpim:write"),
    "conversations.join": ("channels:join",),
    "users.info": ("users:read",),
    "users.list": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
    "users.conversations": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "team.info": ("team:read",),
    "bots.info": ("users:read",),
    "files.getUploadURLExternal": ("files:write",),
    "files.completeUploadExternal": ("files:write",),
    "files.info": ("files:read",),
    "reactions.add": ("reactions:write",),
    "reactions.remove": ("reactions:write",),
    "reactions.get": ("reactions:read",),
    "assistant.threads.setStatus": ("assistant:write", "chat:write"),
    "assistant.threads.setSuggestedPrompts": ("assistant:write",),
    "assistant.threads.setTitle": ("assistant:write",),
}
ALL_BOT_SCOPES: frozenset[str] = frozenset(
    {scope for scopes in METHOD_SCOPES.values() for scope in scopes}
    | {f"{prefix}:{suffix}" for prefix in _KIND_PREFIX.values() for suffix in ("history", "read")}
    | {"app_mentions:read"}
)


def needed_scopes(method: str, kind: ChannelKind | None) -> tuple[str, ...]:
    """The scopes (any one suffices) ``method`` needs; ``()`` when it needs none."""
    suffix = _BY_KIND.get(method)
    if suffix is not None:
        if kind is None:
            return ()
        return (f"{_KIND_PREFIX[kind]}:{suffix}",)
    return METHOD_SCOPES.get(method, ())


def check_scopes(method: str, actor: Actor, kind: ChannelKind | None) -> None:
    """Raise ``missing_scope`` when a bot token lacks what ``method`` needs."""
    if actor.kind != "bot" or actor.app is None:
        return
    needed = needed_scopes(method, kind)
    granted = actor.app.scopes
    if needed and not granted.intersection(needed):
        raise ApiError("missing_scope", needed=",".join(needed), provided=",".join(sorted(granted)))


def channel_kind(args: JSON, channels: Mapping[str, object]) -> ChannelKind | None:
    """The kind of the conversation named by ``channel`` (``None`` when unknown)."""
    ref = args.get("channel")
    channel = channels.get(ref) if isinstance(ref, str) else None
    kind = getattr(channel, "kind", None)
    return kind if kind in _KIND_PREFIX else None
