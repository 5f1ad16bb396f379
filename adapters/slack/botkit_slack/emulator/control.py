"""The emulator's control API over HTTP, under ``/_emulator/`` (JSON in, JSON out).

Lets other processes (benchmarks, bots in other languages, a person with curl) drive the emulator::

    GET  /_emulator/                      identity: base_url, tokens, signing secret, ids, endpoints
    GET  /_emulator/state                 users and channels
    POST /_emulator/user_says             {"user", "text", "channel"?, "thread_ts"?, "broadcast"?}
    POST /_emulator/edit                  {"ts", "text", "channel"?}
    POST /_emulator/delete                {"ts", "channel"?}
    POST /_emulator/react                 {"user", "ts", "name"}
    POST /_emulator/click                 {"ts", "action_id"?, "value"?, "user"?, "channel"?}
    POST /_emulator/slash                 {"command", "text"?, "user"?, "channel"?}
    POST /_emulator/submit_view           {"view_id", "values"?, "user"?}
    POST /_emulator/seed/user             {"name", "email"?, "id"?, "real_name"?}
    POST /_emulator/seed/channel          {"name", "members"?, "private"?, "bot_member"?}
    POST /_emulator/seed/dm               {"user"}  -> {"channel"}
    POST /_emulator/seed/message          {"channel"?, "text", "user"?, "thread_ts"?, "bot"?}
    GET  /_emulator/messages              ?channel=&thread_ts=
    GET  /_emulator/ephemerals            ?user=
    GET  /_emulator/calls                 ?method=&since=
    GET  /_emulator/deliveries            ?kind=&since=
    GET  /_emulator/assistant             ?channel=&thread_ts=
    GET  /_emulator/views
    POST /_emulator/wait_for_message      {"channel"?, "thread_ts"?, "text"?, "user"?, "from_bot"?,
                                           "after"?, "timeout"?}   (408 on timeout)
    POST /_emulator/wait_for_call         {"method", "since"?, "timeout"?}
    POST /_emulator/events_to             {"url", "interactivity_url"?, "commands_url"?}
    POST /_emulator/verify_url            {"url"?}
    POST /_emulator/faults                {"method", "kind": ratelimited|status|error|slow|drop,
                                           "count"?, "status"?, "error"?, "retry_after"?, "delay"?}
    DELETE /_emulator/faults
    POST /_emulator/rate_limits           {"enabled"?, "scale"?, "non_marketplace"?}
    POST /_emulator/signing               {"mode": valid|bad_signature|stale_timestamp|unsigned}
    POST /_emulator/socket/disconnect     {"reason"?, "connection"?}
    POST /_emulator/clock/advance         {"seconds"}   (only with a FakeClock)
    POST /_emulator/reset
    POST /_emulator/app                   {"scopes"?: [...], "agent"?, "messages_tab"?}
    POST /_emulator/teams                 {"name"?, "team_id"?}  -> {"team_id", "bot_token"}
    POST /_emulator/uninstall             {"team"?}   (tokens_revoked, app_uninstalled)

Any request may name ``"team"`` (body or query) to act in that workspace instead of the first.
Errors answer ``{"ok": false, "error": "..."}`` with HTTP 400 (or 408 for a wait that timed out),
including a field of the wrong type (``{"user": 5}``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .clock import FakeClock
from .limiter import Fault

if TYPE_CHECKING:
    from .emulator import SlackEmulator

PREFIX = "/_emulator"
Route = Callable[[dict[str, Any]], Awaitable[Any]]

# body fields that must be text (or null) wherever they appear; "ts" may also be a message
TEXT_FIELDS = frozenset(
    {
        "user",
        "text",
        "channel",
        "thread_ts",
        "action_id",
        "command",
        "view_id",
        "name",
        "email",
        "id",
        "real_name",
        "method",
        "kind",
        "url",
        "interactivity_url",
        "commands_url",
        "mode",
        "reason",
        "after",
        "error",
        "team",
        "team_id",
    }
)


def _check_fields(body: dict[str, Any]) -> None:
    """Refuse a body field of the wrong JSON type with a message naming it."""
    for name, value in body.items():
        if value is None:
            continue
        if name in TEXT_FIELDS and not isinstance(value, str):
            raise TypeError(f'"{name}" must be a string, not {_json_type(value)}')
        if name == "ts" and not isinstance(value, str | dict):
            raise TypeError(f'"ts" must be a string (or a message object), not {_json_type(value)}')
        if name == "members" and not (
            isinstance(value, list) and all(isinstance(m, str) for m in value)
        ):
            raise TypeError('"members" must be a list of strings')


def _json_type(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "an array",
        dict: "an object",
        str: "a string",
    }
    return names.get(type(value), type(value).__name__)


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if hasattr(value, "to_json"):
        return value.to_json()
    if hasattr(value, "to_api"):
        return value.to_api()
    return str(value)


def _reply(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        text=json.dumps(body, default=_encode), status=status, content_type="application/json"
    )


class Control:
    def __init__(self, emulator: SlackEmulator) -> None:
        self.emu = emulator

    def install(self, app: web.Application) -> None:
        emu = self.emu
        posts: dict[str, Route] = {
            "user_says": lambda b: emu.user_says(
                b.get("user") or "alice",
                b["text"],
                b.get("channel"),
                b.get("thread_ts"),
                broadcast=bool(b.get("broadcast")),
            ),
            "edit": lambda b: emu.edit(b["ts"], b["text"], channel=b.get("channel")),
            "delete": self._delete,
            "react": self._react,
            "click": lambda b: emu.click(
                b["ts"],
                b.get("action_id"),
                b.get("value"),
                user=b.get("user"),
                channel=b.get("channel"),
            ),
            "slash": lambda b: emu.slash(
                b["command"], b.get("text", ""), user=b.get("user"), channel=b.get("channel")
            ),
            "submit_view": lambda b: emu.submit_view(
                b["view_id"], b.get("values"), user=b.get("user")
            ),
            "seed/user": self._seed_user,
            "seed/channel": self._seed_channel,
            "seed/dm": self._seed_dm,
            "seed/message": self._seed_message,
            "wait_for_message": self._wait_message,
            "wait_for_call": lambda b: emu.wait_for_call(
                b.get("method"), since=int(b.get("since", 0)), timeout=float(b.get("timeout", 5))
            ),
            "events_to": self._events_to,
            "verify_url": self._verify_url,
            "faults": self._fault,
            "rate_limits": self._rate_limits,
            "signing": self._signing,
            "socket/disconnect": self._disconnect,
            "clock/advance": self._advance,
            "reset": self._reset,
            "app": self._app,
            "teams": self._add_team,
            "uninstall": self._uninstall,
        }
        gets: dict[str, Route] = {
            "": self._info,
            "state": self._state,
            "messages": lambda q: self._sync(emu.messages(q.get("channel"), q.get("thread_ts"))),
            "ephemerals": lambda q: self._sync(emu.ephemerals(q.get("user"))),
            "calls": lambda q: self._sync(
                [
                    c
                    for c in emu.calls[int(q.get("since", 0)) :]
                    if not q.get("method") or c.method == q["method"]
                ]
            ),
            "deliveries": lambda q: self._sync(
                [
                    d
                    for d in emu.deliveries[int(q.get("since", 0)) :]
                    if not q.get("kind") or d.kind == q["kind"]
                ]
            ),
            "assistant": lambda q: self._sync(
                emu.assistant_state(q["channel"], q.get("thread_ts", ""))
            ),
            "views": lambda q: self._sync(list(emu.views.values())),
        }
        for name, route in posts.items():
            app.router.add_post(f"{PREFIX}/{name}", self._wrap(route, body=True))
        for name, route in gets.items():
            app.router.add_get(f"{PREFIX}/{name}", self._wrap(route, body=False))
        app.router.add_get(PREFIX, self._wrap(self._info, body=False))
        app.router.add_delete(f"{PREFIX}/faults", self._wrap(self._clear_faults, body=False))

    def _wrap(
        self, route: Route, *, body: bool
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        core = self.emu.core

        async def in_team(data: dict[str, Any]) -> Any:
            team = data.get("team")
            if not team:
                return await route(data)
            with core.in_team(str(team)):
                return await route(data)

        async def handler(request: web.Request) -> web.Response:
            try:
                if body:
                    raw = await request.read()
                    data = json.loads(raw) if raw.strip() else {}
                    if not isinstance(data, dict):
                        raise ValueError("expected a JSON object")
                    _check_fields(data)
                else:
                    data = dict(request.query)
                return _reply(await in_team(data))
            except TimeoutError as exc:
                return _reply({"ok": False, "error": str(exc)}, 408)
            except (KeyError, ValueError, TypeError, LookupError, AttributeError) as exc:
                # AttributeError too: a field of an unexpected type deeper in (a bad request,
                # not an emulator failure)
                return _reply({"ok": False, "error": f"{type(exc).__name__}: {exc}"}, 400)

        return handler

    @staticmethod
    async def _sync(value: Any) -> Any:
        return value

    async def _info(self, _: dict[str, Any]) -> Any:
        emu = self.emu
        return {
            "ok": True,
            "base_url": emu.base_url,
            "bot_token": emu.bot_token,
            "app_token": emu.app_token,
            "signing_secret": emu.signing_secret,
            "team_id": emu.team_id,
            "app_id": emu.app_id,
            "bot_id": emu.bot_id,
            "bot_user_id": emu.bot_user_id,
            "general": emu.general,
            "control": PREFIX + "/",
            "docs": (__doc__ or "").strip(),
        }

    async def _state(self, _: dict[str, Any]) -> Any:
        ws = self.emu.workspace
        return {
            "users": [u.to_api() for u in ws.users.values()],
            "channels": [c.to_api(self.emu.bot_user_id) for c in ws.channels.values()],
        }

    async def _delete(self, b: dict[str, Any]) -> Any:
        await self.emu.delete(b["ts"], channel=b.get("channel"))
        return {"ok": True}

    async def _react(self, b: dict[str, Any]) -> Any:
        await self.emu.react(b["user"], b["ts"], b["name"])
        return {"ok": True}

    async def _seed_user(self, b: dict[str, Any]) -> Any:
        return self.emu.add_user(
            b["name"], email=b.get("email"), id=b.get("id"), real_name=b.get("real_name", "")
        ).to_api()

    async def _seed_channel(self, b: dict[str, Any]) -> Any:
        channel = self.emu.add_channel(
            b["name"],
            members=b.get("members"),
            private=bool(b.get("private")),
            bot_member=b.get("bot_member", True),
        )
        return channel.to_api(self.emu.bot_user_id)

    async def _seed_dm(self, b: dict[str, Any]) -> Any:
        return {"channel": self.emu.open_dm(b["user"])}

    async def _seed_message(self, b: dict[str, Any]) -> Any:
        return self.emu.add_message(
            b.get("channel"),
            b["text"],
            user=b.get("user"),
            thread_ts=b.get("thread_ts"),
            bot=bool(b.get("bot")),
        )

    async def _wait_message(self, b: dict[str, Any]) -> Any:
        return await self.emu.wait_for_message(
            channel=b.get("channel"),
            thread_ts=b.get("thread_ts"),
            text=b.get("text"),
            user=b.get("user"),
            from_bot=b.get("from_bot"),
            after=b.get("after"),
            timeout=float(b.get("timeout", 5)),
        )

    async def _events_to(self, b: dict[str, Any]) -> Any:
        self.emu.events_to(
            b["url"],
            interactivity_url=b.get("interactivity_url"),
            commands_url=b.get("commands_url"),
        )
        return {"ok": True}

    async def _verify_url(self, b: dict[str, Any]) -> Any:
        return {"ok": await self.emu.verify_url(b.get("url"))}

    async def _fault(self, b: dict[str, Any]) -> Any:
        fields = {k: b[k] for k in ("count", "status", "error", "retry_after", "delay") if k in b}
        fault = self.emu.core.faults.add(Fault(b["method"], b["kind"], **fields))
        return {"ok": True, "fault": dataclasses.asdict(fault)}

    async def _clear_faults(self, _: dict[str, Any]) -> Any:
        self.emu.clear_faults()
        return {"ok": True}

    async def _rate_limits(self, b: dict[str, Any]) -> Any:
        core = self.emu.core
        limits = core.config.rate_limits
        if "scale" in b:
            limits = limits.scaled(float(b["scale"]))
        limits = dataclasses.replace(
            limits,
            enabled=bool(b.get("enabled", limits.enabled)),
            non_marketplace=bool(b.get("non_marketplace", limits.non_marketplace)),
        )
        core.config.rate_limits = core.limiter.config = limits
        core.limiter.reset()
        return {"ok": True, "enabled": limits.enabled}

    async def _signing(self, b: dict[str, Any]) -> Any:
        if b["mode"] not in ("valid", "bad_signature", "stale_timestamp", "unsigned"):
            raise ValueError(f"unknown signing mode {b['mode']!r}")
        self.emu.core.config.signing_mode = b["mode"]
        return {"ok": True}

    async def _disconnect(self, b: dict[str, Any]) -> Any:
        sent = await self.emu.disconnect_sockets(
            b.get("reason", "refresh_requested"), connection=b.get("connection")
        )
        return {"ok": True, "sent": sent}

    async def _advance(self, b: dict[str, Any]) -> Any:
        clock = self.emu.clock
        if not isinstance(clock, FakeClock):
            raise ValueError("the emulator runs on the system clock")
        return {"ok": True, "now": clock.advance(float(b["seconds"]))}

    async def _app(self, b: dict[str, Any]) -> Any:
        scopes = b.get("scopes")
        if scopes is not None and not (
            isinstance(scopes, list) and all(isinstance(x, str) for x in scopes)
        ):
            raise TypeError('"scopes" must be a list of strings')
        self.emu.configure_app(
            scopes=scopes, agent=b.get("agent"), messages_tab=b.get("messages_tab")
        )
        return {"ok": True}

    async def _add_team(self, b: dict[str, Any]) -> Any:
        team = self.emu.add_team(b.get("name") or "Second Workspace", team_id=b.get("team_id"))
        with self.emu.team(team):
            return {"ok": True, "team_id": team, "bot_token": self.emu.bot_token}

    async def _uninstall(self, _: dict[str, Any]) -> Any:
        self.emu.uninstall()  # the current team (the request's "team")
        return {"ok": True}

    async def _reset(self, _: dict[str, Any]) -> Any:
        self.emu.reset()
        return {"ok": True}
