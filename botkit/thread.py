"""``Thread``: the handle handlers and tools use to talk to one conversation."""

from __future__ import annotations

import logging
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Mapping,
    Sequence,
)
from functools import partial
from typing import TYPE_CHECKING, Any

from botkit._actions import handler_ref
from botkit._gated import GatedCalls
from botkit.adapter import OpenChoice, PlatformAdapter, stream_to
from botkit.agents.base import Agent
from botkit.clicks import ChoicePort
from botkit.context import InterruptContext
from botkit.errors import UserError
from botkit.events import MessageEvent
from botkit.history import AgentMessage, build_agent_messages, new_message_id
from botkit.run import tracking
from botkit.run.calls import ToolCall
from botkit.run.interrupts import PendingInterrupt
from botkit.run.loop import AgentRunner
from botkit.run.request import RunRequest
from botkit.run.result import RunResult
from botkit.run.surface import RunSurface, notice
from botkit.tools import BotTool, ToolContext
from botkit.types import (
    Conversation,
    MessageRef,
    PlatformUser,
    StreamPart,
    ThreadMessage,
)
from botkit.ui.binding import bind_handlers, to_message
from botkit.ui.nodes import ClickHandler, Message, Renderable

if TYPE_CHECKING:
    from botkit._runtime import Runtime
    from botkit.bot import Bot, ContextEntry

__all__ = ["Thread"]

log = logging.getLogger("botkit")


