"""Bot construction, lifecycle, dispatch: routing, dedup, error replies, serial turns."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

import pytest

from botkit import (
    AdapterError,
    Bot,
    CommandContext,
    MemoryStore,
    TurnContext,
    UserError,
    create_bot,
)
from botkit.testing import ALICE, BOB, FakeAdapter, running


async def settle() -> None:
    """Let every task that is ready run up to its next real wait (no wall-clock sleep)."""
    for _ in range(10):
        await asyncio.sleep(0)


def notices(fake: FakeAdapter) -> list[str]:
    """Status lines the bot posted (error notices and the like)."""
    return [s.text for s in fake.sent if s.message is not None and s.message.status]


# -- routing ---------------------------------------------------------------------------


async def test_mention_goes_to_on_mention_and_plain_message_to_on_message() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    seen: list[tuple[str, str]] = []

    @bot.on_mention
    async def mention(ctx: TurnContext) -> None:
        seen.append(("mention", ctx.text))

    @bot.on_message
    async def message(ctx: TurnContext) -> None:
        seen.append(("message", ctx.text))

    async with running(bot):
        await fake.emit_mention("hey bot")
        await fake.emit_message("just chatting")
    assert seen == [("mention", "hey bot"), ("message", "just chatting")]


async def test_mention_falls_back_to_on_message_when_no_mention_handler() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    seen: list[bool] = []
    bot.on_message(lambda ctx: seen.append(ctx.message.mentioned))
    async with running(bot):
        await fake.emit_mention("hello")
        await fake.emit_message("hello again")
    assert seen == [True, False]


async def test_plain_message_is_ignored_when_only_on_mention_is_registered() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    seen: list[str] = []
    bot.on_mention(lambda ctx: seen.append(ctx.text))
    async with running(bot):
        await fake.emit_message("not for you")
        await fake.emit_mention("for you")
    assert seen == ["for you"]
    assert fake.sent == []


async def test_turn_context_carries_thread_user_platform_and_message() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    got: list[TurnContext] = []
    bot.on_mention(got.append)
    async with running(bot):
        event = await fake.emit_mention("status?", user=BOB, conversation="C9:t5")
    (ctx,) = got
    assert ctx.thread.id == "C9:t5"
    assert ctx.thread.platform == "fake"
    assert ctx.user == BOB
    assert ctx.platform == "fake"
    assert ctx.message is event
    assert ctx.text == "status?"
    assert ctx.bot is bot
    assert ctx.thread.user == BOB


async def test_several_handlers_run_in_registration_order() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    order: list[str] = []

    @bot.on_mention
    async def first(ctx: TurnContext) -> None:
        order.append("first")

    @bot.on_mention
    def second(ctx: TurnContext) -> None:  # sync handlers are fine too
        order.append("second")

    async with running(bot):
        await fake.emit_mention("go")
    assert order == ["first", "second"]


# -- commands --------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["/File-Issue", "/file-issue", "file_issue", "FILE_ISSUE"])
async def test_on_command_name_is_normalised(typed: str) -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    got: list[CommandContext] = []

    @bot.on_command("/File-Issue")
    async def file_issue(ctx: CommandContext) -> None:
        got.append(ctx)
        await ctx.thread.post(f"filed: {ctx.text}")

    async with running(bot):
        await fake.emit_command(typed, "printer is on fire", user=BOB)
    (ctx,) = got
    assert ctx.command == "file_issue"
    assert ctx.text == "printer is on fire"
    assert ctx.user == BOB
    assert ctx.message is None
    assert ctx.thread.id == "C1:t1"
    assert fake.texts() == ["filed: printer is on fire"]
    assert bot.has_command("file-issue")
    assert not bot.has_command("other")


async def test_unknown_command_is_ignored_quietly() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    bot.on_command("known")(lambda ctx: ctx.thread.post("known"))
    async with running(bot):
        await fake.emit_command("/unknown", "x")
        await fake.emit_command("/known")
    assert fake.texts() == ["known"]


# -- dedup -----------------------------------------------------------------------------


async def test_a_redelivered_event_is_handled_once() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    seen: list[str] = []
    bot.on_mention(lambda ctx: seen.append(ctx.text))
    async with running(bot):
        event = fake.message_event("once")
        await bot.dispatch(event)
        await bot.dispatch(event)
        await fake.emit_mention("twice")
    assert seen == ["once", "twice"]


async def test_dedup_is_per_platform() -> None:
    one, two = FakeAdapter(platform="one"), FakeAdapter(platform="two")
    bot = create_bot(adapters=[one, two])
    seen: list[str] = []
    bot.on_mention(lambda ctx: seen.append(ctx.platform))
    async with running(bot):
        event = one.message_event("hi")
        await bot.dispatch(event)
        await bot.dispatch(dataclasses.replace(event, platform="two"))  # same event id
    assert seen == ["one", "two"]


async def test_dedup_expires_after_its_ttl() -> None:
    now = [1000.0]
    fake = FakeAdapter()
    bot = Bot(adapters=[fake], store=MemoryStore(clock=lambda: now[0]), dedup_ttl=60)
    seen: list[str] = []
    bot.on_mention(lambda ctx: seen.append(ctx.text))
    async with running(bot):
        event = fake.message_event("retry me")
        await bot.dispatch(event)
        now[0] += 59
        await bot.dispatch(event)
        now[0] += 2
        await bot.dispatch(event)
    assert seen == ["retry me", "retry me"]


# -- errors in handlers ----------------------------------------------------------------


async def test_a_raising_handler_gets_a_short_reply_and_the_bot_keeps_serving(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])

    @bot.on_mention
    async def handle(ctx: TurnContext) -> None:
        if ctx.text == "boom":
            raise RuntimeError("database password is hunter2")
        await ctx.thread.post(f"ok: {ctx.text}")

    with caplog.at_level(logging.ERROR, logger="botkit"):
        async with running(bot):
            await fake.emit_mention("boom")
            await fake.emit_mention("next")
    (notice,) = notices(fake)
    assert "Sorry, something went wrong" in notice
    assert "hunter2" not in notice  # internals stay in the log
    assert fake.texts()[-1] == "ok: next"
    failure = next(r for r in caplog.records if "failed" in r.getMessage())
    assert failure.exc_info is not None
    assert "hunter2" in str(failure.exc_info[1])
    # the error reference in the notice matches the one logged
    ref = notice.rsplit("error ", 1)[1].rstrip(").")
    assert ref in failure.getMessage()


async def test_raising_command_and_click_handlers_are_answered_too() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])

    def boom(ctx: object) -> None:
        raise ValueError("nope")

    bot.on_command("crash")(boom)
    bot.on_interaction("crash-button")(boom)
    async with running(bot):
        await fake.emit_command("/crash")
        await fake.emit_interaction("crash-button", "x")
    assert len(notices(fake)) == 2
    assert all("something went wrong" in n for n in notices(fake))


async def test_error_notices_are_left_out_of_history() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])

    def boom(ctx: TurnContext) -> None:
        raise RuntimeError("x")

    bot.on_mention(boom)
    async with running(bot):
        await fake.emit_mention("hi")
    (user_msg, notice) = fake.history["C1:t1"]
    assert not user_msg.is_status
    assert notice.is_status
    assert notice.is_bot


# -- per-conversation ordering ---------------------------------------------------------


async def test_turns_in_one_conversation_run_one_at_a_time() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    gate, started = asyncio.Event(), asyncio.Event()
    log: list[str] = []

    @bot.on_mention
    async def handle(ctx: TurnContext) -> None:
        log.append(f"start {ctx.text}")
        if ctx.text == "first":
            started.set()
            await gate.wait()
        log.append(f"end {ctx.text}")

    async with running(bot), asyncio.timeout(5):
        first = bot.spawn(bot.dispatch(fake.message_event("first")))
        await started.wait()
        second = bot.spawn(bot.dispatch(fake.message_event("second")))
        await settle()
        # another conversation is not held up by the first one
        await fake.emit_mention("elsewhere", conversation="C2:t2")
        assert log == ["start first", "start elsewhere", "end elsewhere"]
        gate.set()
        await asyncio.gather(first, second)
    assert log[3:] == ["end first", "start second", "end second"]
    assert bot._runtime.turns._locks == {}  # lock bookkeeping is released


async def test_a_failing_turn_releases_the_conversation_for_the_next() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    seen: list[str] = []

    @bot.on_mention
    async def handle(ctx: TurnContext) -> None:
        seen.append(ctx.text)
        if ctx.text == "bad":
            raise RuntimeError("x")

    async with running(bot), asyncio.timeout(5):
        await asyncio.gather(bot.dispatch(fake.message_event("bad")),
                             bot.dispatch(fake.message_event("good")))
    assert seen == ["bad", "good"]


# -- lifecycle -------------------------------------------------------------------------


async def test_start_without_adapters_says_how_to_fix_it() -> None:
    bot = create_bot()
    with pytest.raises(UserError, match=r"adapters=\[\.\.\.\]"):
        await bot.start()


async def test_adapters_must_be_added_before_start_and_platforms_are_unique() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    with pytest.raises(UserError, match="already has a 'fake' adapter"):
        bot.add_adapter(FakeAdapter())
    async with running(bot):
        with pytest.raises(UserError, match=r"before bot\.start"):
            bot.add_adapter(FakeAdapter(platform="other"))


def test_create_bot_defaults_and_validation() -> None:
    bot = create_bot()
    assert bot.name == "botkit"
    assert bot.max_iterations == 6
    assert bot.agent is None
    assert create_bot(name="helpdesk").name == "helpdesk"
    with pytest.raises(UserError, match="max_iterations"):
        create_bot(max_iterations=0)


class BrokenAdapter(FakeAdapter):
    def __init__(self, platform: str) -> None:
        super().__init__(platform=platform)
        self.stopped = False

    async def start(self, bot: Bot) -> None:
        raise ConnectionError(f"{self.platform} is down")

    async def stop(self) -> None:
        self.stopped = True
        raise ConnectionError("still down")


async def test_one_failing_adapter_is_logged_and_the_others_serve(
    caplog: pytest.LogCaptureFixture,
) -> None:
    good, bad = FakeAdapter(), BrokenAdapter("broken")
    bot = create_bot(adapters=[good, bad])
    bot.on_mention(lambda ctx: ctx.thread.post("alive"))
    async with running(bot):
        await good.emit_mention("hi")
    assert good.texts() == ["alive"]
    assert "broken is down" in caplog.text
    assert bad.stopped  # stop() reached it, and its failure did not escape


async def test_all_adapters_failing_raises_adapter_error() -> None:
    bot = create_bot(adapters=[BrokenAdapter("a"), BrokenAdapter("b")])
    with pytest.raises(AdapterError, match="no adapter could start"):
        await bot.start()


async def test_start_is_idempotent_and_stop_waits_for_spawned_work() -> None:
    fake = FakeAdapter()
    bot = create_bot(adapters=[fake])
    done: list[str] = []
    gate = asyncio.Event()

    async def work() -> None:
        await gate.wait()
        done.append("finished")

    await bot.start()
    await bot.start()
    bot.spawn(work())
    stopping = asyncio.ensure_future(bot.stop())
    await settle()
    assert not stopping.done()  # stop waits for in-flight work
    gate.set()
    await stopping
    assert done == ["finished"]


class StopsAtOnce(FakeAdapter):
    """An adapter whose input ends immediately (like piped stdin at EOF)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []

    async def start(self, bot: Bot) -> None:
        await super().start(bot)
        self.events.append("start")
        bot.request_stop()

    async def stop(self) -> None:
        self.events.append("stop")


