"""The console adapter in-process, with string streams for stdin/stdout."""

from __future__ import annotations

import io
import json
from pathlib import Path

from botkit import ToolContext, TurnContext, create_bot, ui
from botkit.testing import CallTool, Rule, Say, ScriptedAgent
from botkit_console import ConsoleAdapter


async def serve(bot_factory, stdin: str, **options) -> str:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    console = ConsoleAdapter(stdin=io.StringIO(stdin), stdout=out, rich=False, **options)
    bot = bot_factory(console)
    await bot.serve()  # returns once stdin is exhausted and the work is done
    return out.getvalue()


async def test_lookup_user_degrades_without_a_users_file(tmp_path: Path) -> None:
    def make(console: ConsoleAdapter):  # type: ignore[no-untyped-def]
        bot = create_bot(adapters=[console], name="t")

        @bot.on_mention
        async def find(ctx: TurnContext) -> None:
            person = await ctx.thread.lookup_user(ctx.text)
            await ctx.thread.post(f"found: {person.display_name if person else None}")
        return bot

    assert "found: None" in await serve(make, "carol\n", data_dir=tmp_path)
    users = tmp_path / "users.json"
    users.write_text(json.dumps([{"id": "U1", "name": "Carol Diaz", "email": "c@x.io"}]))
    out = await serve(make, "c@x\n", data_dir=tmp_path, users_file=users)
    assert "found: Carol Diaz" in out


async def test_choice_by_number_and_label_and_tool_progress(tmp_path: Path) -> None:
    agent = ScriptedAgent([Rule("pick", CallTool("pick_colour"), Say("You picked {result}."))])

    def make(console: ConsoleAdapter):  # type: ignore[no-untyped-def]
        bot = create_bot(adapters=[console], agent=agent, name="t")

        @bot.tool
        async def pick_colour(ctx: ToolContext) -> str:
            """Ask for a colour."""
            return str(await ctx.thread.await_choice(ui.Message(
                ui.Section("Which colour?"),
                ui.Actions(ui.Button("Red", value="red"), ui.Button("Blue", value="blue")))))

        @bot.on_mention
        async def run(ctx: TurnContext) -> None:
            await ctx.thread.run_agent()
        return bot

    out = await serve(make, "pick one\n2\npick again\nred\n", data_dir=tmp_path)
    assert out.count("⚙ Using pick_colour…") == 2
    assert out.count("✓ Used pick_colour") == 2  # each call shown as done, after the answer
    assert out.index("[1] Red  [2] Blue") < out.index("✓ Used pick_colour")
    assert "You picked blue." in out
    assert "You picked red." in out
    transcript = (tmp_path / "transcript.jsonl").read_text()
    assert "pick_colour" in transcript  # tool calls recorded with the history


async def test_files_are_written_under_the_data_dir(tmp_path: Path) -> None:
    def make(console: ConsoleAdapter):  # type: ignore[no-untyped-def]
        bot = create_bot(adapters=[console], name="t")

        @bot.on_mention
        async def upload(ctx: TurnContext) -> None:
            first = await ctx.thread.post_file(b"a,b\n", "data.csv", title="Data")
            second = await ctx.thread.post_file(b"c,d\n", "data.csv")
            await ctx.thread.post(f"{first.ok} {Path(str(second.file_id)).name}")
        return bot

    out = await serve(make, "go\n", data_dir=tmp_path)
    assert "True data-2.csv" in out
    assert (tmp_path / "files" / "data.csv").read_bytes() == b"a,b\n"
    assert (tmp_path / "files" / "data-2.csv").read_bytes() == b"c,d\n"


async def test_a_corrupt_transcript_line_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "transcript.jsonl").write_text('{"op": "add", "id": "c1", "entry": '
                                              '{"text": "old", "user": {"id": "u"}, '
                                              '"is_bot": false}}\nnot json\n')

    def make(console: ConsoleAdapter):  # type: ignore[no-untyped-def]
        bot = create_bot(adapters=[console], name="t")

        @bot.on_mention
        async def count(ctx: TurnContext) -> None:
            texts = [m.text for m in await ctx.thread.get_messages()]
            await ctx.thread.post(f"history: {texts}")
        return bot

    assert "history: ['old', 'new']" in await serve(make, "new\n", data_dir=tmp_path)
