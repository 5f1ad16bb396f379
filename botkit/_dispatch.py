"""The dispatch pipeline: what happens to an event an adapter hands to ``bot.dispatch``.

::

    dispatch(event)  = dedup -> intake(event)   (or admit(event), with a durable inbox)
    intake(event)    = process(event)          (the seam for storing events first)
    process(event)   = route -> record -> turn gate -> handler -> error policy

- **dedup**: an event id seen within ``dedup_ttl`` (in the store, so across processes) is
  dropped: platforms redeliver.
- **intake**: by default the event is processed at once, and ``dispatch`` returns when its
  handlers finished. Another intake (the seam) may store the event and process it later.
- **admit**: the durable inbox sets ``pipeline.admit`` to "dedup and append to the inbox in
  one store write, and return" (the ack path: the platform is acknowledged after it) and
  runs ``pipeline.process`` from its consumer (after a restart too).
- **route**: a message goes to ``on_mention`` handlers (when it addresses the bot and there
  are any) or ``on_message`` handlers; a click to ``clicks.route_click``; a command to its
  ``on_command`` handler. Nothing to run: done.
- **record**: a handled message creates or touches the conversation's thread record.
- **turn gate**: per-conversation concurrency (``_turns.TurnGate``), for messages only.
- **handler** and **error policy**: ``ErrorPolicy.run`` (below); a message's handler is
  awaited in the turn gate's frame (``_Turn``), what it raises answered by
  ``ErrorPolicy.failed``.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from botkit import keys
from botkit._registry import Handler, HandlerRegistry, command_key
from botkit.clicks import route_click
from botkit.context import (
    CommandContext,
    ModalCloseContext,
    ModalSubmitContext,
    ReactionContext,
    ThreadStartedContext,
    TurnContext,
)
from botkit.errors import ChoiceCancelled, InteractionExpired, RunSuspended, UserError
from botkit.events import (
    CommandEvent,
    Event,
    InteractionEvent,
    MessageEvent,
    ModalCloseEvent,
    ModalSubmitEvent,
    ReactionEvent,
    ThreadStartedEvent,
)
from botkit.run import tracking
from botkit.run.fair import FAIR

if TYPE_CHECKING:
    from botkit._runtime import Runtime
    from botkit.bot import Bot
    from botkit.thread import Thread

__all__ = ["EXPIRED_NOTICE", "ErrorPolicy", "Intake", "Pipeline"]

log = logging.getLogger("botkit")
Intake = Callable[[Event], Awaitable[None]]
EXPIRED_NOTICE = "This request has already been answered or has expired."


class ErrorPolicy:
    """What a failing handler leads to. ``InteractionExpired`` is answered with a short
    notice; ``RunSuspended`` (a run waiting for a person across a restart) is logged. Any
    other exception goes to the ``@bot.on_error`` handlers when there are some; otherwise
    (and when an error handler fails too) it is logged and the conversation gets a short
    notice: the ``UserError`` text itself (a setup mistake, logged without a traceback),
    else "something went wrong" with an error reference found in the log."""

    def __init__(self, registry: HandlerRegistry) -> None:
        self.registry = registry

    async def run(self, handler: Handler, ctx: Any, thread: Thread) -> None:
        """Run ``handler(ctx)``; never raises (but lets cancellation through)."""
        try:
            result = handler(ctx)
            if inspect.isawaitable(result):
                await result
        except (Exception, RunSuspended) as exc:
            await self.failed(exc, handler, ctx, thread)

    async def failed(self, exc: Exception | RunSuspended, handler: Handler, ctx: Any,
                     thread: Thread) -> None:
        """``handler(ctx)`` raised ``exc``: answer it as ``run`` does (for a turn, whose
        handler runs in the turn gate's frame, not in ``run``'s)."""
        if isinstance(exc, InteractionExpired):
            await notify(thread, EXPIRED_NOTICE)
        elif isinstance(exc, ChoiceCancelled):  # its card already says so
            log.info("a choice in %s was cancelled: %s", thread.id, exc)
        elif isinstance(exc, RunSuspended):
            log.info("a run in %s is suspended: %s", thread.id, exc)
        else:
            what = f"handler {getattr(handler, '__name__', handler)}"
            if not await self._handled(exc, ctx, what):
                await self.report(exc, thread, what)

    async def run_all(self, handlers: Sequence[Handler], ctx: Any, thread: Thread) -> None:
        """``run`` each handler in turn."""
        for handler in handlers:
            await self.run(handler, ctx, thread)

    async def _handled(self, exc: Exception, ctx: Any, what: str) -> bool:
        if not self.registry.errors:
            return False
        log.info("%s failed (%s: %s); passing it to on_error", what, type(exc).__name__, exc)
        try:
            for error_handler in self.registry.errors:
                await _maybe_await(error_handler(exc, ctx))
        except Exception:
            log.exception("the on_error handler failed")
            return False
        return True

    async def report(self, exc: Exception, thread: Thread, what: str) -> None:
        """The default answer to a failure: log it and tell the conversation briefly."""
        if isinstance(exc, UserError):
            log.error("%s failed: %s", what, exc)
            await notify(thread, f"⚠️ {exc}")
            return
        ref = uuid.uuid4().hex[:8]
        log.error("%s failed (error %s)", what, ref, exc_info=exc)
        await notify(thread, f"⚠️ Sorry, something went wrong handling that (error {ref}).")


class Pipeline:
    def __init__(self, bot: Bot, runtime: Runtime) -> None:
        self.bot = bot
        self.runtime = runtime
        self.errors = runtime.errors
        self.intake: Intake = self.process
        """Where a new (not duplicate) event goes (the seam for storing it first)."""
        self.admit: Intake | None = None
        """With a durable inbox: dedup and store an event in one write (in place of
        ``dedup -> intake``)."""

    def dispatch(self, event: Event) -> Coroutine[Any, Any, None]:
        """``Bot.dispatch``: with a durable inbox, ``admit`` (dedup and append in one store
        write; its consumer passes the fair-share gate before the turn); without one, the
        fair-share gate, dedup, then ``intake``. A message processed straight away is one
        coroutine from the gate to its turn (``_message``): no frame of ``dispatch``'s own
        while the turn waits for a person."""
        if isinstance(event, MessageEvent) and not self.durable:
            return self._message(event, fresh=True)
        return self._dispatch(event)

    async def _dispatch(self, event: Event) -> None:
        if self.admit is not None:
            await self.admit(event)
            return
        if await self._is_new(event, gate=not self.durable):
            await self.intake(event)

    async def _is_new(self, event: Event, *, gate: bool) -> bool:
        """Dedup (after the fair-share gate, with ``gate``: the event is processed now)."""
        if gate:
            await FAIR.turn()
        if await self.is_duplicate(event):
            log.debug("duplicate event %s ignored", event.event_id)
            return False
        return True

    @property
    def durable(self) -> bool:
        """Whether new events are stored (a durable inbox: ``admit`` set, or ``intake``
        replaced) rather than processed straight away."""
        return self.admit is not None or self.intake != self.process

    def seen_key(self, event: Event) -> str:
        """The store key that marks ``event`` as seen (dedup across processes)."""
        return keys.event_seen(event.platform, event.event_id)

    async def is_duplicate(self, event: Event) -> bool:
        return await self.runtime.store.seen(self.seen_key(event), ttl=self.runtime.dedup_ttl)

    def process(self, event: Event) -> Coroutine[Any, Any, None]:
        """Route the event and run its handlers (no dedup: ``dispatch`` did it). A plain
        function returning the handling coroutine, so a turn waiting for a person does not
        keep one more suspended frame."""
        if isinstance(event, MessageEvent):
            return self._message(event)
        if isinstance(event, InteractionEvent):
            return route_click(event, bot=self.bot, runtime=self.runtime)
        if isinstance(event, CommandEvent):
            return self._command(event)
        if isinstance(event, ReactionEvent):
            return self._reaction(event)
        if isinstance(event, ThreadStartedEvent):
            return self._thread_started(event)
        return self._modal(event)

    async def _message(self, event: MessageEvent, fresh: bool = False) -> None:
        """A message's turn; ``fresh`` from ``dispatch``: first what it does (the
        fair-share gate, dedup; ``intake`` is ``process``)."""
        if fresh and not await self._is_new(event, gate=True):
            return
        handlers = self.runtime.registry.turn_handlers(event)
        if not handlers:
            return
        self.bot.thread(event.platform, event.conversation)  # an unknown platform fails here
        await tracking.touch(self.runtime.threads, event.platform, event.conversation,
                             event.text)
        try:  # an object, not a closure: it stays referenced while the turn waits
            await self.runtime.turns.run(event, _Turn(self, handlers))
        finally:  # the touch no run carried
            await tracking.settle(self.runtime.threads, event.conversation)

    async def _command(self, event: CommandEvent) -> None:
        handler = self.runtime.registry.command(event.command)
        if handler is None:
            log.info("no handler for command %s", event.command)
            return
        thread = self.bot.thread(event.platform, event.conversation, user=event.user)
        ctx = CommandContext(thread=thread, user=event.user, platform=event.platform,
                             bot=self.bot, command=command_key(event.command),
                             text=event.text, event=event)
        await self.errors.run(handler, ctx, thread)

    async def _reaction(self, event: ReactionEvent) -> None:
        handlers = self.runtime.registry.reaction_handlers(event.emoji)
        if not handlers:
            return
        thread = self.bot.thread(event.platform, event.conversation, user=event.user)
        ctx = ReactionContext(thread=thread, user=event.user, platform=event.platform,
                              bot=self.bot, emoji=event.emoji, added=event.added,
                              message=event.message, event=event)
        for handler in handlers:
            await self.errors.run(handler, ctx, thread)

    async def _thread_started(self, event: ThreadStartedEvent) -> None:
        handlers = self.runtime.registry.thread_started
        if not handlers:
            return
        thread = self.bot.thread(event.platform, event.conversation, user=event.user)
        ctx = ThreadStartedContext(thread=thread, user=event.user, platform=event.platform,
                                   bot=self.bot, context=event.context,
                                   context_changed=event.context_changed, event=event)
        for handler in handlers:
            await self.errors.run(handler, ctx, thread)

    async def _modal(self, event: ModalSubmitEvent | ModalCloseEvent) -> None:
        submit = isinstance(event, ModalSubmitEvent)
        handler = self.runtime.registry.modal_handler(event.callback_id, submit=submit)
        if handler is None:
            log.info("no on_modal_%s handler for %r", "submit" if submit else "close",
                     event.callback_id)
            return
        thread = self.bot.thread(event.platform, event.conversation, user=event.user)
        common: dict[str, Any] = {"thread": thread, "user": event.user,
                                  "platform": event.platform, "bot": self.bot,
                                  "callback_id": event.callback_id, "metadata": event.metadata}
        ctx = ModalSubmitContext(**common, values=event.values, event=event) \
            if isinstance(event, ModalSubmitEvent) else ModalCloseContext(**common, event=event)
        await self.errors.run(handler, ctx, thread)


class _Turn:
    """One turn of a message's handlers: the turn gate's body. Called, it starts the
    handler and returns its coroutine for the gate to await, so no frame of its own (nor
    ``ErrorPolicy.run``'s) stays suspended while the turn waits for a person; the gate
    hands what the handler raised to ``failed`` (the error policy)."""

    __slots__ = ("ctx", "handlers", "pipeline")

    def __init__(self, pipeline: Pipeline, handlers: Sequence[Handler]) -> None:
        self.pipeline = pipeline
        self.handlers = handlers
        self.ctx: TurnContext | None = None

    def __call__(self, message: MessageEvent, skipped: tuple[MessageEvent, ...]
                 ) -> Awaitable[None]:
        bot, errors = self.pipeline.bot, self.pipeline.errors
        thread = bot.thread(message.platform, message.conversation, message=message)
        self.ctx = ctx = TurnContext(thread=thread, user=message.user,
                                     platform=message.platform, bot=bot, message=message,
                                     skipped=skipped)
        if len(self.handlers) != 1:
            return errors.run_all(self.handlers, ctx, thread)  # each answered on its own
        result = self.handlers[0](ctx)  # the usual case
        return result if inspect.isawaitable(result) else _nothing()

    async def failed(self, exc: Exception | RunSuspended) -> None:
        if self.ctx is None:
            raise exc
        await self.pipeline.errors.failed(exc, self.handlers[0], self.ctx, self.ctx.thread)


async def _nothing() -> None:
    """What a turn awaits after a handler that is a plain function."""


async def notify(thread: Thread, text: str) -> None:
    try:
        await thread.show_notice(text)
    except Exception:
        log.exception("could not post an error notice in %s", thread.id)


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value
