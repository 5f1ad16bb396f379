"""A click on a choice nobody waits for in this process (see ``_choice_relay``).

The click is checked against the choice's record (same conversation and card, an allowed
person), then claimed by popping the record. Then: the answer goes to the live process that
waits for it; or, with none alive, the tool call that asked is replayed here and the agent
run continues; or, when that cannot be (no tool call, the tool is gone, the timeout passed),
the card is closed as expired, the clicker is told so, and the tool call gets an error
result on the platform, so the agent's history stays consistent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ag_ui.core as agui

from botkit._choice_relay import ChoiceRelay, answer_key, channel, choice_key
from botkit.agents.loop import RunRequest, batch_records
from botkit.choices import choice_label
from botkit.codec import decode_event, decode_user
from botkit.errors import RunSuspended
from botkit.events import InteractionEvent, MessageEvent
from botkit.history import AgentMessage
from botkit.store.base import PubSub
from botkit.types import MessageRef
from botkit.ui.binding import close_controls
from botkit.ui.codec import decode_message
from botkit.ui.nodes import Message, Section

if TYPE_CHECKING:
    from botkit.bot import Bot
    from botkit.thread import Thread

__all__ = ["EXPIRED", "REQUEST_EXPIRED", "answer_elsewhere", "close_tool_call", "hand_over",
           "tell"]

log = logging.getLogger("botkit")
EXPIRED = "This button has expired or was already used."
REQUEST_EXPIRED = "This request expired before it was answered; ask again if you still need it."


async def tell(thread: Thread, event: InteractionEvent, text: str) -> None:
    """Answer the clicker privately where possible, else in the conversation."""
    try:
        if await thread.post_ephemeral(event.user, Message(Section(text))) is None:
            await thread.show_notice(text)
    except Exception:
        log.exception("could not answer a click in %s", thread.id)


async def answer_elsewhere(relay: ChoiceRelay, choice_id: str, thread: Thread,
                           event: InteractionEvent) -> None:
    try:
        record = await relay.store.get(choice_key(choice_id))
    except Exception:
        log.exception("could not read choice %s", choice_id)
        record = None
    if not _matches(record, thread, event):
        await tell(thread, event, EXPIRED)
        return
    assert isinstance(record, Mapping)
    allowed = record.get("allowed")
    if allowed is not None and event.user.id not in allowed:
        who = ", ".join(record.get("allowed_names") or ()) or "someone else"
        await tell(thread, event, f"Sorry, only {who} can answer this one.")
        return
    claimed = await relay.store.pop(choice_key(choice_id))
    if claimed is None:
        await tell(thread, event, EXPIRED)
        return
    card = decode_message(claimed.get("card")) or Message()
    ref = event.message or _ref(claimed)
    label = choice_label(card, dict(claimed.get("labels") or {}), event.action_id, event.value)
    note = f"✓ {label} (by {event.user.display_name})"
    closed = False
    deadline = claimed.get("deadline")
    reason: str | None = f"nobody answered within {claimed.get('timeout')} seconds"
    if deadline is None or time.time() <= float(deadline):
        owner = claimed.get("owner")
        if owner != relay.replica and await relay.alive(owner):
            await _close(thread, ref, card, note)
            closed = True
            if await hand_over(relay, choice_id, str(owner), event.value):
                return
        reason = _why_not_replayable(relay.bot, claimed)
        if reason is None:  # nobody else will answer it: replay the tool call here
            if not closed:
                await _close(thread, ref, card, note)
            await _replay(relay.bot, thread, claimed, event.value)
            return
    await _close(thread, ref, card, "⏱ This request expired.")
    await tell(thread, event, REQUEST_EXPIRED)
    if isinstance(claimed.get("call"), Mapping):
        await close_tool_call(relay.bot, thread, claimed["call"], str(reason))


async def hand_over(relay: ChoiceRelay, choice_id: str, owner: str, value: Any) -> bool:
    """Leave ``value`` for the process ``owner``: True once it took it; False when it did
    not (it is gone, or silent for ``handoff_timeout``) and the answer is back here."""
    store, box = relay.store, answer_key(choice_id)
    await store.set(box, {"value": value, "by": relay.replica}, ttl=relay.handoff_timeout * 6)
    if isinstance(store, PubSub):
        try:
            heard = await store.publish(channel(owner), {"choice": choice_id})
        except Exception:
            log.warning("could not publish choice %s; its owner will poll", choice_id,
                        exc_info=True)
            heard = -1
        if heard == 0:  # nobody listens: the owner's subscription went with it
            return await store.pop(box) is None
    loop = asyncio.get_running_loop()
    give_up, delay = loop.time() + relay.handoff_timeout, 0.005
    while loop.time() < give_up:
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.1)
        if await store.get(box) is None:
            return True
        if not await relay.alive(owner):
            break
    return await store.pop(box) is None


def _matches(record: Any, thread: Thread, event: InteractionEvent) -> bool:
    if not isinstance(record, Mapping):
        return False
    if (record.get("conversation") or {}).get("id") != thread.id:
        return False
    ref = record.get("ref")
    return not (ref and event.message is not None and event.message.id != ref.get("id"))


def _ref(record: Mapping[str, Any]) -> MessageRef | None:
    ref = record.get("ref")
    return MessageRef(id=str(ref["id"]), channel=str(ref.get("channel") or "")) if ref else None


def _why_not_replayable(bot: Bot, record: Mapping[str, Any]) -> str | None:
    call = record.get("call")
    if not isinstance(call, Mapping):
        return "the process that asked has stopped"
    if call.get("name") not in bot.tools:
        return f"the tool {call.get('name')!r} is no longer available"
    if bot.agent is None:
        return "the bot has no agent to continue the run"
    return None


async def _close(thread: Thread, ref: MessageRef | None, card: Message, note: str) -> None:
    if ref is None:
        return
    try:
        await thread._adapter.update(thread.conversation, ref, close_controls(card, note))
    except Exception:
        log.exception("could not close the answered choice in %s", thread.id)


async def _replay(bot: Bot, thread: Thread, record: Mapping[str, Any], value: Any) -> None:
    """Run the waiting tool call again with its recorded answers plus ``value``, then let
    the agent continue, as the run that asked would have."""
    call = record["call"]
    event = decode_event(record["message"]) if record.get("message") else None
    message = event if isinstance(event, MessageEvent) else None
    user = decode_user(record["user"]) if record.get("user") else None
    replaying = bot.thread(thread.platform, thread.conversation, message=message, user=user)
    request = RunRequest(messages=list(call["messages"]), state=call.get("state"),
                         tools=bot.tools_with(None),
                         context=[agui.Context.model_validate(c) for c in call.get("context")
                                  or ()])
    log.info("replaying tool call %s (%s) in %s", call["id"], call["name"], thread.id)
    try:
        await replaying._run(replaying._agent(), request, "resume", batch=call["batch"],
                             replays={call["id"]: [*call.get("answers", ()), value]})
    except RunSuspended:
        log.info("the replayed run in %s is waiting again", thread.id)
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("replaying tool call %s failed (error %s)", call["id"], ref)
        await thread.show_notice(f"⚠️ Sorry, something went wrong handling that (error {ref}).")


async def close_tool_call(bot: Bot, thread: Thread, call: Mapping[str, Any], reason: str) -> None:
    """Answer the call (and the calls after it in its step) with an error result and record
    the step on the platform, so the history the agent gets next is consistent."""
    from botkit._run_host import ThreadRunHost

    batch = [str(i) for i in call.get("batch") or (call["id"],)]
    messages: list[AgentMessage] = list(call.get("messages") or ())
    answered = {m.get("toolCallId") for m in messages if m.get("role") == "tool"}
    for call_id in batch:
        if call_id not in answered:
            text = reason if call_id == call["id"] else "not run: its step expired"
            messages.append({"id": f"result-{call_id}", "role": "tool", "toolCallId": call_id,
                             "content": json.dumps({"error": text}), "error": text})
    await ThreadRunHost(thread, bot).record(batch_records(messages, batch))
