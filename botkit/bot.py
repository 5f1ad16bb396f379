"""``create_bot`` and ``Bot``: handler registry, routing, lifecycle, and ``dispatch``."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

import ag_ui.core as agui

from botkit._actions import ActionRegistry
from botkit._agent_context import ContextEntry, to_agui_context
from botkit._choice_relay import ChoiceRelay
from botkit._interactions import handle_interaction
from botkit._turns import Concurrency, TurnGate
from botkit._validation import checked_bot_arguments
from botkit.adapter import PlatformAdapter
from botkit.agents.base import AgentLike
from botkit.choices import ChoiceRegistry
from botkit.context import CommandContext, InteractionContext, InterruptContext, TurnContext
from botkit.errors import AdapterError, InteractionExpired, RunSuspended, UserError
from botkit.events import CommandEvent, Event, InteractionEvent, MessageEvent
from botkit.store import MemoryStore, StateStore
from botkit.thread import Thread
from botkit.threads import Threads, ThreadsAPIConfig
from botkit.threads.config import serve_threads_api
from botkit.threads.tracking import touch
from botkit.tools import BotTool, tool_from_function
from botkit.types import Conversation, PlatformUser

__all__ = ["Bot", "ContextEntry", "create_bot"]

log = logging.getLogger("botkit")
H = TypeVar("H", bound=Callable[..., Any])
Handler = Callable[[Any], Awaitable[Any] | Any]


def command_key(name: str) -> str:
    """``/File-Issue`` and ``file_issue`` route to the same handler."""
    return name.strip().lstrip("/").lower().replace("-", "_")


class Bot:
    """A bot: handlers, tools and an agent, served on one or more platform adapters.

    Build one with ``create_bot``. Adapters deliver events to ``dispatch``; everything
    after that (dedup, per-conversation ordering, routing, error replies) happens here.
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
        self.max_iterations = max_iterations
        self.interrupt_event_names = frozenset(interrupt_event_names)
        self.dedup_ttl = dedup_ttl
        self.adapters: list[PlatformAdapter] = []
        self.tools: dict[str, BotTool] = {}
        self.context: list[agui.Context] = [to_agui_context(c) for c in context]
        self.actions = ActionRegistry()
        self.choices = ChoiceRegistry()
        self.relay = ChoiceRelay(self)
        """Recorded choices: answered wherever the click lands, replayed after a restart."""
        self._mention: list[Handler] = []
        self._message: list[Handler] = []
        self._interactions: dict[str, Handler] = {}
        self._interrupts: dict[str, Handler] = {}
        self._commands: dict[str, Handler] = {}
        self._turns = TurnGate(lambda: self.store, concurrency, lock_ttl)
        self.threads_api = threads_api
        self._threads_server: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._started = False
        self._stop_requested: asyncio.Event | None = None
        for adapter in adapters:
            self.add_adapter(adapter)
        for tool in tools:
            self.tool(tool)

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

    def on_mention(self, handler: H) -> H:
        """Handle messages addressed to the bot (@-mention, DM, the console)."""
        self._mention.append(self.actions.trusted(handler))
        return handler

    def on_message(self, handler: H) -> H:
        """Handle other messages the bot sees (and mentions, if no on_mention handler)."""
        self._message.append(self.actions.trusted(handler))
        return handler

    def on_interaction(self, action_id: str) -> Callable[[H], H]:
        """Handle clicks on controls with this explicit ``action_id``."""
        def register(handler: H) -> H:
            self._interactions[action_id] = self.actions.trusted(handler)
            return handler
        return register

    def on_interrupt(self, event_name: str = "*") -> Callable[[H], H]:
        """Handle the agent pausing for a human. ``event_name`` is the legacy CUSTOM event
        name or the AG-UI 1.0 interrupt ``reason``; ``"*"`` catches every interrupt."""
        def register(handler: H) -> H:
            self._interrupts[event_name] = self.actions.trusted(handler)
            return handler
        return register

    def on_command(self, name: str) -> Callable[[H], H]:
        """Handle a slash command (``/ticket …``)."""
        def register(handler: H) -> H:
            self._commands[command_key(name)] = self.actions.trusted(handler)
            return handler
        return register

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
            if built.name in self.tools:
                raise UserError(f"two tools are named {built.name!r}; tool names must be unique")
            self.tools[built.name] = self.actions.trusted(built, origin=f)
            return built
        return register(fn) if fn is not None else register

    def has_command(self, name: str) -> bool:
        return command_key(name) in self._commands

    def tools_with(self, extra: Sequence[BotTool] | None) -> dict[str, BotTool]:
        return {**self.tools, **{t.name: t for t in extra or ()}}

    def context_with(self, extra: Iterable[Any] | None) -> list[agui.Context]:
        return [*self.context, *(to_agui_context(c) for c in extra or ())]

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Start every adapter. One failing adapter is logged; all failing raises."""
        if self._started:
            return
        if not self.adapters:
            raise UserError("this bot has no adapters: pass adapters=[...] to create_bot() "
                            "or run it with `botkit run app.py` (console by default)")
        try:
            await self.store.get("botkit:probe")
        except Exception as exc:
            raise UserError(f"the state store cannot be used ({type(exc).__name__}: {exc}); "
                            "check the store URL (--store / BOTKIT_STORE) or the data folder"
                            ) from exc
        self._stop_requested = asyncio.Event()
        if self.threads_api is not None:
            self._threads_server = await serve_threads_api(self.threads, self.threads_api)
        results = await asyncio.gather(*(a.start(self) for a in self.adapters),
                                       return_exceptions=True)
        failures = [(a, r) for a, r in zip(self.adapters, results, strict=True)
                    if isinstance(r, BaseException)]
        for adapter, error in failures:
            log.error("adapter %r failed to start: %s", adapter.platform, error)
        if len(failures) == len(self.adapters):
            await self._stop_threads_api()
            raise AdapterError(f"no adapter could start: {failures[0][1]}") from failures[0][1]
        self._started = True

    async def stop(self) -> None:
        """Finish in-flight work, then stop every adapter. Tools waiting for a person on a
        durable store are suspended: their choices stay recorded, to be replayed."""
        self.choices.cancel_all(InteractionExpired("the bot is stopping"),
                                suspend=RunSuspended("the bot is stopping"))
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=10)
        leftovers = set(self._tasks)
        for task in leftovers:
            task.cancel()
        # let cancelled work unwind (release locks …) before the store closes under it
        await asyncio.gather(*leftovers, return_exceptions=True)
        await self.relay.stop()
        await self._stop_threads_api()
        for adapter in self.adapters:
            try:
                await adapter.stop()
            except Exception:
                log.exception("adapter %r failed to stop", adapter.platform)
        if self.owns_store:
            await self.store.close()
        self._started = False

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
        """Start, run until ``request_stop()`` (or cancellation), then stop."""
        await self.start()
        assert self._stop_requested is not None
        try:
            await self._stop_requested.wait()
        finally:
            await self.stop()

    def run(self) -> None:
        """Serve until interrupted (Ctrl-C): the sync entry point for scripts."""
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(self.serve())

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, tracked so ``stop()`` waits for it."""
        task = asyncio.create_task(coro)
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

    def _adapter_for(self, platform: str) -> PlatformAdapter:
        adapter = self._find_adapter(platform)
        if adapter is None:
            raise UserError(f"an event came from {platform!r} but the bot has no such adapter")
        return adapter

    def thread(self, platform: str, conversation: Conversation, *,
               message: MessageEvent | None = None, user: PlatformUser | None = None) -> Thread:
        """A ``Thread`` for a conversation (for proactive messages outside handlers)."""
        return Thread(self, self._adapter_for(platform), conversation, message=message,
                      user=user)

    async def dispatch(self, event: Event) -> None:
        """The one entry point: adapters hand every platform event to this."""
        if await self.store.seen(f"evt:{event.platform}:{event.event_id}", ttl=self.dedup_ttl):
            log.debug("duplicate event %s ignored", event.event_id)
            return
        if isinstance(event, MessageEvent):
            await self._turn(event)
        elif isinstance(event, InteractionEvent):
            await handle_interaction(self, event)
        elif isinstance(event, CommandEvent):
            await self._command(event)

    async def _turn(self, event: MessageEvent) -> None:
        handlers = self._mention if event.mentioned and self._mention else self._message
        if not handlers:
            return
        await touch(self.threads, self.thread(event.platform, event.conversation), event.text)

        async def body(message: MessageEvent, skipped: tuple[MessageEvent, ...]) -> None:
            thread = self.thread(message.platform, message.conversation, message=message)
            ctx = TurnContext(thread=thread, user=message.user, platform=message.platform,
                              bot=self, message=message, skipped=skipped)
            for handler in handlers:
                await self.call_handler(handler, ctx, thread)
        await self._turns.run(event, body)

    async def _command(self, event: CommandEvent) -> None:
        handler = self._commands.get(command_key(event.command))
        if handler is None:
            log.info("no handler for command %s", event.command)
            return
        thread = self.thread(event.platform, event.conversation, user=event.user)
        ctx = CommandContext(thread=thread, user=event.user, platform=event.platform, bot=self,
                             command=command_key(event.command), text=event.text, event=event)
        await self.call_handler(handler, ctx, thread)

    async def handle_interrupt(self, ctx: InterruptContext) -> bool:
        handler = self._interrupts.get(ctx.event_name) or self._interrupts.get("*")
        if handler is None:
            return False
        await self.call_handler(handler, ctx, ctx.thread)
        return True

    def interaction_handler(self, action_id: str) -> Handler | None:
        return self._interactions.get(action_id) or self.actions.get(action_id)

    async def call_handler(
        self, handler: Handler, ctx: TurnContext | InteractionContext | InterruptContext |
        CommandContext, thread: Thread,
    ) -> None:
        """Run a handler; if it raises, log it and tell the user briefly. Never raises."""
        try:
            result = handler(ctx)
            if inspect.isawaitable(result):
                await result
        except InteractionExpired:
            await _notify(thread, "This request has already been answered or has expired.")
        except RunSuspended as suspended:
            log.info("a run in %s is suspended: %s", thread.id, suspended)
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("handler %s failed (error %s)", getattr(handler, "__name__", handler),
                          ref)
            await _notify(thread, f"⚠️ Sorry, something went wrong handling that (error {ref}).")


