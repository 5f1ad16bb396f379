"""Installing the app in many workspaces: Slack's OAuth v2 flow on slack_bolt's machinery,
with the installations kept in the bot's own ``StateStore``.

    SlackAdapter(oauth=SlackOAuth(client_id=..., client_secret=..., scopes=[...]),
                 socket_mode=False, signing_secret=...)

``GET /slack/install`` redirects to Slack's authorize page; Slack sends the person back to
``GET /slack/oauth_redirect`` with a code, which ``oauth.v2.access`` trades for that
workspace's bot token; the installation is saved (``StoreInstallations``) and every later
call for that workspace uses its token (``botkit_slack.teams``). ``app_uninstalled`` and
``tokens_revoked`` delete it. The OAuth state lives in the store too (10 minutes).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from botkit.store.base import StateStore
from botkit_slack import keys
from botkit_slack.settings import SlackOAuth

if TYPE_CHECKING:
    from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow

__all__ = ["SlackOAuth", "StoreInstallations", "StoreOAuthStates", "oauth_flow"]

STATE_TTL = 600
Store = Callable[[], StateStore]

# what an installation keeps (JSON-safe; tokens stay in the bot's store only)
_FIELDS = ("app_id", "enterprise_id", "enterprise_name", "team_id", "team_name", "bot_token",
           "bot_id", "bot_user_id", "bot_scopes", "user_id", "is_enterprise_install",
           "token_type")


class StoreInstallations(AsyncInstallationStore):
    """slack_sdk's installation store on botkit's ``StateStore`` (one record per workspace,
    bot installs only)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def async_save(self, installation: Installation) -> None:
        record: dict[str, Any] = {name: getattr(installation, name, None) for name in _FIELDS}
        record["bot_scopes"] = list(installation.bot_scopes or ())
        record["installed_at"] = float(installation.installed_at or time.time())
        await self._store().set(keys.installation(installation.enterprise_id,
                                                  installation.team_id), record)

    async def async_save_bot(self, bot: Bot) -> None:  # bots are saved with installations
        return None

    async def async_find_installation(self, *, enterprise_id: str | None,
                                      team_id: str | None, user_id: str | None = None,
                                      is_enterprise_install: bool | None = False
                                      ) -> Installation | None:
        record = await self._store().get(keys.installation(
            enterprise_id, None if is_enterprise_install else team_id))
        if not isinstance(record, dict) or not record.get("bot_token"):
            return None
        data: dict[str, Any] = {name: record.get(name) for name in _FIELDS}
        return Installation(**{**data, "user_id": str(data["user_id"] or ""),
                               "bot_scopes": record.get("bot_scopes") or [],
                               "installed_at": record.get("installed_at")})

    async def async_find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                             is_enterprise_install: bool | None = False) -> Bot | None:
        found = await self.async_find_installation(
            enterprise_id=enterprise_id, team_id=team_id,
            is_enterprise_install=is_enterprise_install)
        return found.to_bot() if found is not None else None

    async def async_delete_bot(self, *, enterprise_id: str | None,
                               team_id: str | None) -> None:
        await self._store().delete(keys.installation(enterprise_id, team_id))

    async def async_delete_installation(self, *, enterprise_id: str | None,
                                        team_id: str | None,
                                        user_id: str | None = None) -> None:
        if user_id is None:  # the workspace's installation (user tokens are not kept)
            await self._store().delete(keys.installation(enterprise_id, team_id))

    async def async_delete_all(self, *, enterprise_id: str | None,
                               team_id: str | None) -> None:
        await self._store().delete(keys.installation(enterprise_id, team_id))

    async def teams(self) -> list[str]:
        """The workspaces the app is installed in."""
        prefix = keys.installation(None, "")
        return [k[len(prefix):] for k in await self._store().scan(prefix)]


class StoreOAuthStates(AsyncOAuthStateStore):
    """The OAuth ``state`` (CSRF guard) in botkit's store: issued once, consumed once."""

    def __init__(self, store: Store, ttl: int = STATE_TTL) -> None:
        self._store = store
        self.ttl = ttl

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        await self._store().set(keys.oauth_state(state), True, ttl=self.ttl)
        return state

    async def async_consume(self, state: str) -> bool:
        return bool(state) and await self._store().pop(keys.oauth_state(state)) is not None


def oauth_flow(oauth: SlackOAuth, installations: StoreInstallations, states: StoreOAuthStates,
               *, base_url: str) -> AsyncOAuthFlow:
    """Bolt's OAuth flow: ``install_path`` redirects to the authorize page (no page of its
    own), ``redirect_path`` exchanges the code (``oauth.v2.access`` at ``base_url``)."""
    from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

    settings = AsyncOAuthSettings(
        client_id=oauth.client_id, client_secret=oauth.client_secret, scopes=list(oauth.scopes),
        redirect_uri=oauth.redirect_uri, install_path=oauth.install_path,
        redirect_uri_path=oauth.redirect_path, install_page_rendering_enabled=False,
        authorization_url=oauth.authorize_url, installation_store=installations,
        installation_store_bot_only=True, state_store=states)
    return AsyncOAuthFlow(client=AsyncWebClient(base_url=base_url), settings=settings)
