"""auth.test, users.info / list / lookupByEmail, team.info, bots.info."""

from __future__ import annotations

from .args import ApiRequest
from .core import Core
from .errors import ApiError
from .models import JSON
from .registry import Table
from .store import decode_cursor, encode_cursor

METHODS = Table()


@METHODS.method("auth.test")
async def auth_test(core: Core, req: ApiRequest) -> JSON:
    user = core.ws.users[req.actor.user_id]
    body: JSON = {
        "url": f"https://{core.ws.domain}.slack.com/",
        "team": core.ws.name,
        "user": user.name,
        "team_id": core.ws.team_id,
        "user_id": user.id,
    }
    if req.actor.app is not None:
        body.update(
            bot_id=req.actor.app.bot_id, app_id=req.actor.app.app_id, app_name=req.actor.app.name
        )
    body["is_enterprise_install"] = False
    return body


@METHODS.method("users.info")
async def users_info(core: Core, req: ApiRequest) -> JSON:
    user = core.ws.users.get(req.required("user"))
    if user is None:
        raise ApiError("user_not_found")
    body = user.to_api()
    if req.get_bool("include_locale"):
        body["locale"] = "en-US"
    return {"user": body}


@METHODS.method("users.list")
async def users_list(core: Core, req: ApiRequest) -> JSON:
    users = sorted(core.ws.users.values(), key=lambda u: u.id)
    start = 0
    if req.has("cursor"):
        marker = decode_cursor(req.required("cursor"), "user")
        ids = [u.id for u in users]
        if marker not in ids:
            raise ApiError("invalid_cursor")
        start = ids.index(marker)
    limit = req.get_int("limit", 0)
    end = len(users) if limit <= 0 else start + limit
    next_cursor = encode_cursor("user", users[end].id) if end < len(users) else ""
    return {
        "members": [u.to_api() for u in users[start:end]],
        "cache_ts": int(core.clock.now()),
        "response_metadata": {"next_cursor": next_cursor},
    }


@METHODS.method("users.lookupByEmail")
async def lookup_by_email(core: Core, req: ApiRequest) -> JSON:
    email = req.required("email").strip().lower()
    for user in core.ws.users.values():
        if user.email and user.email.lower() == email:
            return {"user": user.to_api()}
    raise ApiError("users_not_found")


@METHODS.method("team.info")
async def team_info(core: Core, req: ApiRequest) -> JSON:
    ws = core.ws
    return {
        "team": {
            "id": ws.team_id,
            "name": ws.name,
            "domain": ws.domain,
            "email_domain": "example.com",
            "icon": {"image_default": True},
            "url": f"https://{ws.domain}.slack.com/",
        }
    }


@METHODS.method("bots.info")
async def bots_info(core: Core, req: ApiRequest) -> JSON:
    bot_id = req.required("bot")
    for app in core.ws.apps.values():
        if app.bot_id == bot_id:
            return {
                "bot": {
                    "id": app.bot_id,
                    "deleted": False,
                    "name": app.name,
                    "updated": app.updated,
                    "app_id": app.app_id,
                    "user_id": app.bot_user_id,
                    "icons": {},
                }
            }
    raise ApiError("bot_not_found")
