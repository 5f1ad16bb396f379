"""The bots ``bench_peers`` compares, each run in its own process (HTTP Events API mode).

    python adapters/slack/bench/peer_bots.py botkit|bolt|chatsdk oneshot|stream \
        --api SLACK_API_URL --token xoxb-… --secret SIGNING_SECRET [--word-delay 0]

With ``BENCH_PROFILE=FILE`` the bot runs under cProfile (CPU time) and writes its stats there.
It serves events on 127.0.0.1 (a free port), prints ``PORT=<n>`` once ready and runs until
stdin closes. Both answer an @-mention in its thread with the same words: ``oneshot`` in one
message, ``stream`` word by word through Slack's streaming methods (``chat.startStream`` /
``appendStream`` / ``stopStream``). The Bolt bot makes the Slack calls botkit makes for the
same turn (it reads the thread first, as an agent needs its history), by hand. ``chatsdk``
is the ``chat-sdk`` port of Vercel Chat (the optional ``bench`` extra) doing the same.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator
from typing import Any

WORDS = 40
ANSWER = " ".join(f"word{i}" for i in range(WORDS - 1)) + " END-OF-REPLY"


async def _words(delay: float) -> AsyncIterator[str]:
    for word in ANSWER.split(" "):
        if delay:
            await asyncio.sleep(delay)
        yield word + " "


def _answer_stdin(loop: asyncio.AbstractEventLoop) -> None:
    """Until stdin closes. Lines the benches send: ``counts`` is answered on stdout with the
    loop's counts (``BENCH_LOOP_COUNTS=1``, ``loop_counts``) as one ``COUNTS=<json>`` line;
    ``profile start`` / ``profile stop FILE`` run cProfile (CPU time) on the loop's thread
    in between, its stats written to FILE, answered ``PROFILED``."""
    import threading

    profiler: Any = None
    for line in sys.stdin:
        command = line.split()
        if command == ["counts"]:
            import json

            from loop_counts import snapshot
            print(f"COUNTS={json.dumps(snapshot())}", flush=True)
        elif command[:2] == ["profile", "start"]:
            import cProfile
            import time

            profiler = cProfile.Profile(time.process_time)
            loop.call_soon_threadsafe(profiler.enable)
        elif command[:2] == ["profile", "stop"] and profiler is not None:
            done = threading.Event()

            def stop(profiler: Any = profiler, path: str = command[2],
                     done: threading.Event = done) -> None:
                profiler.disable()
                profiler.dump_stats(path)
                done.set()
            loop.call_soon_threadsafe(stop)
            done.wait()
            print("PROFILED", flush=True)


async def _until_stdin_closes() -> None:
    loop = asyncio.get_running_loop()
    if os.environ.get("BENCH_LOOP_COUNTS"):
        from loop_counts import install
        install()
    await loop.run_in_executor(None, _answer_stdin, loop)


async def _serve_events(handle: Any) -> None:
    """Serve ``POST /slack/events`` with ``handle`` on a free port (printed as ``PORT=``)
    until stdin closes."""
    from aiohttp import web

    web_app = web.Application()
    web_app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(web_app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"PORT={runner.addresses[0][1]}", flush=True)
    try:
        await _until_stdin_closes()
    finally:
        await runner.cleanup()


async def run_botkit(args: argparse.Namespace) -> None:
    from botkit import TurnContext, create_bot
    from botkit.testing import Rule, Say, ScriptedAgent
    from botkit_slack.adapter import SlackAdapter
    from botkit_slack.client import DEFAULT_LIMITS

    # --unpaced: the adapter does not pace its calls (as the other bots): for comparing CPU
    # on a burst without botkit spreading its replies over Slack's limits
    unpaced = {method: (1e9, 10**6) for method in DEFAULT_LIMITS}

    delay = args.word_delay if args.mode == "stream" else 0.0
    agent = ScriptedAgent([Rule(r".", Say(ANSWER, delay=delay))])
    bot = create_bot(name="bench", agent=agent)

    @bot.on_mention
    async def answer(ctx: TurnContext) -> None:
        await ctx.thread.run_agent()

    adapter = SlackAdapter(bot_token=args.token, signing_secret=args.secret, base_url=args.api,
                           socket_mode=False, host="127.0.0.1", port=0,
                           streaming="native" if args.mode == "stream" else "edits",
                           thinking_status=None, first_post_delay=0.0,
                           rate_limits=unpaced if args.unpaced else None)
    bot.adapters = [adapter]
    await bot.start()
    print(f"PORT={adapter.port}", flush=True)
    try:
        await _until_stdin_closes()
    finally:
        await bot.stop()


async def run_bolt(args: argparse.Namespace) -> None:
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.app.async_app import AsyncApp
    from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient

    client = AsyncWebClient(token=args.token, base_url=args.api,
                            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=8)])
    app = AsyncApp(client=client, signing_secret=args.secret, process_before_response=False)
    delay = args.word_delay if args.mode == "stream" else 0.0

    @app.event("app_mention")
    async def mention(event: dict[str, Any], context: Any) -> None:
        channel, thread = event["channel"], event.get("thread_ts") or event["ts"]
        await client.conversations_replies(channel=channel, ts=thread, limit=100)
        if args.mode == "oneshot":
            await client.chat_postMessage(channel=channel, thread_ts=thread, text=ANSWER)
            return
        stream = await client.chat_stream(channel=channel, thread_ts=thread,
                                          recipient_team_id=context.team_id,
                                          recipient_user_id=event["user"])
        async for word in _words(delay):
            await stream.append(markdown_text=word)
        await stream.stop()

    @app.event("message")
    async def ignore() -> None:
        return None

    async def handle(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    await _serve_events(handle)


async def run_chatsdk(args: argparse.Namespace) -> None:
    """The ``chat-sdk`` Python port of Vercel Chat (``pip install 'botkit[bench]'``)."""
    from aiohttp import web
    from chat_sdk import Chat, MemoryStateAdapter
    from chat_sdk.adapters.slack import create_slack_adapter
    from chat_sdk.adapters.slack.types import SlackAdapterConfig

    adapter = create_slack_adapter(SlackAdapterConfig(bot_token=args.token,
                                                      signing_secret=args.secret))
    # the port has no setting for Slack's API URL; it makes one client per token and keeps
    # it (``current_client``), so that client is pointed at the emulator
    adapter.current_client.base_url = args.api
    chat = Chat(adapters={"slack": adapter}, state=MemoryStateAdapter(), user_name="bench",
                logger="silent")
    delay = args.word_delay if args.mode == "stream" else 0.0

    @chat.on_mention
    async def mention(thread: Any, message: Any, *_: Any) -> None:
        await thread.refresh()  # reads the thread (conversations.replies), as the others do
        await thread.post(ANSWER if args.mode == "oneshot" else _words(delay))

    async def handle(request: web.Request) -> web.StreamResponse:
        answer = await chat.webhooks["slack"](request)
        return web.Response(text=answer.get("body") or "", status=answer.get("status", 200),
                            headers=answer.get("headers"))

    await chat.initialize()
    await _serve_events(handle)


RUNNERS = {"botkit": run_botkit, "bolt": run_bolt, "chatsdk": run_chatsdk}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=sorted(RUNNERS))
    parser.add_argument("mode", choices=["oneshot", "stream"])
    parser.add_argument("--api", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--word-delay", type=float, default=0.0)
    parser.add_argument("--unpaced", action="store_true", help="botkit: no pacing of calls")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("slack_bolt").setLevel(logging.CRITICAL)
    profile = os.environ.get("BENCH_PROFILE")  # a file for cProfile stats of this bot
    if not profile:
        asyncio.run(RUNNERS[args.kind](args))
        return
    import cProfile
    import time

    # CPU time, not wall time: a wall clock would charge the bot for the moments the
    # emulator (or anything else on the machine) held the CPU while it waited
    profiler = cProfile.Profile(time.process_time)
    profiler.runctx("asyncio.run(RUNNERS[args.kind](args))", globals(), {"args": args})
    profiler.dump_stats(profile)


if __name__ == "__main__":
    main()