class Thread(GatedCalls):
    """One conversation (a Slack thread or DM, the console session …).

    ``id`` is the stable conversation key. Gated methods (``get_messages``,
    ``lookup_user``, ``post_file``, ``post_ephemeral``, ``react``, ``set_status``,
    ``set_suggested_prompts``, ``schedule`` …; ``botkit._gated``) degrade to ``[]`` /
    ``None`` / ``False`` / ``FileResult(ok=False)`` where the platform lacks the
    capability, and when the platform fails (logged); they raise only on misuse.
    ``post``, ``update``, ``delete`` and ``stream`` raise ``AdapterError`` when the
    platform fails.
    """

    # no per-instance dict: a turn waiting for a person keeps its thread for hours
    __slots__ = ("_adapter", "_bot", "_runtime", "_tool_call", "conversation", "message",
                 "user")

    def __init__(
        self,
        bot: Bot,
        adapter: PlatformAdapter,
        conversation: Conversation,
        *,
        runtime: Runtime,
        message: MessageEvent | None = None,
        user: PlatformUser | None = None,
        tool_call: ToolCall | None = None,
    ) -> None:
        """Made by ``bot.thread(...)``; ``runtime`` is what the bot's engines run on, and
        ``tool_call`` the bot tool call this thread is seen by (its ``await_choice`` calls
        are recorded for replay)."""
        self._bot = bot
        self._runtime = runtime
        self._adapter = adapter
        self.conversation = conversation
        self.message = message
        self.user = user if user is not None else (message.user if message else None)
        self._tool_call = tool_call

    def _for_tool_call(self, call: ToolCall) -> Thread:
        """This conversation as seen by a bot tool during ``call``."""
        return Thread(self._bot, self._adapter, self.conversation, runtime=self._runtime,
                      message=self.message, user=self.user, tool_call=call)

    def __repr__(self) -> str:
        return f"Thread(platform={self.platform!r}, id={self.id!r})"

    # -- messages --------------------------------------------------------------------
    async def _bind(self, ui: Renderable) -> Message:
        message, handlers = bind_handlers(to_message(ui), scope=self.id)
        if handlers:
            await self._runtime.actions.bind(handlers, thread=self.id,
                                             store=self._runtime.store)
        return message

    async def post(self, ui: Renderable) -> MessageRef:
        """Post text or components; returns a ref for ``update``/``delete``.

        A control's ``on_click`` that is a module-level function keeps working after a
        restart (with a SQLite or Redis store) and on every replica sharing the store; other
        handlers (lambdas, closures, methods) live in this process only."""
        return await self._adapter.post(self.conversation, await self._bind(ui))

    async def update(self, ref: MessageRef, ui: Renderable) -> MessageRef:
        return await self._adapter.update(self.conversation, ref, await self._bind(ui))

    async def delete(self, ref: MessageRef) -> None:
        await self._adapter.delete(self.conversation, ref)

    async def stream(self, src: str | AsyncIterable[str]) -> MessageRef | None:
        """Show text as it arrives (one message, edited in place where the platform can).
        Returns None when the source produced no text."""

        async def parts() -> AsyncIterator[StreamPart]:
            if isinstance(src, str):
                yield src
            else:
                async for chunk in src:
                    yield chunk

        return await stream_to(self._adapter, self.conversation, parts())

    # -- agent state -------------------------------------------------------------------
    async def get_state(self) -> Any:
        """The agent's state for this conversation (AG-UI state; ``{}`` when none)."""
        return await self._runtime.threads.read_state(self.id)

    async def set_state(self, state: Any) -> None:
        await tracking.ensure(self._runtime.threads, self.platform, self.conversation)
        await self._runtime.threads.write_state(self.id, state)

    async def set_title(self, title: str) -> None:
        """Name this conversation in ``bot.threads`` (the first message is the default),
        and on the platform where it can (Slack's assistant threads)."""
        await tracking.ensure(self._runtime.threads, self.platform, self.conversation)
        await self._runtime.threads.rename(self.id, title)
        await self._platform_title(title)

    # -- human choices -----------------------------------------------------------------
    def await_choice(
        self,
        ui: Renderable,
        *,
        allowed_users: Iterable[PlatformUser | str] | None = None,
        timeout: float | None = None,
    ) -> Awaitable[Any]:
        """Post ``ui`` and wait for a click on ITS controls; returns the clicked value.

        Anyone in the conversation may answer unless ``allowed_users`` (users or ids) says
        otherwise; others are told politely that it is not theirs to answer. Raises
        ``ChoiceTimeout`` after ``timeout`` seconds.

        The choice is recorded in the bot's store, so a click that another process receives
        (replicas sharing Redis) reaches this one. Inside a bot tool it also survives a
        restart (SQLite or Redis store): the click then **replays the tool call** — the tool
        runs again from the start and its ``await_choice`` calls return the recorded answers
        instead of asking again — and the agent run continues. So code before
        ``await_choice`` in a tool must be safe to run twice (read, don't act: act after the
        answer). When replay is impossible (the tool is gone, or ``timeout`` passed), the
        clicker is told the request expired and the tool call gets an error result.
        """
        call = self._tool_call
        if call is not None:
            replayed, answer = call.next_recorded()
            if replayed:
                return _answered(answer)
        # the asking coroutine itself, not one awaiting it: a frame less per waiting turn
        return self._runtime.choices.ask(ChoicePort(self, self._runtime), ui,
                                         allowed_users=allowed_users, timeout=timeout,
                                         call=call)

    async def offer_choice(self, ui: Renderable, on_answer: ClickHandler, *,
                           allowed_users: Iterable[PlatformUser | str] | None = None,
                           timeout: float | None = None) -> str:
        """Ask like ``await_choice``, but return once the card is posted: the first allowed
        click closes the card and runs ``on_answer(ctx)`` (an ``InteractionContext``;
        ``ctx.value`` is the answer), here or in any process sharing the store, after a
        restart too. Nothing waits in memory: the question is its store record, so
        thousands cost little. ``on_answer`` must be a module-level function of the app
        (``UserError`` otherwise). At ``timeout`` the card is closed as unanswered (by
        this process; after a restart, a click past it is answered as expired). Returns
        the choice id. ``cancel_choices`` and ``pending_choices`` reach only the choices
        awaited here, not offers."""
        ref = handler_ref(on_answer)
        if ref is None:
            raise UserError("offer_choice needs on_answer to be a module-level function of "
                            "the app (it is looked up again when the click comes, maybe "
                            "after a restart), not a lambda, closure or method")
        self._runtime.actions.trusted(on_answer)
        return await self._runtime.choices.offer(ChoicePort(self, self._runtime), ui,
                                                 on_answer=ref, allowed_users=allowed_users,
                                                 timeout=timeout)

    def pending_choices(self) -> list[OpenChoice]:
        """The questions (``await_choice``) this process shows here, still unanswered."""
        return [OpenChoice(id=p.id, message=p.message, ref=p.ref)
                for p in self._runtime.choices.registry.pending_in(self.id)]

    async def cancel_choices(self, reason: str = "Cancelled.", *,
                             choice_id: str | None = None) -> int:
        """Cancel the questions waiting here (only ``choice_id`` when given, an id from
        ``pending_choices``): each card is closed with ``reason`` and its ``await_choice``
        raises ``ChoiceCancelled``. Returns how many were cancelled. Reaches the choices
        this process asked."""
        done = await self._runtime.choices.cancel(ChoicePort(self, self._runtime), reason,
                                                  choice_id)
        return len(done)

    # -- the agent ---------------------------------------------------------------------
    def _agent(self) -> Agent:
        agent = self._bot.agent
        if agent is None:
            raise UserError("no agent configured: pass agent=... to create_bot() to use "
                            "run_agent (botkit.testing.ScriptedAgent works offline)")
        return agent if isinstance(agent, Agent) else agent(self.id)

    def _surface(self) -> RunSurface:
        return RunSurface(self._adapter, self.conversation, threads=self._runtime.threads)

    async def _run(self, agent: Agent | None, request: Callable[[], Awaitable[RunRequest]],
                   kind: str, *, batch: Sequence[str] = (),
                   replays: Mapping[str, Sequence[Any]] | None = None) -> RunResult:
        """Run the agent (None: the thread's) on ``await request()``, built once the thread
        is marked busy (so it reads the state no outside write can change until the run
        ends); with ``batch``, first finish that step's tool calls (replaying ``replays``'
        recorded answers), as when a choice is answered after a restart. The run is awaited
        in this frame, tracked by a ``RunTracker`` (no frames of tracking's own: a turn
        waiting for Slack's pacing keeps every frame it has)."""
        if agent is None:
            agent = self._agent()
        surface = self._surface()
        runner = AgentRunner(surface, agent, tool_context=self._tool_context,
                             on_interrupt=self._interrupted,
                             max_iterations=self._runtime.max_iterations,
                             interrupt_names=self._runtime.interrupt_event_names,
                             replays=replays)
        tracker = tracking.RunTracker(self._runtime.threads, self.platform, self.conversation,
                                      kind)
        await tracker.begin()
        try:
            built = await request()
            if batch:
                await runner.finish_calls(built, batch)
            result = await runner.run(built)
        except BaseException as exc:
            await tracker.failed(exc, surface)
            if isinstance(exc, Exception):  # not RunSuspended (a replay continues it)
                await surface.ended(RunResult(status="failed", thread_id=self.id,
                                              error=f"{type(exc).__name__}: {exc}"))
            raise
        return await surface.ended(await tracker.end(result, surface))

    async def _replay(self, call: ToolCall, value: Any) -> RunResult:
        """Run ``call`` again with its recorded answers plus ``value`` (a choice answered
        after a restart), then let the agent continue, as the run that asked would have."""
        async def request() -> RunRequest:
            return RunRequest.replaying(call, state=await self.get_state(),
                                        tools=self._runtime.registry.tools_with(None))
        log.info("replaying tool call %s (%s) in %s", call.id, call.name, self.id)
        return await self._run(self._agent(), request, "resume", batch=call.batch,
                               replays={call.id: [*call.answers, value]})

    def _tool_context(self, call: ToolCall) -> ToolContext:
        thread = self._for_tool_call(call)  # its await_choice calls know the call
        return ToolContext(thread=thread, message=thread.message, user=thread.user,
                           platform=thread.platform, tool_call_id=call.id)

    async def _interrupted(self, pending: PendingInterrupt) -> None:
        ctx = InterruptContext(thread=self, user=self.user, platform=self.platform,
                               bot=self._bot, event_name=pending.event_name,
                               payload=pending.payload, interrupts=pending.interrupts,
                               message=self.message)
        if not await self._runtime.handle_interrupt(ctx):
            log.warning("the agent interrupted (%r) but no on_interrupt handler matches",
                        pending.event_name)
            await self._surface().show_error(
                f"The agent is waiting for input ({pending.event_name}), but this bot has no "
                "handler for it.")

    async def _history(self) -> list[AgentMessage]:
        history = await self.get_messages()
        if self.message is not None and all(m.id != self.message.ref.id for m in history):
            history.append(ThreadMessage(id=self.message.ref.id or new_message_id(),
                                         text=self.message.text, user=self.message.user,
                                         attachments=self.message.attachments))
        return build_agent_messages(history, bot=self._adapter.bot_user)

    def run_agent(
        self,
        *,
        context: Sequence[ContextEntry] | None = None,
        tools: Sequence[BotTool] | None = None,
        prompt: str | None = None,
    ) -> Coroutine[Any, Any, RunResult]:
        """Run the agent on this conversation's history (rebuilt from the platform),
        streaming its answer here and running bot tools it calls. Per-run ``tools`` and
        ``context`` add to the bot's (a per-run tool wins on a name clash); ``prompt``
        adds a user message. Failures show in the conversation; see ``RunResult``."""
        sent = self.message.context if self.message is not None else ()
        # ``_run``'s coroutine, returned: no frame of this method's own (nor a closure for
        # the request) stays suspended while the run waits
        return self._run(None, partial(self._request, context, tools, prompt, sent), "run")

    async def _request(self, context: Sequence[ContextEntry] | None,
                       tools: Sequence[BotTool] | None, prompt: str | None,
                       sent: Sequence[ContextEntry]) -> RunRequest:
        """``run_agent``'s request: the history, the state, the bot's tools and context
        with the run's."""
        registry = self._runtime.registry
        messages = await self._history()
        if prompt:
            messages.append({"id": new_message_id(), "role": "user", "content": prompt})
        return RunRequest(messages=messages, state=await self.get_state(),
                          tools=registry.tools_with(tools),
                          context=registry.context_with([*sent, *(context or ())]))

    async def resume(self, value: Any = None, *, cancel: bool = False) -> RunResult:
        """Continue the run this conversation's agent interrupted, answering with ``value``
        (or cancelling the interrupt). Raises ``InteractionExpired`` when nothing waits."""
        agent = self._agent()
        store = self._runtime.store
        # a bad answer (UserError) must not consume the interrupt: check, then claim
        (await PendingInterrupt.peek(store, self.id)).check_answer(value, cancel)
        pending = await PendingInterrupt.claim(store, self.id)  # one resume wins
        registry = self._runtime.registry

        async def request() -> RunRequest:
            return RunRequest.after_interrupt(pending, value, cancel,
                                              state=await self.get_state(),
                                              tools=registry.tools_with(None),
                                              context=registry.context_with(None))
        return await self._run(agent, request, "resume")

    async def cancel_interrupt(self) -> RunResult:
        return await self.resume(None, cancel=True)

    async def show_notice(self, text: str) -> MessageRef:
        """Post a short muted notice (used for errors and expirations)."""
        return await self._adapter.post(self.conversation, notice(text))


async def _answered(value: Any) -> Any:
    """A recorded answer, awaited like a question (``await_choice`` in a replayed call)."""
    return value


async def replay_tool_call(thread: Thread, call: ToolCall, value: Any) -> RunResult:
    """Run ``call`` again in ``thread`` with its recorded answers plus ``value`` (a choice
    answered after a restart), then let the agent continue (for ``Bot``'s replay)."""
    return await thread._replay(call, value)
