"""The Thread API: messages, streaming, state, and the capability-gated methods."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from botkit import (
    Capabilities,
    Conversation,
    FileResult,
    MessageRef,
    PlatformUser,
    Thread,
    ThreadMessage,
    TurnContext,
    UserError,
    create_bot,
    ui,
)
from botkit.testing import ALICE, BOB, FULL_CAPABILITIES, FakeAdapter, running

NOTHING = Capabilities()


async def in_turn(fake: FakeAdapter, body, text: str = "hi") -> None:  # type: ignore[no-untyped-def]
    """Run ``body(ctx)`` as a mention handler for one turn."""
    bot = create_bot(adapters=[fake])
    bot.on_mention(body)
    async with running(bot):
        await fake.emit_mention(text)


# -- post / update / delete ------------------------------------------------------------


async def test_post_update_delete() -> None:
    fake = FakeAdapter()
    refs: list[MessageRef] = []

    async def body(ctx: TurnContext) -> None:
        ref = await ctx.thread.post("working on it")
        refs.append(ref)
        same = await ctx.thread.update(ref, ui.Message(ui.Header("Done"), "all good"))
        assert same == ref
        extra = await ctx.thread.post([ui.Section("one"), ui.Divider(), "two"])
        await ctx.thread.delete(extra)

    await in_turn(fake, body)
    assert [s.kind for s in fake.sent] == ["post", "update", "post", "delete"]
    post, update, _, delete = fake.sent
    assert post.ref == refs[0] == update.ref
    assert isinstance(post.message, ui.Message)
    assert post.message.blocks == (ui.Section("working on it"),)
    assert update.message is not None
    assert update.message.blocks == (ui.Header("Done"), ui.Section("all good"))
    assert delete.ref == fake.sent[2].ref
    # the platform's history shows the updated text; the deleted message is gone
    bot_lines = [m.text for m in fake.history["C1:t1"] if m.is_bot]
    assert len(bot_lines) == 1
    assert "Done" in bot_lines[0]
    assert "all good" in bot_lines[0]


async def test_thread_identity() -> None:
    fake = FakeAdapter(platform="chat")
    got: list[Thread] = []
    bot = create_bot(adapters=[fake])
    bot.on_mention(lambda ctx: got.append(ctx.thread))
    async with running(bot):
        await fake.emit_mention("hi", conversation="C7:123.4")
    (thread,) = got
    assert thread.id == "C7:123.4"
    assert thread.platform == "chat"
    assert thread.capabilities == FULL_CAPABILITIES
    assert "C7:123.4" in repr(thread)


async def test_proactive_thread_outside_handlers() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    async with running(bot):
        thread = bot.thread("fake", Conversation(id="C5:t", channel="C5", thread="t"))
        await thread.post("good morning")
        with pytest.raises(UserError, match="no such adapter"):
            bot.thread("nowhere", thread.conversation)
    assert fake.texts("C5:t") == ["good morning"]


# -- streaming -------------------------------------------------------------------------


async def chunks(*parts: str) -> AsyncIterator[str]:
    for part in parts:
        yield part


async def test_stream_a_string_and_an_async_iterable() -> None:
    fake = FakeAdapter()
    refs: list[MessageRef | None] = []

    async def body(ctx: TurnContext) -> None:
        refs.append(await ctx.thread.stream("whole answer"))
        refs.append(await ctx.thread.stream(chunks("Hel", "lo ", "world")))

    await in_turn(fake, body)
    one, two = fake.sent
    assert (one.kind, one.text, one.parts) == ("stream", "whole answer", ("whole answer",))
    assert (two.kind, two.text, two.parts) == ("stream", "Hello world", ("Hel", "lo ", "world"))
    assert refs == [one.ref, two.ref]
    assert [m.text for m in fake.history["C1:t1"] if m.is_bot] == ["whole answer", "Hello world"]


async def test_stream_without_streaming_capability_posts_once() -> None:
    fake = FakeAdapter(capabilities=Capabilities(get_messages=True))
    await in_turn(fake, lambda ctx: ctx.thread.stream(chunks("a", "b", "c")))
    (sent,) = fake.sent
    assert (sent.kind, sent.text) == ("post", "abc")


async def test_stream_of_nothing_posts_nothing_and_returns_none() -> None:
    fake = FakeAdapter()
    refs: list[MessageRef | None] = []

    async def body(ctx: TurnContext) -> None:
        refs.append(await ctx.thread.stream(chunks()))
        refs.append(await ctx.thread.stream(""))

    await in_turn(fake, body)
    assert refs == [None, None]
    assert fake.sent == []


# -- capability-gated methods ----------------------------------------------------------


async def test_gated_methods_work_when_the_platform_can() -> None:
    fake = FakeAdapter()
    out: dict[str, object] = {}

    async def body(ctx: TurnContext) -> None:
        out["messages"] = await ctx.thread.get_messages()
        out["alice"] = await ctx.thread.lookup_user("alice")
        out["bob"] = await ctx.thread.lookup_user("  bob@example.com ")
        out["nobody"] = await ctx.thread.lookup_user("zed")
        out["file"] = await ctx.thread.post_file(b"a,b\n1,2\n", "report.csv", title="Report",
                                                 alt_text="numbers")
        out["ephemeral"] = await ctx.thread.post_ephemeral(BOB, "just for you")

    await in_turn(fake, body, text="hello there")
    messages = out["messages"]
    assert isinstance(messages, list)
    assert [m.text for m in messages] == ["hello there"]
    assert messages[0].user == ALICE
    assert out["alice"] == ALICE
    assert out["bob"] == BOB
    assert out["nobody"] is None
    result = out["file"]
    assert isinstance(result, FileResult)
    assert result.ok
    assert result.file_id
    assert not result.error
    assert fake.files == [("C1:t1", "report.csv", b"a,b\n1,2\n", "Report")]
    ephemeral = next(s for s in fake.sent if s.kind == "ephemeral")
    assert ephemeral.user == BOB
    assert ephemeral.text == "just for you"
    assert out["ephemeral"] == ephemeral.ref


async def test_gated_methods_degrade_when_the_platform_cannot() -> None:
    fake = FakeAdapter(capabilities=NOTHING)
    out: dict[str, object] = {}

    async def body(ctx: TurnContext) -> None:
        out["messages"] = await ctx.thread.get_messages()
        out["user"] = await ctx.thread.lookup_user("alice")
        out["file"] = await ctx.thread.post_file(b"data", "report.csv")
        out["ephemeral"] = await ctx.thread.post_ephemeral(BOB, "psst")

    await in_turn(fake, body)
    assert out["messages"] == []  # even though the fake holds history
    assert fake.history["C1:t1"]
    assert out["user"] is None
    result = out["file"]
    assert isinstance(result, FileResult)
    assert not result.ok
    assert result.file_id is None
    assert result.error == "fake does not support file upload"
    assert out["ephemeral"] is None
    assert fake.files == []
    assert fake.sent == []


class FailingAdapter(FakeAdapter):
    async def get_messages(self, conversation: Conversation) -> list[ThreadMessage]:
        raise ConnectionError("history unavailable")

    async def lookup_user(self, query: str) -> PlatformUser | None:
        raise ConnectionError("directory down")

    async def post_file(self, conversation: Conversation, data: bytes, filename: str, *,
                        title: str | None = None, alt_text: str | None = None) -> FileResult:
        raise OSError("disk full")


async def test_gated_methods_turn_platform_failures_into_degraded_results() -> None:
    fake = FailingAdapter()
    out: dict[str, object] = {}

    async def body(ctx: TurnContext) -> None:
        out["messages"] = await ctx.thread.get_messages()
        out["user"] = await ctx.thread.lookup_user("alice")
        out["file"] = await ctx.thread.post_file(b"x", "x.txt")

    await in_turn(fake, body)
    assert out["messages"] == []
    assert out["user"] is None
    assert out["file"] == FileResult(ok=False, error="upload failed: OSError: disk full")
    assert not any(s.message is not None and s.message.status for s in fake.sent)


async def test_lookup_user_with_a_blank_query_is_none() -> None:
    fake = FakeAdapter()
    out: list[object] = []

    async def body(ctx: TurnContext) -> None:
        out.append(await ctx.thread.lookup_user("   "))

    await in_turn(fake, body)
    assert out == [None]


# -- state -----------------------------------------------------------------------------


async def test_state_is_per_conversation_and_copied() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    seen: list[object] = []

    @bot.on_mention
    async def handle(ctx: TurnContext) -> None:
        state = await ctx.thread.get_state()
        seen.append(dict(state))
        state["count"] = state.get("count", 0) + 1
        await ctx.thread.set_state(state)
        state["count"] = 99  # mutating after set_state does not change what was stored

    async with running(bot):
        await fake.emit_mention("a")
        await fake.emit_mention("b")
        await fake.emit_mention("c", conversation="C2:t")
    assert seen == [{}, {"count": 1}, {}]


# -- run_agent without an agent --------------------------------------------------------


async def test_run_agent_without_an_agent_names_the_fix() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    async with running(bot):
        thread = bot.thread("fake", fake.conversation())
        with pytest.raises(UserError, match=r"agent=\.\.\. to create_bot"):
            await thread.run_agent()
        with pytest.raises(UserError, match="agent="):
            await thread.resume(True)


async def test_run_agent_without_an_agent_inside_a_handler_is_answered(
        caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    bot.on_mention(lambda ctx: ctx.thread.run_agent())
    async with running(bot):
        await fake.emit_mention("hi")
    (sent,) = fake.sent
    assert sent.message is not None
    assert sent.message.status
    # the setup mistake and its fix, not "something went wrong"
    assert "no agent configured: pass agent=" in sent.text
    assert "create_bot" in sent.text
    (logged,) = [r for r in caplog.records if "no agent configured" in r.getMessage()]
    assert logged.levelname == "ERROR"
    assert logged.exc_info is None  # one line, no traceback
