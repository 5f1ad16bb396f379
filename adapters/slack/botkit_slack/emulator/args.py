"""Web API request parsing: arguments from query, form, JSON and multipart bodies, and the token.

Slack's clients disagree on where arguments go: ``AsyncWebClient`` sends GET query strings,
POSTs with arguments in the query string and an empty body, or JSON bodies; ``WebClient`` always
POSTs forms or JSON; other SDKs send ``blocks``/``metadata`` as JSON strings inside forms.
Everything is merged here.
"""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from .errors import ApiError, missing
from .models import JSON, Actor

_TRUE = {"1", "true", "True", "TRUE", "yes"}
_FALSE = {"0", "false", "False", "FALSE", "no", ""}


async def read_args(request: web.Request) -> tuple[JSON, str | None]:
    """Merged arguments (body wins over query) and the token from the header or a ``token`` arg."""
    args: JSON = dict(request.query)
    if request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise ApiError("invalid_json") from exc
                if not isinstance(body, dict):
                    raise ApiError("invalid_json")
                args.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form: MultiDictProxy[Any] = await request.post()
            for key, value in form.items():
                if hasattr(value, "file"):
                    args[key] = value.file.read()
                else:
                    args[key] = value
        elif ctype and ctype not in ("text/plain", "application/octet-stream"):
            raise ApiError("invalid_post_type")
    token: str | None = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        token = header[7:].strip() or None
    elif header.lower().startswith("basic "):  # OAuth: client id and secret
        with contextlib.suppress(ValueError):
            client_id, _, secret = base64.b64decode(header[6:].strip()).decode().partition(":")
            args.setdefault("client_id", client_id)
            args.setdefault("client_secret", secret)
    body_token = args.pop("token", None)
    if token is None and isinstance(body_token, str) and body_token:
        token = body_token
    return args, token


def as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    raise ApiError("invalid_arguments", detail=f"not a boolean: {value!r}")


class ApiRequest:
    """A parsed Web API call: method name, merged args and the resolved caller."""

    def __init__(self, method: str, args: JSON, actor: Actor, base_url: str) -> None:
        self.method = method
        self.args = args
        self.actor = actor
        self.base_url = base_url

    def has(self, name: str) -> bool:
        value = self.args.get(name)
        return value is not None and value != ""

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.args.get(name)
        if value is None:
            return default
        if isinstance(value, bytes):
            return value.decode("utf-8", "replace")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)

    def required(self, name: str) -> str:
        value = self.get_str(name)
        if value is None or value == "":
            raise missing(name)
        return value

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.args.get(name)
        return default if value is None else as_bool(value)

    def get_int(self, name: str, default: int) -> int:
        value = self.args.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise ApiError("invalid_arguments", detail=f"{name} must be an integer") from exc

    def get_json(self, name: str, error: str = "invalid_arguments") -> Any:
        """A structured argument, JSON-decoded when it came as a string; ``None`` when absent."""
        value = self.args.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError as exc:
                raise ApiError(error) from exc
        return value

    def get_list(self, name: str) -> list[str]:
        """A comma-separated (or JSON array) list argument."""
        value = self.args.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return [str(v) for v in value]
        text = self.get_str(name) or ""
        if text.startswith("["):
            decoded = self.get_json(name)
            return [str(v) for v in decoded]
        return [part.strip() for part in text.split(",") if part.strip()]
