"""Reactions, the assistant pane (status, prompts, title, thread started), modals, DMs,
scheduled messages and cancelled choices: a bot on the real slack_bolt / slack_sdk clients
against the emulator."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from polling import until
from slack_adapter_harness import running
from slack_sdk.web.async_client import AsyncWebClient

from botkit import (
    ChoiceCancelled,
    CommandContext,
    ModalCloseContext,
    ModalSubmitContext,
    ReactionContext,
    ThreadStartedContext,
    TurnContext,
    create_bot,
    ui,
)
from botkit.bot import Bot
from botkit.types import Conversation


def plain_bot() -> Bot:
    bot = create_bot(name="helpbot")

    @bot.on_mention
    async def hello(ctx: TurnContext) -> None:
        await ctx.thread.post("hello there")
    return bot


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_reactions_reach_the_bot_and_the_bot_reacts(mode: str) -> None:
    bot = plain_bot()
    seen: list[tuple[str, bool, str, str]] = []

    @bot.on_reaction
    async def reacted(ctx: ReactionContext) -> None:
        seen.append((ctx.emoji, ctx.added, ctx.thread.id, ctx.user.id if ctx.user else ""))
        if ctx.added:
            assert await ctx.thread.react(ctx.message, "white_check_mark")

    async with running(mode, bot=bot) as h:
        asked = await h.mention("hi")
        reply = await h.reply(asked["ts"], "hello there")
        alice = h.slack.workspace.user("alice").id
        await h.slack.react("alice", reply, "eyes")
        await until(lambda: len(seen) == 1)
        assert seen[0] == ("eyes", True, f"{h.slack.general}:{asked['ts']}", alice)
        await until(lambda: "white_check_mark" in {
            r["name"] for r in h.slack.message(reply["ts"]).get("reactions", [])})
        person = AsyncWebClient(token=h.slack.user_token("alice"), base_url=h.slack.base_url)
        await person.reactions_remove(channel=h.slack.general, timestamp=reply["ts"],
                                      name="eyes")
        await until(lambda: len(seen) == 2)
        assert seen[1][:2] == ("eyes", False)
        # a reaction on a person's top-level message: that message is the thread
        said = await h.slack.user_says("alice", "plain words", h.slack.general)
        await h.slack.react("bob", said, "tada")
        await until(lambda: len(seen) == 3)
        assert seen[2][:3] == ("tada", True, f"{h.slack.general}:{said['ts']}")
    # the bot's own reactions never come back as events for it
    assert all(user != h.slack.bot_user_id for *_, user in seen)


async def test_the_assistant_pane_status_prompts_title_and_thread_started() -> None:
    bot = plain_bot()
    started: list[tuple[str, dict[str, Any], bool]] = []

    @bot.on_thread_started
    async def greet(ctx: ThreadStartedContext) -> None:
        started.append((ctx.thread.id, dict(ctx.context), ctx.context_changed))
        if ctx.context_changed:
            return
        assert await ctx.thread.set_suggested_prompts(
            ["Reset my password", ("Printer", "my printer is broken")], title="Try one")
        assert await ctx.thread.set_status("is getting ready…",
                                           loading_messages=["Warming up"])
        await ctx.thread.set_title("Help with IT")

    async with running("socket", bot=bot) as h:
        channel, thread = await h.slack.start_assistant_thread(
            "alice", context={"channel_id": h.slack.general})
        await until(lambda: h.slack.assistant_state(channel, thread).get("title"))
        state = h.slack.assistant_state(channel, thread)
        assert state["title"] == "Help with IT"
        assert state["prompts"] == {"title": "Try one", "prompts": [
            {"title": "Reset my password", "message": "Reset my password"},
            {"title": "Printer", "message": "my printer is broken"}]}
        assert state["status"]["status"] == "is getting ready…"
        assert state["status"]["loading_messages"] == ["Warming up"]
        assert started == [(f"{channel}:{thread}", {"channel_id": h.slack.general}, False)]
        # the person looks at another channel while the pane is open
        h.slack.core.events.emit({
            "type": "assistant_thread_context_changed",
            "assistant_thread": {"user_id": h.slack.workspace.user("alice").id,
                                 "channel_id": channel, "thread_ts": thread,
                                 "context": {"channel_id": "C_OTHER"}},
            "event_ts": "1700000000.000100"})
        await until(lambda: len(started) == 2)
        assert started[1] == (f"{channel}:{thread}", {"channel_id": "C_OTHER"}, True)


def ticket_modal() -> ui.Modal:
    return ui.Modal(
        "Tell us what broke.",
        ui.TextInput("title", "Title", max_length=80, placeholder="Printer on fire"),
        ui.SelectInput("priority", "Priority", [("Low", "low"), ("High", "high")],
                       initial="low"),
        ui.Checkboxes("notify", "Notify", [("Team", "team"), ("Me", "me")]),
        ui.DatePicker("due", "Due", optional=True),
        title="New ticket", callback_id="new_ticket", metadata="ticket-form")


def state_values(title: str, *, due: str | None = None) -> dict[str, Any]:
    """What Slack puts in ``view.state.values`` for the ticket modal."""
    return {
        "title": {"title": {"type": "plain_text_input", "value": title}},
        "priority": {"priority": {"type": "static_select",
                                  "selected_option": {"text": {"type": "plain_text",
                                                               "text": "High"},
                                                      "value": "high"}}},
        "notify": {"notify": {"type": "checkboxes", "selected_options": [
            {"text": {"type": "plain_text", "text": "Team"}, "value": "team"}]}},
        "due": {"due": {"type": "datepicker", "selected_date": due}},
    }


def file_tickets(bot: Bot) -> list[dict[str, Any]]:
    """``/ticket`` opens ``ticket_modal``; a title under 5 characters is a field error, any
    other submission is filed (the list returned) and confirmed in the channel."""
    submitted: list[dict[str, Any]] = []

    @bot.on_command("ticket")
    async def ticket(ctx: CommandContext) -> None:
        assert await ctx.open_modal(ticket_modal())

    @bot.on_modal_submit("new_ticket")
    async def create(ctx: ModalSubmitContext) -> None:
        if len(ctx.values["title"] or "") < 5:
            ctx.invalid("title", "A few more words, please.")
            return
        submitted.append({**ctx.values, "meta": ctx.metadata})
        await ctx.thread.post(f"Ticket filed: {ctx.values['title']}")

    return submitted


@pytest.mark.parametrize("mode", ["socket", "http"])
async def test_a_modal_from_a_slash_command_with_validation_errors(mode: str) -> None:
    bot = plain_bot()
    submitted = file_tickets(bot)
    closed: list[str] = []

    @bot.on_modal_close("new_ticket")
    async def gone(ctx: ModalCloseContext) -> None:
        closed.append(ctx.metadata)

    async with running(mode, bot=bot) as h:
        await h.slack.slash("/ticket", "", user="alice")
        await until(lambda: any(v.get("callback_id") == "new_ticket"
                                     for v in h.slack.views.values()))
        view = next(v for v in h.slack.views.values() if v.get("callback_id") == "new_ticket")
        assert [b["type"] for b in view["blocks"]] == ["section", "input", "input", "input",
                                                       "input"]
        assert view["blocks"][2]["element"]["initial_option"]["value"] == "low"
        refused = await h.slack.submit_view(view["id"], state_values("pc"), user="alice")
        assert refused.response == {"response_action": "errors",
                                    "errors": {"title": "A few more words, please."}}
        accepted = await h.slack.submit_view(view["id"],
                                             state_values("Printer on fire", due="2026-12-24"),
                                             user="alice")
        assert not accepted.response
        await h.slack.wait_for_message(text="Ticket filed: Printer on fire", from_bot=True,
                                       channel=h.slack.general)
        assert submitted == [{"title": "Printer on fire", "priority": "high",
                              "notify": ["team"], "due": datetime.date(2026, 12, 24),
                              "meta": "ticket-form"}]
        # the person closes a second one (Slack sends view_closed: notify_on_close is set)
        payload = h.slack.core.views.submission(view["id"], h.slack.workspace.user("alice"),
                                                {})
        payload.update(type="view_closed", is_cleared=False)
        await h.slack.core.dispatcher.send_interactive(payload, accepts_response_payload=False)
        await until(lambda: closed == ["ticket-form"])


async def test_a_modal_needs_a_click_or_command_and_a_message_has_none() -> None:
    bot = create_bot(name="helpbot")
    outcome: list[str] = []

    @bot.on_mention
    async def form(ctx: TurnContext) -> None:
        try:
            await ctx.thread._open_modal(ctx.message, ticket_modal())
        except Exception as exc:
            outcome.append(str(exc))

    async with running("socket", bot=bot) as h:
        asked = await h.mention("open a form")
        await until(lambda: bool(outcome))
        assert "trigger_id" in outcome[0]
        assert not h.slack.calls_to("views.open")
        assert asked["ts"]


async def test_open_dm_posts_in_the_persons_dm() -> None:
    bot = plain_bot()
    async with running("socket", bot=bot) as h:
        alice = h.slack.workspace.user("alice").id
        thread = await bot.open_dm(alice)
        assert thread is not None
        assert thread.conversation.is_direct
        await thread.post("Your ticket T-1 was closed.")
        dm = h.slack.open_dm("alice")
        await h.slack.wait_for_message(text="Your ticket T-1 was closed.", channel=dm,
                                       from_bot=True)
        assert thread.conversation.channel == dm


async def test_scheduled_messages_go_through_chat_schedule_message() -> None:
    bot = plain_bot()
    async with running("socket", bot=bot) as h:
        asked = await h.mention("hi")
        await h.reply(asked["ts"], "hello there")
        thread = bot.thread("slack", Conversation(
            id=f"{h.slack.general}:{asked['ts']}", channel=h.slack.general,
            thread=asked["ts"]))
        when = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(minutes=5)
        scheduled = await thread.schedule(ui.Message(ui.Header("Reminder"), "check the printer"),
                                          post_at=when)
        assert scheduled
        [call] = h.slack.calls_to("chat.scheduleMessage")
        assert int(call.args["post_at"]) == int(when.timestamp())
        assert call.args["thread_ts"] == asked["ts"]


async def test_cancelling_a_choice_closes_the_card_on_slack() -> None:
    bot = create_bot(name="helpbot")
    outcome: list[str] = []

    @bot.on_mention
    async def ask(ctx: TurnContext) -> None:
        try:
            await ctx.thread.await_choice(ui.Message("Deploy now?", ui.Button("Yes", value=1)))
        except ChoiceCancelled as exc:
            outcome.append(str(exc))

    async with running("socket", bot=bot) as h:
        asked = await h.mention("deploy")
        card = await h.reply(asked["ts"], "Deploy now?")
        conversation_id = f"{h.slack.general}:{asked['ts']}"
        await bot.waiting_for_input(conversation_id)
        thread = bot.thread("slack", Conversation(id=conversation_id, channel=h.slack.general,
                                                  thread=asked["ts"]))
        assert await thread.cancel_choices("Deploy called off.") == 1
        await until(lambda: outcome == ["Deploy called off."])
        closed = h.slack.message(card["ts"])
        assert "Deploy called off." in str(closed["blocks"])
        assert all(b["type"] != "actions" for b in closed["blocks"])


def table_bot() -> Bot:
    bot = create_bot(name="helpbot")

    @bot.on_mention
    async def report(ctx: TurnContext) -> None:
        await ctx.thread.post(ui.Message(ui.Header("Open tickets"), ui.Table(
            [["T-1", "Printer on fire"], ["T-2", "VPN down"]], columns=["Id", "Title"],
            caption="Open tickets")))
    return bot


async def test_a_table_is_a_data_table_where_slack_has_them() -> None:
    async with running("socket", bot=table_bot()) as h:
        asked = await h.mention("report")
        message = await h.reply(asked["ts"])
        [table] = [b for b in message["blocks"] if b["type"] == "data_table"]
        assert table["caption"] == "Open tickets"
        assert [[c["text"] for c in row] for row in table["rows"]] == [
            ["Id", "Title"], ["T-1", "Printer on fire"], ["T-2", "VPN down"]]


async def test_a_refused_data_table_falls_back_to_todays_table() -> None:
    async with running("socket", bot=table_bot()) as h:
        h.slack.fail_next("chat.postMessage", status=200, error="invalid_blocks")
        asked = await h.mention("report")
        message = await h.reply(asked["ts"])
        assert "data_table" not in [b["type"] for b in message["blocks"]]
        assert "table" in [b["type"] for b in message["blocks"]]
        assert h.adapter.egress.data_tables is False  # never tried again in this process
        # the refused call did carry a data_table
        first = h.slack.calls_to("chat.postMessage")[0]
        assert "data_table" in str(first.args.get("blocks"))


async def test_the_helpdesk_offers_prompts_shows_status_and_reacts() -> None:
    async with running("socket") as h:  # examples/helpdesk.py
        channel, thread = await h.slack.start_assistant_thread("alice")
        await h.slack.wait_for_call("assistant.threads.setSuggestedPrompts")
        prompts = h.slack.assistant_state(channel, thread)["prompts"]
        assert prompts["title"] == "Try one of these"
        assert [p["message"] for p in prompts["prompts"]][:2] == ["my printer is broken",
                                                                  "who is bob"]
        await h.slack.user_says("alice", "who is bob", channel, thread)
        await h.reply(thread, "Bob", channel=channel)
        statuses = [c.args.get("status") for c in
                    h.slack.calls_to("assistant.threads.setStatus")]
        assert "is looking in the directory…" in statuses
        # a filed ticket marks the request with a reaction
        asked = await h.mention("my printer is broken")
        card = await h.reply(asked["ts"], "New ticket")
        await h.press(card, "Open it")
        reply = await h.reply(asked["ts"], "Ticket HD-")
        await until(lambda: "ticket" in {
            r["name"] for r in h.slack.message(asked["ts"]).get("reactions", [])})
        # :sos: on the answer pages the on-call engineer in that thread
        await h.slack.react("bob", reply, "sos")
        await h.reply(asked["ts"], "paging the on-call engineer")