async def _notify(thread: Thread, text: str) -> None:
    try:
        await thread.show_notice(text)
    except Exception:
        log.exception("could not post an error notice in %s", thread.id)


def create_bot(
    *,
    adapters: Iterable[PlatformAdapter] = (),
    agent: AgentLike | None = None,
    tools: Iterable[BotTool | Callable[..., Any]] = (),
    context: Iterable[ContextEntry | Mapping[str, Any] | tuple[str, Any]] = (),
    name: str | None = None,
    store: StateStore | None = None,
    max_iterations: int = 6,
    interrupt_event_names: Iterable[str] = ("on_interrupt",),
    concurrency: Concurrency = "serial",
    lock_ttl: float = 60.0,
    threads_api: ThreadsAPIConfig | None = None,
) -> Bot:
    """Build a bot. Only ``adapters`` and ``agent`` are usually needed; ``tools`` are
    functions or ``BotTool``s the agent may call; ``context`` entries go to every run.

    ``store`` keeps what outlives an event (default: in memory; ``store_from_url`` builds
    SQLite or Redis stores). ``concurrency`` says what a message arriving while a turn runs
    in the same conversation does: ``"serial"`` waits its turn, ``"parallel"`` runs at once,
    ``"drop"`` is discarded, ``"queue"`` is answered by one turn after the running one
    (``ctx.skipped``). Turn locks live in the store for ``lock_ttl`` seconds, renewed while
    the turn runs. ``threads_api`` serves the threads HTTP API while the bot runs."""
    return Bot(adapters=adapters, agent=agent, tools=tools, context=context, name=name,
               store=store, max_iterations=max_iterations,
               interrupt_event_names=interrupt_event_names, concurrency=concurrency,
               lock_ttl=lock_ttl, threads_api=threads_api)
