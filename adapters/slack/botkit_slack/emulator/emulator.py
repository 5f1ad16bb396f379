"""``SlackEmulator``: a faithful local Slack that ``slack_sdk`` and ``slack_bolt`` talk to offline.

async with SlackEmulator() as slack:
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    await client.chat_postMessage(channel=slack.general, text="hi")
    await slack.user_says("alice", f"<@{slack.bot_user_id}> hello")
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .api_files import download, upload
from .api_schedule import deliver_due
from .clock import Clock, FakeClock, SystemClock
from .config import EmulatorConfig, SigningMode
from .control import Control
from .core import DEFAULT_SUBSCRIPTIONS, Core
from .ids import IdFactory
from .limiter import Faults, RateLimiter
from .models import App, User
from .oauth import authorize
from .scopes import ALL_BOT_SCOPES
from .seed import GENERAL, Seed
from .store import Channel, Workspace
from .teams import TeamsApi
from .waiting import WaitingApi
from .webapi import WebApi


class SlackEmulator(WaitingApi, TeamsApi):
    """An emulated Slack (one workspace, more with :meth:`add_team`) with one installed app,
    served on ``host:port`` (0: any)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        config: EmulatorConfig | None = None,
        clock: Clock | None = None,
        team_id: str = "T0EMUTEAM1",
        team_name: str = "Emulated Workspace",
        team_domain: str = "emulated",
        bot_name: str = "botkit",
        bot_token: str = "xoxb-emulator-bot-token",
        app_token: str = "xapp-1-emulator-app-token",
        signing_secret: str = "emulator-signing-secret",
        verification_token: str = "emulator-verification-token",
        seed_defaults: bool = True,
        subscriptions: frozenset[str] = DEFAULT_SUBSCRIPTIONS,
        scopes: Iterable[str] = ALL_BOT_SCOPES,
        agent: bool = True,
        messages_tab: bool = True,
        client_id: str = "emulator-client-id",
        client_secret: str = "emulator-client-secret",
        oauth_redirect_uri: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._seed = Seed(
            team_id,
            team_name,
            team_domain,
            bot_name,
            bot_token,
            app_token,
            seed_defaults,
            frozenset(scopes),
            agent,
            messages_tab,
        )
        config = config or EmulatorConfig()
        clock = clock or SystemClock()
        ids = IdFactory()
        workspace, app = self._seed.build(clock, ids)
        self.core = Core(
            config=config,
            clock=clock,
            workspace=workspace,
            ids=ids,
            app=app,
            app_token=app_token,
            signing_secret=signing_secret,
            verification_token=verification_token,
            subscriptions=subscriptions,
            client_id=client_id,
            client_secret=client_secret,
        )
        self.core.oauth.redirect_uri = oauth_redirect_uri
        if isinstance(clock, FakeClock):
            clock.on_advance(lambda _now: deliver_due(self.core))
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def build_app(self) -> web.Application:
        core = self.core
        app = web.Application(client_max_size=1024**3)
        api = WebApi(core)
        app.router.add_route("*", "/api/{method}", api.handle)
        app.router.add_post("/upload/v1/{file_id}/{secret}", functools.partial(upload, core))
        app.router.add_get("/files/{file_id}/{name}", functools.partial(download, core))
        app.router.add_post("/hooks/{kind}/{team}/{key}", core.interactivity.handle_hook)
        app.router.add_get("/link/", core.sockets.handle)
        app.router.add_get("/link", core.sockets.handle)
        app.router.add_get("/oauth/v2/authorize", functools.partial(authorize, core))
        Control(self).install(app)
        return app

    async def start(self) -> SlackEmulator:
        self._runner = web.AppRunner(
            self.build_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        address = self._runner.addresses[0]
        self.port = int(address[1])
        self.core.root_url = f"http://{self.host}:{self.port}/"
        await self.core.dispatcher.start()
        return self

    async def stop(self) -> None:
        await self.core.sockets.close()
        await self.core.dispatcher.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SlackEmulator:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def reset(self) -> None:
        """Back to the seeded workspace: messages, files, scheduled messages, calls, deliveries,
        faults, buckets, views, added teams and OAuth codes are dropped; tokens, config, the
        app's settings, event target and open sockets stay."""
        core = self.core
        core.ids = IdFactory()
        core.ws, core.app = self._seed.build(core.clock, core.ids)
        core.revoked.clear()
        core.oauth.grants.clear()
        core.calls.clear()
        core.deliveries.clear()
        core.faults = Faults()
        core.limiter = RateLimiter(core.config.rate_limits, core.clock)
        for table in (
            core.interactivity.triggers,
            core.interactivity.response_urls,
            core.views.views,
            core.views.stacks,
        ):
            table.clear()
        core.interactivity.responses.clear()
        core.changed("reset")

    # -- identity -------------------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        return self.core.root_url

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url`` to slack_sdk clients (ends with ``/api/``)."""
        return self.core.base_url

    @property
    def bot_token(self) -> str:
        return self.core.app.token

    @property
    def app_token(self) -> str:
        return self.core.app_token

    @property
    def signing_secret(self) -> str:
        return self.core.signing_secret

    @property
    def verification_token(self) -> str:
        return self.core.verification_token

    @property
    def bot_user_id(self) -> str:
        return self.core.app.bot_user_id

    @property
    def bot_id(self) -> str:
        return self.core.app.bot_id

    @property
    def app_id(self) -> str:
        return self.core.app.app_id

    @property
    def team_id(self) -> str:
        return self.core.ws.team_id

    @property
    def general(self) -> str:
        """The default public channel (the bot is a member) of the current team."""
        if self.core.ws is self.core.primary:
            return GENERAL
        return self.core.ws.default_channel()

    @property
    def client_id(self) -> str:
        return self.core.oauth.client_id

    @property
    def client_secret(self) -> str:
        return self.core.oauth.client_secret

    @property
    def oauth_redirect_uri(self) -> str | None:
        """The app's configured Redirect URL (used when an authorize URL names none)."""
        return self.core.oauth.redirect_uri

    @oauth_redirect_uri.setter
    def oauth_redirect_uri(self, url: str | None) -> None:
        self.core.oauth.redirect_uri = url

    def authorize_url(self, scopes: str = "chat:write", **params: str) -> str:
        """The install link (``/oauth/v2/authorize``) with this app's client id."""
        query = urlencode({"client_id": self.client_id, "scope": scopes, **params})
        return f"{self.root_url}oauth/v2/authorize?{query}"

    @property
    def signing_mode(self) -> SigningMode:
        """How deliveries are signed: ``valid``, ``bad_signature``, ``stale_timestamp``,
        ``unsigned`` (the last three exercise an app's forged-request path)."""
        return self.core.config.signing_mode

    @signing_mode.setter
    def signing_mode(self, mode: SigningMode) -> None:
        self.core.config.signing_mode = mode

    @property
    def config(self) -> EmulatorConfig:
        return self.core.config

    @property
    def clock(self) -> Clock:
        return self.core.clock

    @property
    def workspace(self) -> Workspace:
        return self.core.ws

    # -- the app's settings ----------------------------------------------------------------------
    def configure_app(
        self,
        *,
        scopes: Iterable[str] | None = None,
        agent: bool | None = None,
        messages_tab: bool | None = None,
    ) -> None:
        """Change the installed app's bot scopes, its "Agents & AI Apps" feature or its App
        Home Messages tab (kept across :meth:`reset`)."""
        changes: dict[str, object] = {}
        if scopes is not None:
            changes["scopes"] = frozenset(scopes)
        if agent is not None:
            changes["agent"] = agent
        if messages_tab is not None:
            changes["messages_tab"] = messages_tab
        self._seed = dataclasses.replace(self._seed, **changes)  # type: ignore[arg-type]
        for name, value in changes.items():
            setattr(self.core.app, name, value)

    @property
    def non_marketplace(self) -> bool:
        """The profile of a commercially distributed app outside the Marketplace:
        ``conversations.history``/``replies`` at 1 request per minute, ``limit`` at most 15."""
        return self.core.config.rate_limits.non_marketplace

    @non_marketplace.setter
    def non_marketplace(self, on: bool) -> None:
        limiter = self.core.limiter
        limiter.config.non_marketplace = on
        for key in [
            k
            for k in limiter.buckets
            if k[1:2] in (("conversations.history",), ("conversations.replies",))
        ]:
            del limiter.buckets[key]

    # -- seeding --------------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        email: str | None = None,
        id: str | None = None,
        real_name: str = "",
        **fields: Any,
    ) -> User:
        return self.core.ws.add_user(name, id=id, email=email, real_name=real_name, **fields)

    def add_channel(
        self,
        name: str,
        *,
        members: list[str] | None = None,
        private: bool = False,
        bot_member: bool = True,
        id: str | None = None,
        **fields: Any,
    ) -> Channel:
        people = list(members or [])
        if bot_member:
            people.append(self.bot_user_id)
        return self.core.ws.add_channel(name, members=people, private=private, id=id, **fields)

    def open_dm(self, user: str) -> str:
        """The id of ``user``'s DM with the bot (created on first use)."""
        return self.core.ws.open_dm(self.bot_user_id, user).id

    def user_token(self, user: str) -> str:
        """An ``xoxp-`` token that acts as ``user``."""
        return self.core.ws.user_token(self.core.ws.user(user).id)

    def add_bot(self, name: str, token: str | None = None) -> App:
        """Another app installed in the workspace (its events are not delivered anywhere)."""
        return self.core.ws.add_app(name, token=token or f"xoxb-emulator-{name}")

    # -- event targets --------------------------------------------------------------------------
    def events_to(
        self,
        request_url: str,
        *,
        interactivity_url: str | None = None,
        commands_url: str | None = None,
    ) -> None:
        """HTTP mode: deliver events (and by default interactions, commands) to ``request_url``."""
        dispatcher = self.core.dispatcher
        dispatcher.request_url = request_url
        dispatcher.interactivity_url = interactivity_url
        dispatcher.commands_url = commands_url
        dispatcher.socket_mode = False

    async def verify_url(self, url: str | None = None) -> bool:
        """Run the ``url_verification`` handshake; True if the app echoed the challenge."""
        return (await self.core.dispatcher.url_verification(url)).ok
