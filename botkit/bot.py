"""``create_bot`` and ``Bot``: the facade over the handler registry (``_registry``), the
dispatch pipeline (``_dispatch``) and the runtime the engines run on (``_runtime``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Unpack, overload

from botkit import keys
from botkit._actions import ActionRegistry
from botkit._agent_context import ContextEntry
from botkit._decorators import HandlerDecorators
from botkit._dispatch import ErrorPolicy, Pipeline
from botkit._inbox_host import InboxHost, checked_inbox_config
from botkit._records import HandleViews
from botkit._registry import HandlerRegistry, no_such_attribute
from botkit._runtime import Runtime
from botkit._turns import Concurrency, TurnGate
from botkit._validation import BotOptions, checked_bot_arguments
from botkit.adapter import BaseAdapter, Delivery, PlatformAdapter
from botkit.agents.base import AgentLike
from botkit.choices import ChoiceRecord, Choices, ChoiceSurface
from botkit.clicks import answer_offer, offer_surface, replay_blocker
from botkit.errors import AdapterError, InteractionExpired, RunSuspended, UserError
from botkit.events import Event, MessageEvent
from botkit.inbox import InboxConfig
from botkit.run.fair import serving_gc
from botkit.store import MemoryStore, StateStore
from botkit.store.streams import Streams
from botkit.thread import Thread, replay_tool_call
from botkit.threads import Threads, ThreadsAPIConfig
from botkit.threads.config import start_server
from botkit.tools import BotTool, tool_from_function
from botkit.types import Conversation, PlatformUser

__all__ = ["Bot", "BotOptions", "ContextEntry", "create_bot"]

log = logging.getLogger("botkit")
API_LOG = logging.getLogger("botkit.threads.api")
"""Says where the threads API listens, once it does (``botkit run`` shows it)."""


class Bot(HandleViews, HandlerDecorators):
    """A bot: handlers, tools and an agent, served on one or more platform adapters.

    Build one with ``create_bot``. Adapters deliver events to ``dispatch``; everything
    after that (dedup, routing, per-conversation ordering, error replies) is the dispatch
    pipeline (``botkit._dispatch``).
    """

    def __init__(
        self,
        *,
        adapters: Iterable[PlatformAdapter] = (),
        agent: AgentLike | None = None,
        tools: Iterable[BotTool | Callable[..., Any]] = (),
        context: Iterable[ContextEntry | Mapping[str, Any] | tuple[str, Any]] = (),
        name: str | None = None,
        store: StateStore | None = None,
        max_iterations: int = 6,
        interrupt_event_names: Iterable[str] = ("on_interrupt",),
        dedup_ttl: float = 3600.0,
        concurrency: Concurrency = "serial",
        lock_ttl: float = 60.0,
        threads_api: ThreadsAPIConfig | None = None,
        inbox: InboxConfig | bool | None = None,
    ) -> None:
        adapters, tools, context = checked_bot_arguments(
            adapters=adapters, agent=agent, tools=tools, context=context,
            max_iterations=max_iterations)
        self.name = name or "botkit"
        self.agent = agent
        self.threads = Threads(store if store is not None else MemoryStore(),
                               adapter_for=self._find_adapter)
        self.default_store = store is None
        """True while the bot uses the MemoryStore it made (``botkit run`` may replace it)."""
        self.owns_store = False
        """Close the store when the bot stops (``botkit run`` sets it for stores it made)."""
        self.adapters: list[PlatformAdapter] = []
        self.threads_api = threads_api
        actions = ActionRegistry()
        registry = HandlerRegistry(actions)
        self._runtime = Runtime(
            threads=self.threads, registry=registry, actions=actions,
            choices=Choices(lambda: self.store, replay=self._replay, replay_blocker=self._blocker,
                            answer=lambda record, event: answer_offer(
                                record, event, bot=self, runtime=self._runtime),
                            surface_for=lambda record: offer_surface(
                                record, bot=self, runtime=self._runtime)),
            turns=TurnGate(lambda: self.store, concurrency, lock_ttl),
            errors=ErrorPolicy(registry), adapter_for=self._find_adapter,
            max_iterations=max_iterations,
            interrupt_event_names=frozenset(interrupt_event_names), dedup_ttl=dedup_ttl)
        self._registry = self._runtime.registry
        self._registry.add_context(context)
        self._pipeline = Pipeline(self, self._runtime)
        inbox_config = checked_inbox_config(inbox)
        self._inbox = None if inbox_config is None else InboxHost(
            self, self._runtime, self._pipeline, inbox_config)
        self._threads_server: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        for adapter in adapters:
            self.add_adapter(adapter)
        for tool in tools:
            self.tool(tool)

    if not TYPE_CHECKING:  # type checkers keep flagging unknown names themselves
        def __getattr__(self, name: str) -> Any:
            """Only reached for a name ``Bot`` lacks: suggest the one that was meant."""
            raise no_such_attribute(self, name)

    @property
    def store(self) -> StateStore:
        """Where the bot keeps dedup marks, locks, thread records and agent state."""
        return self.threads.store

    @store.setter
    def store(self, store: StateStore) -> None:
        if self._started:
            raise UserError("set the store before bot.start()")
        self.threads.store = store
        self.default_store = False

    @property
    def tools(self) -> Mapping[str, BotTool]:
        """The bot's tools by name."""
        return self._registry.tools

    @property
    def max_iterations(self) -> int:
        return self._runtime.max_iterations

    @property
    def interrupt_event_names(self) -> frozenset[str]:
        return self._runtime.interrupt_event_names

    @property
    def dedup_ttl(self) -> float:
        return self._runtime.dedup_ttl

    @property
    def threads_api_url(self) -> str | None:
        """The threads API's base URL while it is being served."""
        return None if self._threads_server is None else str(self._threads_server.url)

    # -- registration ------------------------------------------------------------------
    def add_adapter(self, adapter: PlatformAdapter) -> None:
        if self._started:
            raise UserError("add adapters before bot.start()")
        if any(a.platform == adapter.platform for a in self.adapters):
            raise UserError(f"this bot already has a {adapter.platform!r} adapter")
        self.adapters.append(adapter)

    @overload
    def tool(self, fn: Callable[..., Any] | BotTool) -> BotTool: ...
    @overload
    def tool(
        self, fn: None = None, *, name: str | None = None, description: str | None = None
    ) -> Callable[[Callable[..., Any]], BotTool]: ...

    def tool(
        self, fn: Callable[..., Any] | BotTool | None = None, *, name: str | None = None,
        description: str | None = None,
    ) -> BotTool | Callable[[Callable[..., Any]], BotTool]:
        """Register a bot tool: a ``BotTool`` or a function (``@bot.tool``)."""
        def register(f: Callable[..., Any] | BotTool) -> BotTool:
            built = f if isinstance(f, BotTool) else tool_from_function(
                f, name=name, description=description)
            self._registry.add_tool(built, origin=f)
            return built
        return register(fn) if fn is not None else register

    def has_command(self, name: str) -> bool:
        return self._registry.has_command(name)

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Start every adapter. One failing adapter is logged; all failing raises."""
        if self._started:
            return
        if not self.adapters:
            raise UserError("this bot has no adapters: pass adapters=[...] to create_bot() "
                            "or run it with `botkit run app.py` (console by default)")
        try:
            await self.store.get(keys.PROBE)
        except Exception as exc:
            raise UserError(f"the state store cannot be used ({type(exc).__name__}: {exc}); "
                            "check the store URL (--store / BOTKIT_STORE) or the data folder"
                            ) from exc
        if not self._registry.has_message_handlers():
            log.warning("%s has no @bot.on_mention or @bot.on_message handler: every message "
                        "will be ignored. Add one, e.g. @bot.on_mention above "
                        "`async def answer(ctx): await ctx.thread.run_agent()`", self.name)
        self._stop_requested = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        results = await asyncio.gather(*(a.start(self) for a in self.adapters),
                                       return_exceptions=True)
        failures = [(a, r) for a, r in zip(self.adapters, results, strict=True)
                    if isinstance(r, BaseException)]
        for adapter, error in failures:
            log.error("adapter %r failed to start: %s", adapter.platform, error)
        if len(failures) == len(self.adapters):
            raise AdapterError(f"no adapter could start: {failures[0][1]}") from failures[0][1]
        if self.threads_api is not None:  # after the adapters: they mount their routes
            try:
                self._threads_server = await start_server(self.threads, self.threads_api)
            except BaseException:
                await self._stop_adapters()
                raise
            API_LOG.info("threads dashboard at %s/", self.threads_api_url)
        if self._inbox is not None:  # consume once the adapters can answer
            await self._inbox.start()
        self._started = True

    async def stop(self) -> None:
        """Finish in-flight work, then stop every adapter. Tools waiting for a person on a
        durable store are suspended: their choices stay recorded, to be replayed."""
        for adapter in self.adapters:  # no new deliveries: the platform sends them elsewhere
            if isinstance(adapter, BaseAdapter):
                try:
                    await adapter.begin_drain()
                except Exception:
                    log.exception("adapter %r could not begin draining", adapter.platform)
        self._runtime.choices.cancel_all(InteractionExpired("the bot is stopping"),
                                         suspend=RunSuspended("the bot is stopping"))
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)
        if self._inbox is not None and (drained := await self._inbox.drain()) is not None:
            log.info("stopped: %s", drained)
        leftovers = set(self._tasks)
        for task in leftovers:
            task.cancel()
        # let cancelled work unwind (release locks …) before the store closes under it
        await asyncio.gather(*leftovers, return_exceptions=True)
        await self._runtime.choices.stop()
        await self._stop_threads_api()
        await self._stop_adapters()
        if self.owns_store:
            await self.store.close()
        self._started = False

    async def _stop_adapters(self) -> None:
        for adapter in self.adapters:
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %r failed to stop", adapter.platform)

    async def _stop_threads_api(self) -> None:
        server, self._threads_server = self._threads_server, None
        if server is not None:
            await server.stop()
        await self.threads.hub.aclose()

    def request_stop(self) -> None:
        """Ask ``serve()`` to return (adapters call this when their input ends)."""
        if self._stop_requested is not None:
            self._stop_requested.set()

    async def serve(self) -> None:
        """Start, run until ``request_stop()`` (or cancellation), then stop. The process
        is the bot's while it serves: the garbage collector is set for serving
        (``run.fair.serving_gc``), and set back when this returns."""
        await self.start()
        restore_gc = serving_gc()
        assert self._stop_requested is not None
        try:
            await self._stop_requested.wait()
        finally:
            try:
                await self.stop()
            finally:
                restore_gc()

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C): the sync entry point for scripts."""
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.serve())

    @property
    def durable_intake(self) -> bool:
        # a store without streams runs without the inbox (``InboxHost.start`` says so)
        return self._inbox is not None and isinstance(self.store, Streams)

    @property
    def accepts_deliveries(self) -> bool:
        return self.durable_intake

    async def admit_delivery(self, delivery: Delivery) -> bool:
        """``BotHandle.admit_delivery`` (``InboxHost.admit_delivery``)."""
        if self._inbox is None:
            raise UserError("admit_delivery needs the durable inbox (accepts_deliveries)")
        return await self._inbox.admit_delivery(delivery, home=self._loop)

    def use_inbox(self, inbox: InboxConfig | bool = True) -> None:
        """Turn the durable inbox on (``True`` or an ``InboxConfig``) or off, before
        ``start``, as ``create_bot(inbox=…)`` does (``botkit run --inbox``)."""
        if self._started:
            raise UserError("turn the inbox on or off before the bot starts")
        config = checked_inbox_config(inbox)
        self._inbox = None if config is None else InboxHost(
            self, self._runtime, self._pipeline, config)

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None
              ) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, tracked so ``stop()`` waits for it."""
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background work failed", exc_info=task.exception())

    # -- dispatch ----------------------------------------------------------------------
    def _find_adapter(self, platform: str) -> PlatformAdapter | None:
        return next((a for a in self.adapters if a.platform == platform), None)

    def thread(self, platform: str, conversation: Conversation, *,
               message: MessageEvent | None = None, user: PlatformUser | None = None) -> Thread:
        """A ``Thread`` for a conversation (for proactive messages outside handlers)."""
        adapter = self._find_adapter(platform)
        if adapter is None:
            raise UserError(f"an event came from {platform!r} but the bot has no such adapter")
        return Thread(self, adapter, conversation, runtime=self._runtime, message=message,
                      user=user)

    async def open_dm(self, user: PlatformUser | str, *, platform: str | None = None
                      ) -> Thread | None:
        """The direct conversation with ``user`` (a person or their id) as a ``Thread``,
        on ``platform`` (default: the only adapter that can open one). None where no
        adapter can, or the platform refused (logged)."""
        able = [a for a in self.adapters if a.capabilities.direct_messages and
                (platform is None or a.platform == platform)]
        if platform is not None and self._find_adapter(platform) is None:
            raise UserError(f"this bot has no {platform!r} adapter")
        if len(able) > 1:
            raise UserError("several adapters can open a DM: say which with "
                            f"open_dm(user, platform=...) ({', '.join(a.platform for a in able)})")
        if not able:
            return None
        adapter = able[0]
        person = user if isinstance(user, PlatformUser) else PlatformUser(id=user)
        try:
            conversation = await adapter.open_dm(person)
        except Exception as exc:
            log.warning("opening a DM with %s on %s failed: %s", person.id, adapter.platform,
                        exc)
            return None
        return Thread(self, adapter, conversation, runtime=self._runtime, user=person)

    def dispatch(self, event: Event) -> Coroutine[Any, Any, None]:
        """The one entry point: adapters hand every platform event to this (``await
        bot.dispatch(event)``). Returns once the event's handlers finished (see
        ``botkit._dispatch`` for the pipeline). A burst of events is let through a slice of
        the loop at a time (``botkit.run.fair``). With the durable inbox on, this returns
        once the event is stored: the ack path (dedup, append) skips the gate, which the
        inbox's consumer passes before the turn instead. (A plain method returning the
        pipeline's coroutine: no frame of its own in a turn that waits for a person.)"""
        return self._pipeline.dispatch(event)

    async def _replay(self, record: ChoiceRecord, value: Any, where: ChoiceSurface) -> None:
        """Replay the waiting tool call of ``record`` with ``value`` as its newest answer,
        in the conversation and for the person the call ran for."""
        call = record.call
        assert call is not None
        thread = self.thread(where.platform, where.conversation, message=record.message,
                             user=record.user)
        try:
            await replay_tool_call(thread, call, value)
        except RunSuspended:
            log.info("the replayed run in %s is waiting again", thread.id)
        except Exception as exc:
            await self._runtime.errors.report(exc, thread, f"replaying tool call {call.id}")

    def _blocker(self, record: ChoiceRecord) -> str | None:
        return replay_blocker(self, record)


def create_bot(**options: Unpack[BotOptions]) -> Bot:
    """Build a bot. Only ``adapters`` and ``agent`` are usually needed; ``tools`` are
    functions or ``BotTool``s the agent may call; ``context`` entries go to every run.

    ``store`` keeps what outlives an event (default: in memory; ``store_from_url`` builds
    SQLite or Redis stores). ``concurrency`` says what a message arriving while a turn runs
    in the same conversation does: ``"serial"`` waits its turn, ``"parallel"`` runs at once,
    ``"drop"`` is discarded, ``"queue"`` is answered by one turn after the running one
    (``ctx.skipped``). Turn locks live in the store for ``lock_ttl`` seconds, renewed while
    the turn runs. ``dedup_ttl`` is how long an event id is remembered, so a platform's
    redelivery is ignored. ``threads_api`` serves the threads HTTP API while the bot runs."""
    return Bot(**options)
