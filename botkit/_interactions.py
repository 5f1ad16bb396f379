"""Routing a click: explicit handlers, then pending choices, then bound ``on_click``s.

A click that matches nothing (an expired button, a choice already answered, a button
from before a restart) is always answered, never silently dropped.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from botkit.choices import PendingChoice, choice_id_of
from botkit.context import Action, InteractionContext
from botkit.events import InteractionEvent
from botkit.thread import Thread
from botkit.ui.binding import close_controls, iter_controls, option_label
from botkit.ui.nodes import Message, Section

if TYPE_CHECKING:
    from botkit.bot import Bot

log = logging.getLogger("botkit")

EXPIRED = "This button has expired or was already used."


async def tell(thread: Thread, event: InteractionEvent, text: str) -> None:
    """Answer the clicker privately where possible, else in the conversation."""
    try:
        if await thread.post_ephemeral(event.user, Message(Section(text))) is None:
            await thread.show_notice(text)
    except Exception:
        log.exception("could not answer a click in %s", thread.id)


async def handle_interaction(bot: Bot, event: InteractionEvent) -> None:
    thread = bot.thread(event.platform, event.conversation, user=event.user)
    choice_id = choice_id_of(event.action_id)
    if choice_id is not None:
        await _answer_choice(bot.choices.get(choice_id), thread, event)
        return
    handler = bot.interaction_handler(event.action_id)
    if handler is None:
        log.info("click on unknown action %s", event.action_id)
        await tell(thread, event, EXPIRED)
        return
    ctx = InteractionContext(thread=thread, user=event.user, platform=event.platform, bot=bot,
                             action=Action(id=event.action_id, value=event.value),
                             message=event.message, event=event)
    await bot.call_handler(handler, ctx, thread)


async def _answer_choice(
    pending: PendingChoice | None, thread: Thread, event: InteractionEvent
) -> None:
    if pending is None or pending.answered or pending.future.done() \
            or pending.conversation.id != thread.id:
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
    label = pending.labels.get(event.action_id, str(event.value))
    for control in iter_controls(pending.message):
        if control.action_id == event.action_id:
            label = option_label(control, event.value)
    if pending.ref is not None:
        note = f"✓ {label} (by {event.user.display_name})"
        try:
            await thread.update(pending.ref, close_controls(pending.message, note))
        except Exception:
            log.exception("could not close the answered choice in %s", thread.id)
    if not pending.future.done():  # the bot may have stopped while the card was closing
        pending.future.set_result(event.value)
