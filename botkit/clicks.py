"""Routing a click: a choice's control goes to ``Choices``; any other action id to its
explicit ``@bot.on_interaction`` handler, else to the ``on_click`` bound when the control
was posted (in memory, or restored from the store after a restart or on another replica).

A click that matches nothing (an expired button, a choice already answered, a button from
before a restart whose handler is gone) is always answered, never silently dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from botkit.choices.service import EXPIRED
from botkit.context import Action, InteractionContext
from botkit.events import InteractionEvent
from botkit.thread import ChoicePort
from botkit.ui.binding import choice_id_of

if TYPE_CHECKING:
    from botkit.bot import Bot

__all__ = ["route_click"]

log = logging.getLogger("botkit")


async def route_click(bot: Bot, event: InteractionEvent) -> None:
    runtime = bot._runtime
    thread = bot.thread(event.platform, event.conversation, user=event.user)
    if choice_id_of(event.action_id) is not None:
        await runtime.choices.on_click(event, ChoicePort(thread))
        return
    handler = runtime.registry.interactions.get(event.action_id) or \
        runtime.actions.get(event.action_id) or \
        await runtime.actions.restore(event.action_id, runtime.store)
    if handler is None:
        log.info("click on unknown action %s", event.action_id)
        await ChoicePort(thread).tell(event.user, EXPIRED)
        return
    ctx = InteractionContext(thread=thread, user=event.user, platform=event.platform, bot=bot,
                             action=Action(id=event.action_id, value=event.value),
                             message=event.message, event=event)
    await bot._pipeline.errors.run(handler, ctx, thread)
