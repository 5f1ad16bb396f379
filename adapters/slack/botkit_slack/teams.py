"""Which workspace a call is for, and its token: one client for every workspace.

With OAuth installs the adapter serves many workspaces, each with its own bot token and bot
user. ``TeamClient`` is the adapter's ``AsyncWebClient``: every call carries the token of
the workspace it is for, which is

1. the workspace of the event being handled (a Bolt middleware ``enter``s it; the tasks it
   starts inherit it), else
2. the workspace of the channel the call names (channels ids are unique across
   workspaces; learned from every event), else
3. the only installed workspace, else ``AdapterError`` naming the fix:
   ``async with adapter.team("T…"):``.

Tokens come from the installation store (cached; forgotten on uninstall).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from slack_sdk.web.async_slack_response import AsyncSlackResponse

from botkit.errors import AdapterError
from botkit.store.base import StateStore
from botkit.types import PlatformUser
from botkit_slack.client import SlackClient
from botkit_slack.history import Identity
from botkit_slack.oauth import StoreInstallations

__all__ = ["TeamClient", "Teams", "many_workspaces"]

# methods that carry no bot token (the OAuth exchange authenticates with client id/secret)
NO_TOKEN = frozenset({"oauth.v2.access", "oauth.v2.exchange", "oauth.access"})
MAX_CHANNELS = 50_000


class Teams:
    def __init__(self, installations: StoreInstallations, *, bot_name: str = "bot") -> None:
        self.installations = installations
        self.bot_name = bot_name
        self.current: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            "botkit_slack_team", default=None)
        self._identities: dict[str, Identity] = {}
        self._tokens: dict[str, str] = {}
        self._channels: OrderedDict[str, str] = OrderedDict()

    # -- learning ----------------------------------------------------------------------
    def learn(self, team: str, *, token: str | None = None, bot_user_id: str | None = None,
              bot_id: str | None = None, channel: str | None = None) -> None:
        if token:
            self._tokens[team] = token
        if bot_user_id:
            self._identities[team] = Identity(
                user_id=bot_user_id, bot_id=bot_id or "", team_id=team,
                user=PlatformUser(id=bot_user_id, name=self.bot_name, handle=self.bot_name,
                                  is_bot=True))
        if channel:
            self._channels[channel] = team
            self._channels.move_to_end(channel)
            while len(self._channels) > MAX_CHANNELS:
                self._channels.popitem(last=False)

    def enter(self, team: str) -> contextvars.Token[str | None]:
        """Calls from here on (and tasks started from here) are for ``team``."""
        return self.current.set(team)

    @contextlib.asynccontextmanager
    async def team(self, team: str) -> AsyncIterator[None]:
        """``async with teams.team("T…"):`` calls inside are for that workspace."""
        await self._load(team)
        token = self.enter(team)
        try:
            yield
        finally:
            self.current.reset(token)

    def forget(self, team: str) -> None:
        """The app was uninstalled from ``team`` (or its tokens revoked)."""
        self._tokens.pop(team, None)
        self._identities.pop(team, None)
        for channel in [c for c, t in self._channels.items() if t == team]:
            del self._channels[channel]

    # -- resolving ---------------------------------------------------------------------
    def identity(self) -> Identity | None:
        """The bot's identity in the current workspace (None before any is known)."""
        team = self.current.get()
        if team is not None:
            return self._identities.get(team)
        return next(iter(self._identities.values())) if len(self._identities) == 1 else None

    def team_of(self, args: Mapping[str, Any]) -> str | None:
        team = self.current.get()
        if team is not None:
            return team
        channel = args.get("channel") or args.get("channel_id")
        if isinstance(channel, str) and channel in self._channels:
            return self._channels[channel]
        return next(iter(self._tokens)) if len(self._tokens) == 1 else None

    async def _load(self, team: str) -> str:
        token = self._tokens.get(team)
        if token is None:
            bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team)
            if bot is None or not bot.bot_token:
                raise AdapterError(f"the app is not installed in workspace {team}: install it "
                                   "there first (the install link)", platform="slack",
                                   code="not_installed")
            self.learn(team, token=bot.bot_token, bot_user_id=bot.bot_user_id,
                       bot_id=bot.bot_id)
            token = bot.bot_token
        return token

    async def token_for(self, method: str, args: Mapping[str, Any]) -> str:
        team = self.team_of(args)
        if team is None:
            raise AdapterError(f"{method}: which workspace is this for? Outside an event's "
                               "handling, say it with `async with adapter.team('T…'):`",
                               platform="slack", code="no_team")
        return await self._load(team)


class TeamClient(SlackClient):
    """An ``AsyncWebClient`` whose every call carries its workspace's bot token."""

    def __init__(self, teams: Teams, **options: Any) -> None:
        super().__init__(**options)
        self.teams = teams

    async def api_call(self, api_method: str, *, http_verb: str = "POST",
                       files: dict[str, Any] | None = None, data: Any = None,
                       params: dict[str, Any] | None = None, json: dict[str, Any] | None = None,
                       headers: dict[str, Any] | None = None,
                       auth: dict[str, Any] | None = None) -> AsyncSlackResponse:
        if auth is None and api_method not in NO_TOKEN:
            args = {**(params or {}), **(data if isinstance(data, dict) else {}), **(json or {})}
            if "token" not in args:
                params = {**(params or {}),
                          "token": await self.teams.token_for(api_method, args)}
        return await super().api_call(api_method, http_verb=http_verb, files=files, data=data,
                                      params=params, json=json, headers=headers, auth=auth)


def many_workspaces(store: Callable[[], StateStore]
                    ) -> tuple[StoreInstallations, Teams, Callable[..., SlackClient]]:
    """What installs in many workspaces need (the adapter loads this module only then): the
    installations in the bot's store, the workspaces served, and the client to make (each
    call carries its workspace's token)."""
    installations = StoreInstallations(store)
    teams = Teams(installations)
    return installations, teams, functools.partial(TeamClient, teams)
