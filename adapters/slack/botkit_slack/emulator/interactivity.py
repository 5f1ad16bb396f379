"""Interactivity: ``block_actions`` built from stored messages, slash commands, ``trigger_id``s
(3 s, single use) and ``response_url``s (5 uses in 30 minutes) served by the emulator itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .. import limits as L
from .blocks import check_blocks
from .core import Core
from .errors import ApiError
from .models import JSON, Message, User
from .posting import delete, edit, new_message, publish
from .store import Channel

_ELEMENT_TYPES_WITH_VALUE = {"button", "workflow_button"}


@dataclass
class ResponseUrl:
    kind: str
    channel: str
    user: str
    issued_at: float
    message_ts: str | None = None
    ephemeral: bool = False
    thread_ts: str | None = None
    uses: int = 0


def _find_element(
    blocks: list[JSON], action_id: str | None, value: str | None
) -> tuple[JSON, JSON] | None:
    """The (block, element) that ``action_id`` / ``value`` designates; the first actionable one
    when neither is given."""
    for block in blocks:
        candidates: list[JSON] = []
        if block.get("type") in ("actions", "context_actions"):
            candidates = list(block.get("elements", []))
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            candidates = [block["accessory"]]
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            candidates = [block["element"]] if block.get("dispatch_action") else []
        for element in candidates:
            if "action_id" not in element and element.get("type") != "button":
                continue
            if action_id is not None and element.get("action_id") != action_id:
                continue
            if value is not None and not _has_value(element, value):
                continue
            return block, element
    return None


def _has_value(element: JSON, value: str) -> bool:
    if element.get("value") == value:
        return True
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    return any(o.get("value") == value for o in options) or element.get("type") in (
        "users_select",
        "conversations_select",
        "channels_select",
        "datepicker",
        "timepicker",
        "plain_text_input",
        "external_select",
    )


def action_for(element: JSON, block: JSON, value: str | None, action_ts: str) -> JSON:
    kind = element.get("type", "button")
    action: JSON = {
        "action_id": element.get("action_id", ""),
        "block_id": block.get("block_id", ""),
        "type": kind,
        "action_ts": action_ts,
    }
    if kind in _ELEMENT_TYPES_WITH_VALUE:
        action["text"] = element.get("text")
        if "value" in element:
            action["value"] = element["value"]
        if "style" in element:
            action["style"] = element["style"]
        return action
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options.extend(group.get("options", []))
    chosen = next((o for o in options if o.get("value") == value), options[0] if options else None)
    if kind in ("static_select", "external_select", "overflow", "radio_buttons"):
        action["selected_option"] = chosen
    elif kind in ("multi_static_select", "checkboxes"):
        action["selected_options"] = [chosen] if chosen else []
    elif kind == "users_select":
        action["selected_user"] = value
    elif kind in ("conversations_select", "channels_select"):
        action["selected_" + ("conversation" if kind.startswith("conv") else "channel")] = value
    elif kind == "datepicker":
        action["selected_date"] = value
    elif kind == "timepicker":
        action["selected_time"] = value
    elif kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        action["value"] = value
    if "placeholder" in element:
        action["placeholder"] = element["placeholder"]
    return action


class Interactivity:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.triggers: dict[str, float] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.responses: list[JSON] = []

    def new_trigger(self) -> str:
        now = self.core.clock.now()
        trigger = f"{int(now)}.{int(now * 1000) % 1_000_000}.{self.core.ids.secret(16)}"
        self.triggers[trigger] = now
        return trigger

    def use_trigger(self, trigger: str) -> None:
        issued = self.triggers.pop(trigger, None)
        if issued is None:
            raise ApiError("invalid_trigger_id")
        if self.core.clock.now() - issued > self.core.config.trigger_ttl:
            raise ApiError("expired_trigger_id")

    def new_response_url(self, kind: str, channel: str, user: str, **fields: Any) -> str:
        key = self.core.ids.secret(12)
        self.response_urls[key] = ResponseUrl(kind, channel, user, self.core.clock.now(), **fields)
        return f"{self.core.root_url}hooks/{kind}/{self.core.ws.team_id}/{key}"

    def team(self) -> JSON:
        return {"id": self.core.ws.team_id, "domain": self.core.ws.domain}

    def user_ref(self, user: User) -> JSON:
        return {"id": user.id, "username": user.name, "name": user.name, "team_id": user.team_id}

    def block_actions(
        self,
        channel: Channel,
        message: Message,
        user: User,
        action_id: str | None,
        value: str | None,
    ) -> JSON:
        found = _find_element(message.blocks or [], action_id, value)
        if found is None:
            raise LookupError(f"no element matches action_id={action_id!r} value={value!r}")
        block, element = found
        ephemeral = message.ephemeral_for is not None
        action_ts = f"{self.core.clock.now():.6f}"
        payload: JSON = {
            "type": "block_actions",
            "user": self.user_ref(user),
            "api_app_id": self.core.app.app_id,
            "token": self.core.verification_token,
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": channel.id,
                "is_ephemeral": ephemeral,
            },
            "trigger_id": self.new_trigger(),
            "team": self.team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel.id, "name": channel.name},
            "state": {"values": {}},
            "response_url": self.new_response_url(
                "actions",
                channel.id,
                user.id,
                message_ts=message.ts,
                ephemeral=ephemeral,
                thread_ts=message.thread_ts,
            ),
            "actions": [action_for(element, block, value, action_ts)],
        }
        if not ephemeral:
            payload["message"] = self.core.ws.render(channel, message, include_metadata=False)
        if message.thread_ts:
            payload["container"]["thread_ts"] = message.thread_ts
        return payload

    def slash_fields(self, command: str, text: str, user: User, channel: Channel) -> dict[str, str]:
        return {
            "token": self.core.verification_token,
            "team_id": self.core.ws.team_id,
            "team_domain": self.core.ws.domain,
            "channel_id": channel.id,
            "channel_name": channel.name if channel.kind != "im" else "directmessage",
            "user_id": user.id,
            "user_name": user.name,
            "command": command if command.startswith("/") else "/" + command,
            "text": text,
            "api_app_id": self.core.app.app_id,
            "is_enterprise_install": "false",
            "response_url": self.new_response_url("commands", channel.id, user.id),
            "trigger_id": self.new_trigger(),
        }

    # -- responding -----------------------------------------------------------------------------
    async def handle_hook(self, request: web.Request) -> web.Response:
        entry = self.response_urls.get(request.match_info["key"])
        if entry is None:
            return web.json_response({"ok": False, "error": "invalid_url"}, status=404)
        if self.core.clock.now() - entry.issued_at > self.core.config.response_url_ttl:
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        if entry.uses >= self.core.config.response_url_max_uses:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        raw = await request.text()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        if not isinstance(body, dict):
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        entry.uses += 1
        team = request.match_info.get("team", "")
        try:
            if team in self.core.workspaces:
                with self.core.in_team(team):
                    self.respond(entry, body)
            else:
                self.respond(entry, body)
        except ApiError as exc:
            return web.json_response(exc.body(), status=400)
        return web.json_response({"ok": True})

    def respond(self, entry: ResponseUrl, body: JSON) -> Message | None:
        """Apply a response (``response_url`` body or an immediate slash-command reply)."""
        core = self.core
        self.responses.append({"kind": entry.kind, "channel": entry.channel, "body": body})
        channel = core.ws.channel(entry.channel)
        original = channel.messages.get(entry.message_ts or "")
        if original is None and entry.ephemeral:
            original = next((m for m in core.ws.ephemerals if m.ts == entry.message_ts), None)
        if body.get("delete_original") and original is not None:
            delete(core, channel, original)
            return None
        blocks = check_blocks(body.get("blocks"))
        text = str(body.get("text", ""))[: L.MAX_MESSAGE_TEXT]  # cut like chat.postMessage
        if body.get("replace_original") and original is not None:
            edit(core, channel, original, editor=None, text=text, blocks=blocks)
            return original
        if not text and not blocks:
            return None
        thread_ts = body.get("thread_ts") or entry.thread_ts
        message = new_message(
            core, channel, app=core.app, text=text, blocks=blocks, thread_ts=thread_ts
        )
        if body.get("response_type") == "in_channel":
            return publish(core, channel, message)
        message.ephemeral_for = entry.user
        core.ws.ephemerals.append(message)
        core.changed("ephemeral", message)
        return message
