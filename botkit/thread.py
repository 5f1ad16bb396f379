"""``Thread``: the handle handlers and tools use to talk to one conversation."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui

from botkit import keys
from botkit._tool_calls import ToolCall
from botkit.adapter import Capabilities, PlatformAdapter, StreamPart
from botkit.agents.base import Agent
from botkit.agents.loop import AgentRunner, RunRequest, RunResult
from botkit.errors import InteractionExpired, UserError
from botkit.events import MessageEvent
from botkit.history import AgentMessage, build_agent_messages, new_message_id
from botkit.threads import tracking
from botkit.tools import BotTool
from botkit.types import Conversation, FileResult, MessageRef, PlatformUser, ThreadMessage
from botkit.ui.binding import bind_handlers, to_message
from botkit.ui.nodes import Context, Message, Renderable, Section

if TYPE_CHECKING:
    from botkit.bot import Bot, ContextEntry

__all__ = ["Thread"]

log = logging.getLogger("botkit")


class Thread:
    """One conversation (a Slack thread or DM, the console session …).

    ``id`` is the stable conversation key. Gated methods (``get_messages``,
    ``lookup_user``, ``post_file``, ``post_ephemeral``) degrade to ``[]`` / ``None`` /
    ``FileResult(ok=False)`` where the platform lacks the capability; they never raise.
    """

    def __init__(
        self,
        bot: Bot,
        adapter: PlatformAdapter,
        conversation: Conversation,
        *,
        message: MessageEvent | None = None,
        user: PlatformUser | None = None,
    ) -> None:
        self._bot = bot
        self._adapter = adapter
        self.conversation = conversation
        self.message = message
        self.user = user if user is not None else (message.user if message else None)
        self._tool_call: ToolCall | None = None

    def _for_tool_call(self, call: ToolCall) -> Thread:
        """This conversation as seen by a bot tool during ``call`` (its ``await_choice``
        calls are recorded for replay)."""
        twin = Thread(self._bot, self._adapter, self.conversation, message=self.message,
                      user=self.user)
        twin._tool_call = call
        return twin

    @property
    def id(self) -> str:
        return self.conversation.id

    @property
    def platform(self) -> str:
        return self._adapter.platform

    @property
    def capabilities(self) -> Capabilities:
        return self._adapter.capabilities

    def __repr__(self) -> str:
        return f"Thread(platform={self.platform!r}, id={self.id!r})"

    # -- messages --------------------------------------------------------------------
    async def _bind(self, ui: Renderable) -> Message:
        message, handlers = bind_handlers(to_message(ui), scope=self.id)
        if handlers:
            await self._bot.actions.bind(handlers, thread=self.id, store=self._bot.store)
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

        return await self._adapter.stream(self.conversation, parts())

    async def post_ephemeral(self, user: PlatformUser, ui: Renderable) -> MessageRef | None:
        """Show a message to ``user`` only; None where the platform cannot."""
        if not self.capabilities.ephemeral:
            return None
        return await self._adapter.post_ephemeral(self.conversation, user, await self._bind(ui))

    # -- capability-gated reads and files ----------------------------------------------
    async def get_messages(self) -> list[ThreadMessage]:
        """The conversation's history, oldest first ([] where the platform can't read it)."""
        if not self.capabilities.get_messages:
            return []
        try:
            return await self._adapter.get_messages(self.conversation)
        except Exception:
            log.exception("reading history of %s failed", self.id)
            return []

    async def lookup_user(self, query: str) -> PlatformUser | None:
        """Find a person by name, handle or email (None when not found or unsupported)."""
        if not self.capabilities.lookup_user or not query.strip():
            return None
        try:
            return await self._adapter.lookup_user(query.strip())
        except Exception:
            log.exception("user lookup failed")
            return None

    async def post_file(
        self, data: bytes, filename: str, *, title: str | None = None,
        alt_text: str | None = None,
    ) -> FileResult:
        if not self.capabilities.post_file:
            return FileResult(ok=False, error=f"{self.platform} does not support file upload")
        try:
            return await self._adapter.post_file(
                self.conversation, data, filename, title=title, alt_text=alt_text)
        except Exception as exc:
            log.exception("file upload failed")
            return FileResult(ok=False, error=f"upload failed: {type(exc).__name__}: {exc}")

    # -- agent state -------------------------------------------------------------------
    async def get_state(self) -> Any:
        """The agent's state for this conversation (AG-UI state; ``{}`` when none)."""
        return await self._bot.threads.read_state(self.id)

    async def set_state(self, state: Any) -> None:
        await tracking.ensure(self._bot.threads, self)
        await self._bot.threads.write_state(self.id, state)

    async def set_title(self, title: str) -> None:
        """Name this conversation in ``bot.threads`` (the first message is the default)."""
        await tracking.ensure(self._bot.threads, self)
        await self._bot.threads.rename(self.id, title)

    # -- human choices -----------------------------------------------------------------
    async def await_choice(
        self,
        ui: Renderable,
        *,
        allowed_users: Iterable[PlatformUser | str] | None = None,
        timeout: float | None = None,
    ) -> Any:
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
                return answer
        value = await self._bot.relay.ask(self, ui, allowed_users=allowed_users,
                                          timeout=timeout, call=call)
        if call is not None:
            call.answers.append(value)
        return value

    # -- the agent ---------------------------------------------------------------------
    def _agent(self) -> Agent:
        agent = self._bot.agent
        if agent is None:
            raise UserError("run_agent needs an agent: pass agent=... to create_bot() "
                            "(for example botkit.testing.ScriptedAgent for offline work)")
        return agent if isinstance(agent, Agent) else agent(self.id)

    async def _run(self, agent: Agent, request: RunRequest, kind: str, *,
                   batch: Sequence[str] = (),
                   replays: Mapping[str, Sequence[Any]] | None = None) -> RunResult:
        """Run the agent; with ``batch``, first finish that step's tool calls (replaying
        ``replays``' recorded answers), as when a choice is answered after a restart."""
        from botkit._run_host import ThreadRunHost

        host = ThreadRunHost(self, self._bot, replays=replays)
        runner = AgentRunner(host, agent, max_iterations=self._bot.max_iterations,
                             interrupt_names=self._bot.interrupt_event_names)

        async def run() -> RunResult:
            if batch:
                await runner.finish_calls(request, batch)
            return await runner.run(request)
        return await tracking.track_run(self._bot.threads, self, kind, run, host)

    async def _history(self) -> list[AgentMessage]:
        history = await self.get_messages()
        if self.message is not None and all(m.id != self.message.ref.id for m in history):
            history.append(ThreadMessage(id=self.message.ref.id or new_message_id(),
                                         text=self.message.text, user=self.message.user,
                                         attachments=self.message.attachments))
        return build_agent_messages(history, bot=self._adapter.bot_user)

    async def run_agent(
        self,
        *,
        context: Sequence[ContextEntry] | None = None,
        tools: Sequence[BotTool] | None = None,
        prompt: str | None = None,
    ) -> RunResult:
        """Run the agent on this conversation's history (rebuilt from the platform),
        streaming its answer here and running bot tools it calls. Per-run ``tools`` and
        ``context`` add to the bot's (a per-run tool wins on a name clash); ``prompt``
        adds a user message. Failures show in the conversation; see ``RunResult``."""
        agent = self._agent()
        messages = await self._history()
        if prompt:
            messages.append({"id": new_message_id(), "role": "user", "content": prompt})
        request = RunRequest(messages=messages, state=await self.get_state(),
                             tools=self._bot.tools_with(tools),
                             context=self._bot.context_with(context))
        return await self._run(agent, request, "run")

    async def resume(self, value: Any = None, *, cancel: bool = False) -> RunResult:
        """Continue the run this conversation's agent interrupted, answering with ``value``
        (or cancelling the interrupt). Raises ``InteractionExpired`` when nothing waits."""
        agent = self._agent()
        key = keys.pending_interrupt(self.id)
        expired = "there is no interrupted run waiting in this conversation"
        peeked = await self._bot.store.get(key)
        if peeked is None:
            raise InteractionExpired(expired)
        if peeked["channel"] == "outcome":  # a bad answer (UserError) must not consume it
            _resume_entries(peeked["interrupts"], value, cancel)
        pending = await self._bot.store.pop(key)  # the atomic claim: one resume wins
        if pending is None:
            raise InteractionExpired(expired)
        request = RunRequest(messages=pending["messages"], state=pending["state"],
                             tools=self._bot.tools_with(None), context=self._bot.context_with(None))
        if pending["channel"] == "outcome":
            request.resume = _resume_entries(pending["interrupts"], value, cancel)
        else:
            # the legacy channel has no cancel status, and servers read a None resume as
            # "no answer" (ag-ui-langgraph replays the interrupt): cancel with a marker
            answer = {"cancelled": True} if cancel else value
            request.forwarded_props = {"command": {"resume": answer}}
        return await self._run(agent, request, "resume")

    async def cancel_interrupt(self) -> RunResult:
        return await self.resume(None, cancel=True)

    async def show_notice(self, text: str) -> MessageRef:
        """Post a short muted notice (used for errors and expirations)."""
        return await self._adapter.post(self.conversation, Message(Context(text), status=True))

    async def _show_text(self, text: str) -> MessageRef:
        return await self._adapter.post(self.conversation, Message(Section(text)))


def _resume_entries(
    interrupts: list[Mapping[str, Any]], value: Any, cancel: bool
) -> list[agui.ResumeEntry]:
    ids = [str(i["id"]) for i in interrupts]
    if cancel:
        return [agui.ResumeEntry(interrupt_id=i, status="cancelled") for i in ids]
    if len(ids) == 1:
        payloads = {ids[0]: value}
    elif isinstance(value, Mapping) and all(i in value for i in ids):
        payloads = {i: value[i] for i in ids}
    else:
        raise UserError(f"the agent asked {len(ids)} questions at once: resume with a dict "
                        f"mapping every interrupt id ({', '.join(ids)}) to its answer")
    return [agui.ResumeEntry(interrupt_id=i, status="resolved", payload=payloads[i]) for i in ids]
