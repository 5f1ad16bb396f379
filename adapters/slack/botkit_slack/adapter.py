"""``SlackAdapter``: a botkit bot in Slack, on slack-bolt's AsyncApp and slack_sdk.

    bot = create_bot(adapters=[SlackAdapter()], agent=...)   # tokens from the environment

Socket Mode with ``SLACK_BOT_TOKEN`` + ``SLACK_APP_TOKEN`` (no public URL needed), or the
HTTP Events API with ``SLACK_SIGNING_SECRET`` and ``socket_mode=False, port=...``.
``base_url`` (or ``SLACK_API_URL``) points the clients at another Slack, e.g. the emulator.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
from collections.abc import AsyncIterable, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit.adapter import BaseAdapter, Capabilities, Delivery, OpenStream, StreamPart
from botkit.errors import AdapterError, UserError
from botkit.events import Event
from botkit.store.base import StateStore
from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.inputs import Modal
from botkit.ui.nodes import Message
from botkit_slack.client import RateLimiter, SlackClient, http_status, make_clients, slack_error
from botkit_slack.conversations import Conversations, channel_type
from botkit_slack.directory import Directory
from botkit_slack.egress import Egress
from botkit_slack.features import SlackFeatures
from botkit_slack.files import FileStore
from botkit_slack.history import HistoryCache, Identity, translate_all
from botkit_slack.ingress.direct import DirectIntake
from botkit_slack.ingress.events import EventBuilder, Routing
from botkit_slack.ingress.events_api import EventsApi
from botkit_slack.ingress.on_demand import BoltOnDemand
from botkit_slack.settings import SlackSettings
from botkit_slack.status import StatusSender
from botkit_slack.streaming import ReplyStream, StreamSettings, refuse_native
from botkit_slack.streaming.recovery import close_open_reply, reply_hooks
from botkit_slack.transport import HttpTransport, SocketTransport, Transport

if TYPE_CHECKING:
    from slack_bolt.app.async_app import AsyncApp

    from botkit.adapter import BotHandle
    from botkit_slack.oauth import StoreInstallations
    from botkit_slack.teams import Teams

__all__ = ["SlackAdapter"]

log = logging.getLogger("botkit.slack")


class SlackAdapter(BaseAdapter):
    platform = "slack"
    capabilities = Capabilities(streaming=True, get_messages=True, lookup_user=True,
                                post_file=True, ephemeral=True, agent_records=True,
                                reactions=True, status=True, suggested_prompts=True,
                                titles=True, modals=True, schedule=True,
                                direct_messages=True)

    def __init__(self, **options: Any) -> None:
        """Options as in ``SlackSettings`` (the one list of them, with their defaults).
        They are checked now; missing tokens only when the adapter starts, so an app can
        declare ``SlackAdapter(...)`` and ``botkit run`` fill in the port, or the emulator's
        tokens."""
        self._options: dict[str, Any] = dict(options)
        self.conversations = Conversations()
        self._configure()
        self._own_identity: Identity | None = None
        self._handle: BotHandle | None = None
        self._bolt: BoltOnDemand | None = None
        self._bolt_options: dict[str, Any] = {}
        self.transport: Transport | None = None
        self.events: EventBuilder | None = None
        self._native_off: set[str] = set()  # channel types ("*": all) refused native streams
        self._status_off: set[str] = set()
        self._session: aiohttp.ClientSession | None = None
        self._statuses: StatusSender | None = None  # the "thinking" statuses, once started

    def _configure(self) -> None:
        self.settings = SlackSettings.build(**self._options, defer_credentials=True)
        s = self.settings
        self.installations: StoreInstallations | None = None
        self.teams: Teams | None = None
        client: Callable[..., AsyncWebClient] = SlackClient
        if s.oauth is not None:  # many workspaces: each call carries its workspace's token
            from botkit_slack.teams import many_workspaces
            self.installations, self.teams, client = many_workspaces(self._store)
        self.api, self.quick = make_clients(s.bot_token, s.base_url, client=client,
                                            rate_limit_retries=s.rate_limit_retries)
        self.limiter = RateLimiter(dict(s.rate_limits or {}))
        self.history = HistoryCache(self.api, flat_limit=s.flat_history_limit,
                                    limiter=self.limiter)
        self.users = Directory(self.api, limiter=self.limiter)
        self.files = FileStore(self.api, s.bot_token)
        self.egress = Egress(self.api, self.limiter, self.history, on_post=self._bot_posted)
        self.features = SlackFeatures(self.api, self.conversations, self.egress)

    def reconfigure(self, **changes: Any) -> None:
        """Change constructor options before the adapter starts, keeping the others (how
        ``botkit run --adapter slack`` sets the port, or the emulator's URL and tokens)."""
        if self.events is not None:
            raise UserError("reconfigure a SlackAdapter before it starts")
        options = {**self._options, **changes}
        SlackSettings.build(**options, defer_credentials=True)  # refuses unknown options
        self._options = options
        self._configure()

    def check_credentials(self) -> None:
        """Raise ``UserError`` naming the variable to set when a token is missing."""
        if self.settings.credentials_error is not None:
            raise UserError(self.settings.credentials_error)

    def __repr__(self) -> str:
        return f"SlackAdapter({self.settings!r})"

    # -- lifecycle ---------------------------------------------------------------------
    def _store(self) -> StateStore:
        if self._handle is None:
            raise AdapterError("the Slack adapter is not started", platform="slack")
        return self._handle.store

    @property
    def identity(self) -> Identity | None:
        """The bot's Slack identity (in the workspace being served, with OAuth installs)."""
        return self.teams.identity() if self.teams is not None else self._own_identity

    def team(self, team_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """``async with adapter.team("T…"):`` Slack calls inside (``bot.open_dm``, a
        ``Thread`` made outside a handler) are for that workspace (OAuth installs)."""
        if self.teams is None:
            return contextlib.nullcontext()
        return self.teams.team(team_id)

    @property
    def install_url(self) -> str | None:
        """The install link (OAuth installs served over HTTP)."""
        oauth, transport = self.settings.oauth, self.transport
        if oauth is None or not isinstance(transport, HttpTransport):
            return None
        return transport.url.removesuffix(transport.path) + oauth.install_path

    @property
    def bot_user(self) -> PlatformUser | None:
        identity = self.identity
        return identity.user if identity else None

    @property
    def port(self) -> int:
        return self.transport.port if isinstance(self.transport, HttpTransport) else \
            self.settings.port

    @property
    def request_url(self) -> str | None:
        return self.transport.url if isinstance(self.transport, HttpTransport) else None

    async def start(self, bot: BotHandle) -> None:
        self.check_credentials()
        self._handle = bot
        # one pooled HTTP session for every Web API call (slack_sdk opens a new session,
        # and a new connection, per call when it is given none), with a few connections:
        # each open one holds ~10 KB, and paced calls never need aiohttp's default 100
        self._session = self.api.session = self.quick.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.settings.max_connections))
        self._statuses = StatusSender(self._set_status, self.settings.max_connections)
        try:
            await self._start(bot)
        except BaseException:
            await self._close_session()
            raise

    async def _start(self, bot: BotHandle) -> None:
        s = self.settings
        if self.teams is not None and self.installations is not None and s.oauth is not None:
            from botkit_slack.oauth import StoreOAuthStates, oauth_flow
            self.teams.bot_name = bot.name
            flow = oauth_flow(s.oauth, self.installations, StoreOAuthStates(self._store),
                              base_url=self.api.base_url)
            self._bolt_options = dict(name=bot.name, base_url=self.api.base_url, flow=flow,
                                      installations=self.installations, teams=self.teams)
            await self._serve(bot, self._team_identity)
            return
        try:
            auth: Any = await self.api.auth_test()
            user_id = str(auth["user_id"])
        except SlackApiError as exc:
            raise AdapterError(f"Slack refused the bot token (auth.test: "
                               f"{slack_error(exc)}); check SLACK_BOT_TOKEN") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise AdapterError(f"cannot reach Slack at {self.api.base_url}: {exc}") from exc
        name = str(auth.get("user") or bot.name)
        self._own_identity = identity = Identity(
            user_id=user_id, bot_id=str(auth.get("bot_id") or ""),
            team_id=str(auth.get("team_id") or ""),
            user=PlatformUser(id=user_id, name=name, handle=name, is_bot=True))
        self.users.bot_user_id = identity.user_id
        self._bolt_options = dict(name=bot.name, identity=identity, token=s.bot_token,
                                  base_url=self.api.base_url)
        await self._serve(bot, identity)

    @property
    def app(self) -> AsyncApp | None:
        """Bolt's app once built (``ingress.on_demand``: by the first click over HTTP)."""
        return self._bolt.app if self._bolt is not None else None

    def _team_identity(self) -> Identity:
        identity = self.identity
        if identity is None:
            raise AdapterError("no Slack workspace is being served here (OAuth installs: "
                               "use `async with adapter.team('T…'):`)", platform="slack")
        return identity

    async def _serve(self, bot: BotHandle, identity: Identity | Callable[[], Identity]
                     ) -> None:
        s = self.settings
        self.events = EventBuilder(
            bot, identity, Routing(s.respond_to, s.suggested_prompts,
                                   self.set_suggested_prompts),
            directory=self.users, files=self.files, conversations=self.conversations,
            history=self.history, platform=self.platform)
        self.events.thread_of = self.features.thread_of
        self._bolt = bolt = BoltOnDemand(bot, self.events, **self._bolt_options)
        # with the inbox on, messages are stored as they came and acked without Bolt (one
        # workspace: OAuth installs need Bolt's authorization of each request)
        multi = self.teams is not None
        direct = DirectIntake(self.events, bot) if bot.accepts_deliveries and not multi else None
        if s.socket_mode:
            assert s.app_token is not None
            self.transport = SocketTransport(bolt(), s.app_token, self.api,
                                             on_connected=self.history.resync_all,
                                             direct=direct)
        else:
            assert s.signing_secret is not None
            self.transport = HttpTransport(
                bolt, s.signing_secret, host=s.host, port=s.port, path=s.path,
                oauth_flow=bolt().oauth_flow if multi else None)
            if not multi:  # Events API events go without Bolt (``ingress.events_api``)
                self.transport.events = EventsApi(self.events, direct)
        try:
            await self.transport.start()
        except BaseException:
            self.transport = None  # it cleaned up after itself
            raise
        who = self.bot_user.display_name if self.bot_user else bot.name
        log.info("Slack adapter ready as @%s (%s)", who, self.transport.describe())

    async def rebuild_delivery(self, delivery: Delivery) -> Event | None:
        """A message ``DirectIntake`` stored as it came, as an event (after the ack)."""
        if self.events is None:
            raise AdapterError("the Slack adapter is not started", platform="slack")
        return await self.events.rebuild(delivery.payload)

    async def begin_drain(self) -> None:
        """Socket Mode: close the connection (Slack delivers to the app's other ones); HTTP:
        answer deliveries with 503 from now on (Slack retries them, elsewhere)."""
        if self.transport is not None:
            await self.transport.begin_drain()

    async def close_stream(self, stream: OpenStream, notice: str) -> None:
        await close_open_reply(self.egress, self.identity, stream, notice)

    async def stop(self) -> None:
        if self.transport is not None:
            await self.transport.stop()
            self.transport = None
        await self._close_session()

    async def _close_session(self) -> None:
        statuses, self._statuses = self._statuses, None
        if statuses is not None:
            statuses.cancel()
        session, self._session = self._session, None
        self.api.session = self.quick.session = None
        if session is not None:
            await session.close()

    # -- conversations ---------------------------------------------------------------
    def _bot_posted(self, channel: str, thread: str | None) -> None:
        self.conversations.bot_posted(channel, thread)

    def _identity(self) -> Identity:
        identity = self.identity
        if identity is None:
            raise AdapterError("the Slack adapter is not started (or, with OAuth installs, "
                               "serves no workspace here)")
        return identity

    # -- egress ------------------------------------------------------------------------
    async def post(self, conversation: Conversation, message: Message) -> MessageRef:
        return await self.egress.post(self.conversations.remember(conversation), message)

    async def update(self, conversation: Conversation, ref: MessageRef, message: Message
                     ) -> MessageRef:
        return await self.egress.update(conversation, ref, message)

    async def delete(self, conversation: Conversation, ref: MessageRef) -> None:
        await self.egress.delete(conversation, ref)

    async def post_ephemeral(self, conversation: Conversation, user: PlatformUser,
                             message: Message) -> MessageRef | None:
        return await self.egress.ephemeral(conversation, user, message)

    def stream(self, conversation: Conversation, parts: AsyncIterable[StreamPart]
               ) -> Coroutine[Any, Any, MessageRef | None]:
        """The reply's coroutine (``ReplyStream.run``), returned: no frame or closures of
        the adapter's own stay alive while the reply waits for Slack's pacing."""
        identity = self._identity()
        s, route = self.settings, self.conversations.route(conversation)
        kind = channel_type(conversation.channel)
        thinking = s.thinking_status if conversation.channel not in self._status_off else None
        status = None if not thinking or self._statuses is None else self._statuses.set(
            conversation, thinking)  # queued: a burst's statuses wait as entries, not calls
        settings = StreamSettings(
            native=s.streaming == "native" and not self._native_off & {kind, "*"},
            interval=s.edit_interval, first_post_delay=s.first_post_delay,
            tool_status=s.show_tool_status, recipient_user_id=route.recipient_user_id,
            recipient_team_id=route.recipient_team_id or identity.team_id,
            on_native_error=self._native_refused, status=status,
            set_status=None if status is None else self._set_status)
        settings = reply_hooks(settings, self._handle, self.platform, conversation)
        return ReplyStream(self.egress, self.conversations.remember(conversation),
                           settings).run(parts)

    def _native_refused(self, error: str, conversation: Conversation) -> None:
        refuse_native(self._native_off, error, channel_type(conversation.channel))

    async def _set_status(self, conversation: Conversation, status: str) -> None:
        """Best effort: a failure is logged, never raised (and turns the status off in that
        channel unless Slack only asked to slow down)."""
        thread = conversation.thread or self.conversations.route(conversation).message_ts
        if not thread or conversation.channel in self._status_off:
            return
        try:
            await self.quick.assistant_threads_setStatus(
                channel_id=conversation.channel, thread_ts=str(thread), status=status)
        except Exception as exc:
            if http_status(exc) != 429:
                self._status_off.add(conversation.channel)
            log.debug("assistant.threads.setStatus failed: %s", slack_error(exc))

    async def get_messages(self, conversation: Conversation) -> list[ThreadMessage]:
        identity = self._identity()
        if self.conversations.route(conversation).new_thread and not self.history.known(
                conversation.channel, conversation.thread) and not \
                self.conversations.has_bot_posted(conversation.channel, conversation.thread):
            return []  # a new top-level message: its thread is just that message (until
            # the bot answers there: later readers, like the threads API, see the replies)
        raws = await self.history.read(conversation.channel, conversation.thread)
        return await translate_all(raws, identity, self.users, self.files.attachments)

    async def record_agent_messages(self, conversation: Conversation,
                                    messages: Sequence[Mapping[str, Any]]) -> None:
        await self.egress.record(conversation, messages)

    async def lookup_user(self, query: str) -> PlatformUser | None:
        return await self.users.lookup(query)

    async def post_file(self, conversation: Conversation, data: bytes, filename: str, *,
                        title: str | None = None, alt_text: str | None = None) -> FileResult:
        result = await self.files.upload(conversation, data, filename, title=title,
                                         alt_text=alt_text)
        if result.ok:
            self._bot_posted(conversation.channel, conversation.thread)
        return result

    # -- capability-gated calls (``botkit_slack.features``) ------------------------------
    async def add_reaction(self, conversation: Conversation, ref: MessageRef, emoji: str) -> None:
        await self.features.react(conversation, ref, emoji, add=True)

    async def remove_reaction(self, conversation: Conversation, ref: MessageRef,
                              emoji: str) -> None:
        await self.features.react(conversation, ref, emoji, add=False)

    async def set_status(self, conversation: Conversation, text: str,
                         loading_messages: Sequence[str] = ()) -> None:
        await self.features.set_status(conversation, text, loading_messages)

    async def set_suggested_prompts(self, conversation: Conversation,
                                    prompts: Sequence[tuple[str, str]],
                                    title: str | None = None) -> None:
        await self.features.set_suggested_prompts(conversation, prompts, title)

    async def set_title(self, conversation: Conversation, title: str) -> None:
        await self.features.set_title(conversation, title)

    async def open_modal(self, conversation: Conversation, event: Event, modal: Modal) -> None:
        await self.features.open_modal(conversation, event, modal)

    async def schedule(self, conversation: Conversation, message: Message,
                       post_at: datetime.datetime) -> str:
        return await self.features.schedule(conversation, message, post_at)

    async def open_dm(self, user: PlatformUser) -> Conversation:
        return await self.features.open_dm(user)
