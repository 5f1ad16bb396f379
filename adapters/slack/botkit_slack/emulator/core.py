"""The shared heart of one emulator instance: state, clock, records, waiters and sub-services."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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

T = TypeVar("T")


class Core:
    """Everything a Web API method, a delivery or the test API needs to reach."""

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
    ) -> None:
        self.config = config
        self.clock = clock
        self.ws = workspace
        self.ids = ids
        self.app = app
        self.app_token = app_token
        self.signing_secret = signing_secret
        self.verification_token = verification_token
        self.limiter = RateLimiter(config.rate_limits, clock)
        self.faults = Faults()
        self.calls: list[Call] = []
        self.deliveries: list[Delivery] = []
        self.seq = 0
        self.root_url = "http://127.0.0.1:0/"
        self._waiters: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._listeners: list[Callable[[str, Any], None]] = []
        self.last_change: tuple[str, Any] = ("state", None)
        # Set by the emulator once the services exist.
        self.events: Events
        self.dispatcher: Dispatcher
        self.sockets: SocketHub
        self.interactivity: Interactivity
        self.views: Views

    @property
    def base_url(self) -> str:
        return self.root_url + "api/"

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
