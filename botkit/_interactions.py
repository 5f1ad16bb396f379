"""Routing a click: explicit handlers, then pending choices, then bound ``on_click``s.

A click that matches nothing (an expired button, a choice already answered, a button
from before a restart) is always answered, never silently dropped. Choices and module-level
``on_click`` handlers are found in the store too, so clicks work after a restart and on
every process sharing the store.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from botkit._choice_answers import EXPIRED, answer_elsewhere, tell
from botkit.choices import PendingChoice, choice_id_of, choice_label
from botkit.context import Action, InteractionContext
from botkit.events import InteractionEvent
from botkit.thread import Thread
from botkit.ui.binding import close_controls

if TYPE_CHECKING:
    from botkit.bot import Bot

__all__ = ["EXPIRED", "handle_interaction", "tell"]

log = logging.getLogger("botkit")


async def handle_interaction(bot: Bot, event: InteractionEvent) -> None:
    thread = bot.thread(event.platform, event.conversation, user=event.user)
    choice_id = choice_id_of(event.action_id)
    if choice_id is not None:
        pending = bot.choices.get(choice_id)
        if pending is None:  # waiting in another process, or from before a restart
            await answer_elsewhere(bot.relay, choice_id, thread, event)
        else:
            await _answer_choice(bot, pending, thread, event)
        return
    handler = bot.interaction_handler(event.action_id) or \
        await bot.actions.restore(event.action_id, bot.store)
    if handler is None:
        log.info("click on unknown action %s", event.action_id)
        await tell(thread, event, EXPIRED)
        return
    ctx = InteractionContext(thread=thread, user=event.user, platform=event.platform, bot=bot,
                             action=Action(id=event.action_id, value=event.value),
                             message=event.message, event=event)
    await bot.call_handler(handler, ctx, thread)


async def _answer_choice(
    bot: Bot, pending: PendingChoice, thread: Thread, event: InteractionEvent
) -> None:
    if pending.answered or pending.future.done() or pending.conversation.id != thread.id:
        await tell(thread, event, EXPIRED)
        return
    if pending.ref is not None and event.message is not None \
            and event.message.id != pending.ref.id:
        await tell(thread, event, EXPIRED)
        return
    if not pending.allows(event.user):
        who = ", ".join(pending.allowed_names) or "someone else"
        await tell(thread, event, f"Sorry, only {who} can answer this one.")
        return
    pending.answered = True  # claim it before awaiting anything: a second click is refused
    if pending.recorded and not await bot.relay.claim(pending.id):
        pending.answered = False  # another process took a click on it first: its answer
        await tell(thread, event, EXPIRED)  # comes through the store (maybe already there)
        try:
            await bot.relay.collect([pending.id])
        except Exception:
            log.exception("could not check the store for the answer to %s", pending.id)
        return
    label = choice_label(pending.message, pending.labels, event.action_id, event.value)
    if pending.ref is not None:
        note = f"✓ {label} (by {event.user.display_name})"
        try:
            await thread.update(pending.ref, close_controls(pending.message, note))
        except Exception:
            log.exception("could not close the answered choice in %s", thread.id)
    if not pending.future.done():  # the bot may have stopped while the card was closing
        pending.future.set_result(event.value)
