"""The OAuth v2 install flow: the authorize page, ``oauth.v2.access``, ``apps.uninstall`` and
``auth.revoke``.

``GET /oauth/v2/authorize?client_id=…&scope=…&redirect_uri=…&state=…[&team=T…]`` installs the
app in the team (the first one unless ``team`` is given) as its first person would by clicking
"Allow" (the emulator shows no consent page), granting the requested bot scopes, and redirects
to ``redirect_uri`` with ``code`` and ``state``. ``oauth.v2.access`` trades the code (once,
within 10 minutes) for the team's bot token, authenticated by the client id and secret.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from .args import ApiRequest
from .core import Core
from .errors import ApiError
from .models import JSON
from .registry import Table
from .teams import install, revoke, uninstall

METHODS = Table()
CODE_TTL = 600.0


@dataclass
class Grant:
    team_id: str
    user_id: str
    redirect_uri: str
    scopes: frozenset[str]
    issued_at: float
    used: bool = False


@dataclass
class OAuthApp:
    """The app's OAuth credentials and its outstanding codes."""

    client_id: str
    client_secret: str
    redirect_uri: str | None = None
    """Used when the authorize URL names none (the app's configured Redirect URL)."""

    def __post_init__(self) -> None:
        self.grants: dict[str, Grant] = {}


def _page(status: int, message: str) -> web.Response:
    body = f"<!doctype html><title>Slack emulator</title><p>{message}</p>"
    return web.Response(status=status, text=body, content_type="text/html")


async def authorize(core: Core, request: web.Request) -> web.StreamResponse:
    """The install page: checks the client, installs, and redirects back with a code."""
    oauth = core.oauth
    query = request.query
    if query.get("client_id") != oauth.client_id:
        return _page(400, "invalid_client_id: this app is not known here")
    redirect_uri = query.get("redirect_uri") or oauth.redirect_uri
    if not redirect_uri:
        return _page(400, "bad_redirect_uri: no redirect_uri and no configured Redirect URL")
    team_id = query.get("team") or core.primary.team_id
    ws = core.workspaces.get(team_id)
    if ws is None:
        return _page(400, "invalid_team: no such workspace")
    requested = frozenset(s for s in query.get("scope", "").split(",") if s)
    humans = [u for u in ws.users.values() if not u.is_bot]
    installer = query.get("user") or (humans[0].id if humans else "USLACKBOT")
    code = f"{int(time.time())}.{core.ids.secret(16)}"
    oauth.grants[code] = Grant(team_id, installer, redirect_uri, requested, core.clock.now())
    back = {"code": code, **({"state": query["state"]} if "state" in query else {})}
    separator = "&" if "?" in redirect_uri else "?"
    raise web.HTTPFound(redirect_uri + separator + urlencode(back))


def _client(core: Core, req: ApiRequest) -> None:
    if req.get_str("client_id") != core.oauth.client_id:
        raise ApiError("invalid_client_id")
    if req.get_str("client_secret") != core.oauth.client_secret:
        raise ApiError("bad_client_secret")


@METHODS.method("oauth.v2.access", public=True)
async def oauth_access(core: Core, req: ApiRequest) -> JSON:
    _client(core, req)
    grant = core.oauth.grants.get(req.required("code"))
    if grant is None or grant.used or core.clock.now() - grant.issued_at > CODE_TTL:
        raise ApiError("invalid_code")
    redirect_uri = req.get_str("redirect_uri")
    if redirect_uri and redirect_uri != grant.redirect_uri:
        raise ApiError("bad_redirect_uri")
    grant.used = True
    ws = core.workspaces[grant.team_id]
    with core.in_team(ws.team_id):
        app = install(core, ws, scopes=grant.scopes or None)
        core.changed("installed", ws)
        return {
            "access_token": app.token,
            "token_type": "bot",
            "scope": ",".join(sorted(app.scopes)),
            "bot_user_id": app.bot_user_id,
            "app_id": app.app_id,
            "team": {"id": ws.team_id, "name": ws.name},
            "enterprise": None,
            "authed_user": {"id": grant.user_id},
            "is_enterprise_install": False,
        }


@METHODS.method("apps.uninstall", public=True)
async def apps_uninstall(core: Core, req: ApiRequest) -> JSON:
    """Uninstall from the token's team (the client id and secret authenticate the app)."""
    _client(core, req)
    ws = core.team_of_token(req.actor.token)
    if ws is None:
        raise ApiError("invalid_auth")
    uninstall(core, ws)
    return {}


@METHODS.method("auth.revoke")
async def auth_revoke(core: Core, req: ApiRequest) -> JSON:
    """Revoke the calling token (``test=true`` only says it would)."""
    if not req.get_bool("test"):
        revoke(core, core.ws, [req.actor.token])
    return {"revoked": not req.get_bool("test")}
