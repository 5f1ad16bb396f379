"""Slack refusing calls because of the app's setup (issue 13, item 6), on the strict emulator:
a missing scope names the scope to add, a disabled Messages tab names the manifest setting,
an app without the agent feature loses prompts quietly, and an oversized reply is posted as
several messages rather than refused (``msg_blocks_too_long``) or cut."""

from __future__ import annotations

import logging

import pytest
from slack_adapter_harness import running

from botkit import TurnContext, create_bot, ui
from botkit_slack.adapter import SlackAdapter
from botkit_slack.emulator.scopes import ALL_BOT_SCOPES


def _records(caplog: pytest.LogCaptureFixture, word: str, level: int = logging.DEBUG
             ) -> list[logging.LogRecord]:
    return [r for r in caplog.records if word in r.getMessage() and r.levelno >= level
            and r.name.startswith("botkit.slack")]


async def test_a_missing_scope_is_named_in_the_log_once_and_in_the_conversation(
        caplog: pytest.LogCaptureFixture) -> None:
    bot = create_bot(name="reactor")
    adapters: list[SlackAdapter] = []

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        if ctx.text == "hello":  # the harness's settle() barrier
            await ctx.thread.post("hi")
            return
        assert ctx.message is not None
        await adapters[0].add_reaction(ctx.thread.conversation, ctx.message.ref, "eyes")

    caplog.set_level(logging.INFO)
    async with running("socket", bot=bot) as h:
        adapters.append(h.adapter)
        h.slack.configure_app(scopes=ALL_BOT_SCOPES - {"reactions:write"})
        for text in ("react", "react again"):
            asked = await h.mention(text)
            notice = await h.reply(asked["ts"], "reactions:write")
            assert "oauth_config.scopes.bot" in notice["text"]
            assert "provided" not in notice["text"]
        await h.settle()  # and the bot keeps serving
    assert len([r for r in _records(caplog, "reactions:write", logging.ERROR)
                if r.name == "botkit.slack"]) == 1  # the adapter's own line: once


async def test_a_disabled_messages_tab_is_logged_with_the_manifest_setting(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    async with running("socket") as h:
        slack = h.slack
        slack.configure_app(messages_tab=False)
        dm = slack.open_dm("alice")
        await slack.user_says("alice", "hello in a DM", dm)
        await h.settle()  # the channel is still answered
        await slack.user_says("alice", "hello again", dm)
        await h.settle()
        assert [m for m in slack.messages(dm) if m.get("bot_id")] == []
    fixes = [r for r in _records(caplog, "messages_tab_enabled: true", logging.ERROR)
             if r.name == "botkit.slack"]
    assert len(fixes) == 1


async def test_without_the_agent_feature_prompts_and_status_degrade_quietly(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    prompts = [("Reset my password", "How do I reset my password?")]
    async with running("socket", suggested_prompts=prompts) as h:
        slack = h.slack
        slack.configure_app(agent=False)
        dm, root = await slack.start_assistant_thread("alice")
        asked = await slack.user_says("alice", "who is bob", dm, root)
        await h.reply(root, "Bob", channel=dm, after=asked["ts"])
        second_dm, second_root = await slack.start_assistant_thread("bob")
        await h.settle()
        assert slack.calls_to("assistant.threads.setSuggestedPrompts")
    assert _records(caplog, "not_agent_app", logging.INFO) == []
    assert len(_records(caplog, "Agents & AI Apps")) == 1
    assert (second_dm, second_root) != (dm, root)


async def test_a_reply_beyond_slacks_block_text_limit_still_shows() -> None:
    bot = create_bot(name="verbose")
    paragraphs = [f"Part {i}: " + "lorem ipsum dolor " * 150 for i in range(8)]

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        if ctx.text == "hello":
            await ctx.thread.post("hi")
            return
        await ctx.thread.post(ui.Message(*(ui.Section(p) for p in paragraphs),
                                         ui.Actions(ui.Button("OK", action_id="ok"))))

    async with running("socket", bot=bot) as h:
        asked = await h.mention("tell me all")
        await h.slack.wait_for_message(lambda m: "Part 0" in str(m), thread_ts=asked["ts"],
                                       from_bot=True)
        await h.settle()
        shown = h.bot_messages(asked["ts"])
        assert not any("went wrong" in m["text"] for m in shown)
        parts = [m for m in shown if "Part" in str(m.get("blocks"))]
        assert len(parts) > 1  # posted as several messages, nothing cut
        blocks = " ".join(str(m.get("blocks")) for m in parts)
        assert all(f"Part {i}: lorem" in blocks for i in range(8))
        assert "not shown" not in blocks
        assert "'action_id': 'ok'" in str(parts[-1]["blocks"])  # the button after the text
        assert sum(len(p) for p in paragraphs) > 13_300
        assert not [c for c in h.slack.calls_to("chat.postMessage")
                    if c.response.get("error") == "msg_blocks_too_long"]
