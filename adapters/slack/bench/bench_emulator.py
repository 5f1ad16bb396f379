"""How many Web API calls per second the local Slack emulator sustains on this machine.

Drives the emulator with the real ``slack_sdk`` ``AsyncWebClient`` (one pooled aiohttp session,
several concurrent workers) over loopback, with rate limits off, and prints calls/s and latency
per method. By default the emulator runs in its own process (``python -m botkit_slack.emulator``)
so client and server each get a core; ``--in-process`` runs both on one event loop.

    scripts/dev bench bench_emulator [--requests 4000] [--seconds 10] [--workers 16]
                                             [--in-process] [--raw]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import EmulatorConfig, RateLimits, SlackEmulator

BOT_TOKEN = "xoxb-emulator-bot-token"
GENERAL = "C0EMUGENRL"


@contextlib.asynccontextmanager
async def emulator_url(in_process: bool) -> AsyncIterator[str]:
    """The emulator's ``base_url``, in this process or a child one."""
    if in_process:
        config = EmulatorConfig(rate_limits=RateLimits.off())
        async with SlackEmulator(config=config) as slack:
            yield slack.base_url
        return
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "botkit_slack.emulator",
        "--port",
        "0",
        "--no-rate-limits",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert child.stdout is not None
    try:
        while True:
            line = (await asyncio.wait_for(child.stdout.readline(), 30)).decode()
            if not line:
                raise RuntimeError("the emulator did not start")
            if "SLACK_API_URL=" in line:
                yield line.split("=", 1)[1].strip()
                return
    finally:
        child.terminate()
        await child.wait()


async def measure(
    name: str, call: Callable[[], Awaitable[Any]], *, requests: int, seconds: float, workers: int
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    remaining = requests

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            began = time.perf_counter()
            try:
                await call()
            except Exception:
                errors += 1
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "calls": len(latencies),
        "errors": errors,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def raw_cases(session: aiohttp.ClientSession, base_url: str) -> dict[str, Any]:
    """The same server work through bare aiohttp (no SDK overhead): the emulator's ceiling."""
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}

    async def post(method: str, body: dict[str, Any]) -> None:
        async with session.post(base_url + method, json=body, headers=headers) as response:
            await response.read()

    return {
        "raw aiohttp auth.test": lambda: post("auth.test", {}),
        "raw aiohttp chat.postMessage": lambda: post(
            "chat.postMessage", {"channel": GENERAL, "text": "hi"}
        ),
    }


async def main(args: argparse.Namespace) -> None:
    async with emulator_url(args.in_process) as base_url:
        connector = aiohttp.TCPConnector(limit=args.workers)
        async with aiohttp.ClientSession(connector=connector) as session:
            client = AsyncWebClient(token=BOT_TOKEN, base_url=base_url, session=session)
            for i in range(200):
                await client.chat_postMessage(channel=GENERAL, text=f"seed {i}")
            cases: dict[str, Callable[[], Awaitable[Any]]] = {
                "auth.test": client.auth_test,
                "chat.postMessage": lambda: client.chat_postMessage(channel=GENERAL, text="hi"),
                "conversations.history(limit=20)": lambda: client.conversations_history(
                    channel=GENERAL, limit=20
                ),
                "users.info": lambda: client.users_info(user="U0EMUALICE"),
            }
            if args.raw:
                cases.update(raw_cases(session, base_url))
            where = "same process" if args.in_process else "separate process"
            print(
                f"Slack emulator Web API throughput ({where}, {args.workers} workers, "
                f"up to {args.requests} calls or {args.seconds:.0f} s per method)"
            )
            print(f"{'method':34} {'calls':>7} {'calls/s':>9} {'p50 ms':>8} {'p99 ms':>8} errors")
            for name, call in cases.items():
                for _ in range(50):  # warm up the pool
                    await call()
                r = await measure(
                    name, call, requests=args.requests, seconds=args.seconds, workers=args.workers
                )
                print(
                    f"{name:34} {r['calls']:>7.0f} {r['per_second']:>9.0f} "
                    f"{r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>6.0f}"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=4000, help="calls per method (max)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time per method (max)")
    parser.add_argument("--workers", type=int, default=16, help="concurrent callers")
    parser.add_argument("--in-process", action="store_true", help="emulator on the same loop")
    parser.add_argument("--raw", action="store_true", help="also measure with bare aiohttp")
    asyncio.run(main(parser.parse_args()))
