"""The shared heart of one emulator instance: state, clock, records, waiters and sub-services."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from .clock import Clock
from .config import EmulatorConfig
from .ids import IdFactory
from .limiter import Faults, RateLimiter
from .models import JSON, App
from .records import Call, Delivery
from .store import Workspace

if TYPE_CHECKING:
    from .delivery import Dispatcher
    from .events import Events
    from .interactivity import Interactivity
    from .socket_mode import SocketHub
    from .views import Views

DEFAULT_SUBSCRIPTIONS = frozenset(
    {
        "message.channels",
        "message.groups",
        "message.im",
        "message.mpim",
        "app_mention",
        "reaction_added",
        "reaction_removed",
        "member_joined_channel",
        "member_left_channel",
        "app_home_opened",
        "assistant_thread_started",
        "assistant_thread_context_changed",
        "app_uninstalled",
        "tokens_revoked",
    }
)

T = TypeVar("T")


class Core:
    """Everything a Web API method, a delivery or the test API needs to reach.

    Several workspaces (teams) may exist; :attr:`ws` and :attr:`app` are those of the team the
    current request or test action works in (the caller's token picks it; :meth:`in_team`
    sets it for test code), the primary (seeded) team otherwise.
    """

    def __init__(
        self,
        *,
        config: EmulatorConfig,
        clock: Clock,
        workspace: Workspace,
        ids: IdFactory,
        app: App,
        app_token: str,
        signing_secret: str,
        verification_token: str,
        subscriptions: frozenset[str] = DEFAULT_SUBSCRIPTIONS,
        client_id: str = "emulator-client-id",
        client_secret: str = "emulator-client-secret",
    ) -> None:
        self.config = config
        self.clock = clock
        self.workspaces: dict[str, Workspace] = {}
        self._primary = workspace
        self._team: ContextVar[str | None] = ContextVar(f"emulator_team_{id(self)}", default=None)
        self.ws = workspace
        self.ids = ids
        self.app = app
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.verification_token = verification_token
        self.limiter = RateLimiter(config.rate_limits, clock)
        self.faults = Faults()
        self.revoked: set[str] = set()
        """Tokens revoked by an uninstall or ``auth.revoke`` (they answer ``token_revoked``)."""
        self.calls: list[Call] = []
        self.deliveries: list[Delivery] = []
        self.seq = 0
        self.root_url = "http://127.0.0.1:0/"
        self._waiters: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._listeners: list[Callable[[str, Any], None]] = []
        self.last_change: tuple[str, Any] = ("state", None)
        from .oauth import OAuthApp

        self.oauth = OAuthApp(client_id, client_secret)
        # The services hold this core and their modules import it, hence the local imports.
        from .delivery import Dispatcher
        from .events import Events
        from .interactivity import Interactivity
        from .socket_mode import SocketHub
        from .views import Views

        self.events: Events = Events(self, subscriptions)
        self.dispatcher: Dispatcher = Dispatcher(self)
        self.sockets: SocketHub = SocketHub(self)
        self.interactivity: Interactivity = Interactivity(self)
        self.views: Views = Views(self)

    @property
    def base_url(self) -> str:
        return self.root_url + "api/"

    # -- teams ----------------------------------------------------------------------------------
    @property
    def ws(self) -> Workspace:
        """The workspace of the current team."""
        team = self._team.get()
        return self.workspaces.get(team, self._primary) if team else self._primary

    @ws.setter
    def ws(self, workspace: Workspace) -> None:
        """Replace the primary workspace (``reset``); other teams are dropped."""
        self._primary = workspace
        self.workspaces = {workspace.team_id: workspace}

    @property
    def primary(self) -> Workspace:
        return self._primary

    @property
    def app(self) -> App:
        """The emulated app's installation (bot user, bot token) in the current team."""
        installed = self.ws.installed
        assert installed is not None, "the emulated app has no installation in this team"
        return installed

    @app.setter
    def app(self, app: App) -> None:
        self.ws.installed = app

    @contextlib.contextmanager
    def in_team(self, team_id: str) -> Iterator[Workspace]:
        """Work in ``team_id`` (``ws``/``app`` are that team's) until the block ends."""
        if team_id not in self.workspaces:
            raise ValueError(f"no team {team_id!r}")
        token = self._team.set(team_id)
        try:
            yield self.workspaces[team_id]
        finally:
            self._team.reset(token)

    def team_of_token(self, token: str) -> Workspace | None:
        """The workspace a token belongs to (``None``: unknown or revoked)."""
        for workspace in self.workspaces.values():
            if token in workspace.tokens:
                return workspace
        return None

    # -- records --------------------------------------------------------------------------------
    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def _trim(self, records: list[Any]) -> None:
        limit = self.config.record_limit
        if limit is not None and len(records) > limit:
            del records[: len(records) // 2]

    def record_call(self, call: Call) -> Call:
        self._trim(self.calls)
        self.calls.append(call)
        self.changed("call", call)
        return call

    def new_delivery(self, **fields: Any) -> Delivery:
        self._trim(self.deliveries)
        delivery = Delivery(seq=self.next_seq(), at=self.clock.now(), **fields)
        self.deliveries.append(delivery)
        return delivery

    def finish_delivery(self, delivery: Delivery, result: str, **fields: Any) -> Delivery:
        delivery.result = result
        delivery.finished_at = self.clock.now()
        for key, value in fields.items():
            setattr(delivery, key, value)
        self.changed("delivery", delivery)
        return delivery

    # -- change notification and waiting ---------------------------------------------------------
    def subscribe(self, listener: Callable[[str, Any], None]) -> None:
        """``listener(kind, obj)`` for every change (``message``, ``call``, ``delivery``...)."""
        self._listeners.append(listener)

    def changed(self, kind: str = "state", obj: Any = None) -> None:
        self.last_change = (kind, obj)
        for listener in list(self._listeners):
            listener(kind, obj)
        if not self._waiters:
            return
        keep = []
        for check, future in self._waiters:
            if future.done():
                continue
            try:
                result = check()
            except Exception as exc:  # a broken predicate fails its waiter, not the emulator
                future.set_exception(exc)
                continue
            if result is not None:
                future.set_result(result)
            else:
                keep.append((check, future))
        self._waiters = keep

    async def wait(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        """Return ``check()`` as soon as it is not ``None``; ``TimeoutError`` after ``timeout``."""
        result = check()
        if result is not None:
            return result
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append((check, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}") from None
        finally:
            self._waiters = [(c, f) for c, f in self._waiters if f is not future]

    def event_base(self) -> JSON:
        return {
            "token": self.verification_token,
            "team_id": self.ws.team_id,
            "api_app_id": self.app.app_id,
        }
