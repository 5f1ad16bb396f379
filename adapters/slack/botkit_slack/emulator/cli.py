"""Command line: start the emulator, print how to point a bot at it, run until Ctrl-C.

    python -m botkit_slack.emulator [--host 127.0.0.1] [--port 3999] [--events-url URL]
                                    [--interactive] [--no-rate-limits] [--fake-clock]
                                    [--lenient] [--non-marketplace]

It prints the base URL, tokens and signing secret as ``SLACK_API_URL`` / ``SLACK_BOT_TOKEN`` /
``SLACK_APP_TOKEN`` / ``SLACK_SIGNING_SECRET`` lines (``eval``-able with ``export``). A bot uses
``AsyncWebClient(token=SLACK_BOT_TOKEN, base_url=SLACK_API_URL)``; Socket Mode apps connect with
the app token (``apps.connections.open`` on that base URL); HTTP-mode apps get events POSTed to
``--events-url``. People "type" through the control API (documented in :mod:`.control`), e.g.::

    curl -s localhost:3999/_emulator/user_says -d '{"user": "alice", "text": "hi <@U0EMUBOT01>"}'

or, with ``--interactive``, by typing lines on stdin: ``[@user] [#channel] text``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any, TextIO

from .clock import FakeClock, SystemClock
from .config import EmulatorConfig, RateLimits
from .emulator import SlackEmulator
from .models import Message

DEFAULT_PORT = 3999


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="botkit emulator", description="A local Slack emulator.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0: any free one)")
    parser.add_argument("--events-url", help="HTTP mode: the app's Request URL for events")
    parser.add_argument("--interactivity-url", help="Request URL for interactions (events URL)")
    parser.add_argument("--commands-url", help="Request URL for slash commands (events URL)")
    parser.add_argument("--bot-token", default="xoxb-emulator-bot-token")
    parser.add_argument("--app-token", default="xapp-1-emulator-app-token")
    parser.add_argument("--signing-secret", default="emulator-signing-secret")
    parser.add_argument("--no-rate-limits", action="store_true", help="turn rate limits off")
    parser.add_argument(
        "--fake-clock",
        action="store_true",
        help="time moves only via POST /_emulator/clock/advance",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept metadata nested deeper than Slack documents and stream calls that mix "
        "markdown_text with chunks (EmulatorConfig.strict off)",
    )
    parser.add_argument(
        "--non-marketplace",
        action="store_true",
        help="conversations.history/replies at 1 request per minute (commercial apps outside "
        "the Marketplace)",
    )
    parser.add_argument(
        "--interactive",
        action="store_true",
        help="read '[@user] [#channel] text' lines from stdin, print messages",
    )
    return parser


def banner(slack: SlackEmulator) -> str:
    control = slack.root_url + "_emulator"
    return "\n".join(
        [
            f"Slack emulator running at {slack.root_url}",
            "",
            "Point a bot at it:",
            f"  export SLACK_API_URL={slack.base_url}",
            f"  export SLACK_BOT_TOKEN={slack.bot_token}",
            f"  export SLACK_APP_TOKEN={slack.app_token}",
            f"  export SLACK_SIGNING_SECRET={slack.signing_secret}",
            "  slack_sdk: AsyncWebClient(token=$SLACK_BOT_TOKEN, base_url=$SLACK_API_URL)",
            "  Socket Mode: the app token opens a WebSocket via apps.connections.open on that URL.",
            "",
            f"Workspace {slack.team_id}: bot <@{slack.bot_user_id}>, people @alice and @bob, "
            f"#general ({slack.general}).",
            "Say something as a person:",
            f'  curl -s {control}/user_says -d \'{{"user": "alice", '
            f'"text": "<@{slack.bot_user_id}> hello"}}\'',
            f"Control API (calls, messages, faults, ...): GET {control}/",
            "Ctrl-C stops it.",
        ]
    )


def describe(slack: SlackEmulator, message: Message) -> str:
    users = slack.workspace.users
    who = users[message.user].name if message.user in users else (message.user or "?")
    channel = slack.workspace.channels.get(message.channel)
    where = f"#{channel.name}" if channel and channel.kind != "im" else f"DM {message.channel}"
    thread = f" (thread {message.thread_ts})" if message.is_reply else ""
    return f"[{where}{thread}] {who}: {message.text}"


def parse_line(line: str) -> tuple[str, str | None, str]:
    """``"[@user] [#channel] text"`` -> (user, channel, text); user defaults to alice."""
    user, channel = "alice", None
    words = line.strip().split(" ")
    while words and words[0][:1] in ("@", "#") and len(words[0]) > 1:
        head = words.pop(0)
        if head.startswith("@"):
            user = head[1:]
        else:
            channel = head
    return user, channel, " ".join(words)


async def serve(args: argparse.Namespace, out: TextIO, ready: asyncio.Event | None = None) -> None:
    limits = RateLimits.off() if args.no_rate_limits else RateLimits()
    limits.non_marketplace = args.non_marketplace
    config = EmulatorConfig(rate_limits=limits, record_limit=20_000, strict=not args.lenient)
    clock = FakeClock() if args.fake_clock else SystemClock()
    async with SlackEmulator(
        host=args.host,
        port=args.port,
        config=config,
        clock=clock,
        bot_token=args.bot_token,
        app_token=args.app_token,
        signing_secret=args.signing_secret,
    ) as slack:
        if args.events_url:
            slack.events_to(
                args.events_url,
                interactivity_url=args.interactivity_url,
                commands_url=args.commands_url,
            )
        print(banner(slack), file=out, flush=True)
        if args.interactive:
            _interactive(slack, out)
        stop = asyncio.Event()
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        if ready is not None:
            ready.set()
        await stop.wait()


def _interactive(slack: SlackEmulator, out: TextIO) -> None:
    def on_change(kind: str, obj: Any) -> None:
        if kind == "message" and isinstance(obj, Message) and obj.bot_id:
            print(describe(slack, obj), file=out, flush=True)

    slack.core.subscribe(on_change)
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[Any]] = set()

    async def say(line: str) -> None:
        user, channel, text = parse_line(line)
        try:
            await slack.user_says(user, text, channel)
        except ValueError as exc:
            print(f"! {exc}", file=out, flush=True)

    def on_stdin() -> None:
        line = sys.stdin.readline()
        if not line:
            loop.remove_reader(sys.stdin)
        elif line.strip():
            task = loop.create_task(say(line))
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    try:
        loop.add_reader(sys.stdin, on_stdin)
    except (NotImplementedError, ValueError, OSError):
        print("! interactive input is not available here", file=out, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(serve(args, sys.stdout))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"cannot start the emulator: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