def test_sync_run_serves_until_the_adapter_requests_stop() -> None:
    adapter = StopsAtOnce()
    bot = create_bot(adapters=[adapter])
    bot.run()
    assert adapter.events == ["start", "stop"]


async def test_serve_starts_and_stops() -> None:
    adapter = StopsAtOnce()
    bot = create_bot(adapters=[adapter])
    await bot.serve()
    assert adapter.events == ["start", "stop"]


async def test_serve_sets_the_collector_for_serving_and_back() -> None:
    """``Bot.serve`` owns the process while it serves: what was loaded is frozen out of
    full collections and full passes come every ``FULL_PASS_EVERY`` young ones; when it
    returns the settings are back (a test process or an app serving a bot for a while
    keeps its own). ``start`` alone (a bot embedded in another app) leaves them alone."""
    import gc

    from botkit.run.fair import FULL_PASS_EVERY

    class SeesTheCollector(StopsAtOnce):
        async def stop(self) -> None:  # still serving
            seen.append((gc.get_threshold(), gc.get_freeze_count()))

    seen: list[tuple[tuple[int, int, int], int]] = []
    thresholds = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    try:
        bot = create_bot(adapters=[FakeAdapter()])
        async with running(bot):
            assert gc.get_threshold() == (700, 10, 10)
            assert gc.get_freeze_count() == 0
        await create_bot(adapters=[SeesTheCollector()]).serve()
        [(serving, frozen)] = seen
        assert serving == (700, 10, FULL_PASS_EVERY)
        assert frozen > 0
        assert (gc.get_threshold(), gc.get_freeze_count()) == ((700, 10, 10), 0)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


async def test_dispatch_from_an_unknown_platform_is_a_user_error() -> None:
    fake, stranger = FakeAdapter(), FakeAdapter(platform="stranger")
    bot = create_bot(adapters=[fake])
    bot.on_mention(lambda ctx: None)
    async with running(bot):
        with pytest.raises(UserError, match="no such adapter"):
            await bot.dispatch(stranger.message_event("hi"))


async def test_pytest_plugin_provides_a_fake_adapter(fake_adapter: FakeAdapter) -> None:
    bot = create_bot(adapters=[fake_adapter])
    bot.on_mention(lambda ctx: ctx.thread.post(f"hi {ctx.user.display_name}"))
    async with running(bot):
        await fake_adapter.emit_mention("hello", user=ALICE)
    assert fake_adapter.texts() == ["hi Alice"]
    assert fake_adapter.capabilities.post_file
