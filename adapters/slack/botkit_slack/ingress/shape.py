"""Is a signed body a Slack payload botkit and Bolt can read? A cheap structural check.

Slack signs what it sends, so a body that passes the signature check but is malformed is a
bug or an attack with a leaked secret; either way it must get a 4xx at once, never reach
code that indexes into it (a 500, which Slack retries) or wait for an ack that never comes.
The check covers the fields Bolt's context builder, matchers and botkit's listeners read:
objects must be objects, ids and texts must be text, lists must hold objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["payload_problem"]

_TEXT = ("type", "team_id", "api_app_id", "enterprise_id", "token", "trigger_id",
         "response_url", "command", "user_id", "channel_id", "text", "callback_id",
         "event_id", "context_team_id", "context_enterprise_id")
_EVENT_TEXT = ("type", "subtype", "user", "user_id", "channel", "channel_type", "ts",
               "thread_ts", "event_ts", "text", "team", "user_team", "bot_id", "tab",
               "deleted_ts", "function_execution_id", "bot_access_token")
_OBJECTS = ("message", "previous_message", "container", "view", "assistant_thread", "item",
            "function_data", "workflow_step", "state", "bot_profile")
_ID_OBJECTS = ("user", "channel", "team", "enterprise")  # an id string, or {"id": "…"}
_LISTS = ("authorizations", "actions", "response_urls", "files", "blocks")


def _text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _object_problem(where: str, obj: Mapping[str, Any], texts: tuple[str, ...]) -> str | None:
    for key in texts:
        if not _text(obj.get(key)):
            return f"{where}{key} is not text"
    for key in _OBJECTS:
        value = obj.get(key)
        if key in obj and value is None:  # Slack leaves an object out; Bolt reads a null's keys
            return f"{where}{key} is null"
        if value is not None and not isinstance(value, Mapping):
            return f"{where}{key} is not an object"
        if isinstance(value, Mapping):
            for inner in ("type", "ts", "thread_ts", "user", "channel", "channel_id",
                          "message_ts", "team", "callback_id", "subtype", "bot_id"):
                if not _text(value.get(inner)):
                    return f"{where}{key}.{inner} is not text"
    for key in _ID_OBJECTS:
        value = obj.get(key)
        if isinstance(value, Mapping):
            if not _text(value.get("id")):
                return f"{where}{key}.id is not text"
        elif not _text(value):
            return f"{where}{key} is neither an id nor an object"
    for key in _LISTS:
        value = obj.get(key)
        if value is not None and (not isinstance(value, list) or
                                  not all(isinstance(v, Mapping) for v in value)):
            return f"{where}{key} is not a list of objects"
    return None


def payload_problem(body: Any) -> str | None:
    """What is wrong with ``body`` as a Slack payload, or None when it is usable."""
    if not isinstance(body, Mapping):
        return f"the body is a JSON {type(body).__name__}, not an object"
    problem = _object_problem("", body, _TEXT)
    if problem is not None:
        return problem
    kind = body.get("type")
    if kind == "event_callback" or "event" in body:
        event = body.get("event")
        if not isinstance(event, Mapping) or not isinstance(event.get("type"), str):
            return "event is not an event object"
        problem = _object_problem("event.", event, _EVENT_TEXT)
        if problem is not None:
            return problem
    if kind == "block_actions":
        user = body.get("user")
        if not isinstance(user, Mapping) or not isinstance(user.get("id"), str):
            return "user is not a user object"
        for action in body.get("actions") or ():
            for key in ("action_id", "block_id", "type", "action_ts"):
                if not _text(action.get(key)):
                    return f"actions[].{key} is not text"
    for item in body.get("response_urls") or ():
        if not _text(item.get("response_url")):
            return "response_urls[].response_url is not text"
    return None
