"""Routing a click: a choice's control goes to ``Choices``; any other action id to its
explicit ``@bot.on_interaction`` handler, else to the ``on_click`` bound when the control
was posted (in memory, or restored from the store after a restart or on another replica).

A click that matches nothing (an expired button, a choice already answered, a button from
before a restart whose handler is gone) is always answered, never silently dropped.

Also here: the conversation as ``Choices`` sees it (``ChoicePort``), and whether a tool
call whose question is answered after a restart can be replayed. The collaborators come
in explicitly (the ``Runtime``); nothing here reaches into the ``Bot`` or the ``Thread``.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import TYPE_CHECKING

from botkit._actions import resolve_handler
from botkit.choices import ChoiceRecord
from botkit.choices.service import EXPIRED
from botkit.context import Action, InteractionContext
from botkit.events import InteractionEvent, MessageEvent
from botkit.history import AgentMessage
from botkit.run.surface import RunSurface
from botkit.threads.records import ThreadRecord, ThreadStatus
from botkit.types import Conversation, MessageRef, PlatformUser
from botkit.ui.binding import choice_id_of
from botkit.ui.nodes import Message, Section

if TYPE_CHECKING:
    from botkit._runtime import Runtime
    from botkit.bot import Bot
    from botkit.thread import Thread

__all__ = ["ChoicePort", "answer_offer", "offer_surface", "replay_blocker", "route_click"]

log = logging.getLogger("botkit")


async def route_click(event: InteractionEvent, *, bot: Bot, runtime: Runtime) -> None:
    """``bot`` is what handlers see as ``ctx.bot``; the work runs on ``runtime``."""
    thread = bot.thread(event.platform, event.conversation, user=event.user)
    port = ChoicePort.of(thread, runtime)
    if choice_id_of(event.action_id) is not None:
        await runtime.choices.on_click(event, port)
        return
    handler = runtime.registry.interactions.get(event.action_id) or \
        runtime.actions.get(event.action_id) or \
        await runtime.actions.restore(event.action_id, runtime.store)
    if handler is None:
        log.info("click on unknown action %s", event.action_id)
        await port.tell(event.user, EXPIRED)
        return
    ctx = InteractionContext(thread=thread, user=event.user, platform=event.platform, bot=bot,
                             action=Action(id=event.action_id, value=event.value),
                             message=event.message, event=event)
    await runtime.errors.run(handler, ctx, thread)


async def answer_offer(record: ChoiceRecord, event: InteractionEvent, *, bot: Bot,
                       runtime: Runtime) -> None:
    """Run an offered choice's ``on_answer`` (``Thread.offer_choice``) for the click
    ``event``, as an ``on_click`` handler runs: ``ctx.value`` is the answer."""
    thread = bot.thread(event.platform, event.conversation, user=event.user)
    handler = resolve_handler(record.on_answer or "", runtime.actions.trusted_modules)
    if handler is None:
        log.warning("the on_answer %r of a choice in %s is gone", record.on_answer, thread.id)
        await ChoicePort.of(thread, runtime).tell(event.user, EXPIRED)
        return
    ctx = InteractionContext(thread=thread, user=event.user, platform=event.platform, bot=bot,
                             action=Action(id=event.action_id, value=event.value),
                             message=event.message, event=event)
    await runtime.errors.run(handler, ctx, thread)


def offer_surface(record: ChoiceRecord, *, bot: Bot, runtime: Runtime) -> ChoicePort | None:
    """Where an offered choice was asked (to close its card at its deadline)."""
    if runtime.adapter_for(record.platform) is None:
        return None
    return ChoicePort.of(bot.thread(record.platform, record.conversation), runtime)


class ChoicePort:
    """A ``Thread`` as ``Choices`` sees it (``ChoiceSurface``): where a question is posted,
    closed and answered, and whose thread record says a person has the turn while a run's
    question waits. ``record`` keeps a tool call's result with the platform's history (a
    question that expired unanswered)."""

    __slots__ = ("runtime", "thread")  # one per waiting choice: nothing more is kept

    def __init__(self, thread: Thread, runtime: Runtime) -> None:
        self.thread = thread
        self.runtime = runtime

    @classmethod
    def of(cls, thread: Thread, runtime: Runtime) -> ChoicePort:
        return cls(thread, runtime)

    @property
    def conversation(self) -> Conversation:
        return self.thread.conversation

    @property
    def platform(self) -> str:
        return self.thread.platform

    @property
    def user(self) -> PlatformUser | None:
        return self.thread.user

    @property
    def message(self) -> MessageEvent | None:
        return self.thread.message

    async def post(self, message: Message) -> MessageRef:
        return await self.thread.post(message)

    async def close(self, ref: MessageRef, message: Message) -> None:
        await self.thread.update(ref, message)

    async def tell(self, user: PlatformUser, text: str) -> None:
        """Answer the clicker privately where possible, else in the conversation."""
        try:
            if await self.thread.post_ephemeral(user, Message(Section(text))) is None:
                await self.thread.show_notice(text)
        except Exception:
            log.exception("could not answer a click in %s", self.thread.id)

    async def record(self, messages: list[AgentMessage]) -> None:
        adapter = self.runtime.adapter_for(self.thread.platform)
        assert adapter is not None  # the thread was made for one of the bot's adapters
        await RunSurface(adapter, self.thread.conversation,
                         threads=self.runtime.threads).record(messages)

    async def waiting(self, waiting: bool) -> bool:
        """Mark the thread as waiting for a person (``interrupted``) while a run asks, or
        back (``busy``); whether it changed (only a busy run's thread does)."""
        old: ThreadStatus = "busy" if waiting else "interrupted"
        new: ThreadStatus = "interrupted" if waiting else "busy"
        changed = False

        def change(record: ThreadRecord | None) -> ThreadRecord | None:
            nonlocal changed
            changed = record is not None and record.status == old
            if record is None or not changed:
                return None
            return dataclasses.replace(record, status=new)
        try:
            await self.runtime.threads.mutate(self.thread.id, change)
            return changed
        except Exception:
            log.warning("could not mark %s as %s", self.thread.id, new, exc_info=True)
            return False


def replay_blocker(bot: Bot, record: ChoiceRecord) -> str | None:
    """Why ``record``'s tool call cannot be replayed in this bot (None: it can)."""
    call = record.call
    if call is not None and call.name not in bot.tools:
        return f"the tool {call.name!r} is no longer available"
    if bot.agent is None:
        return "the bot has no agent to continue the run"
    return None
