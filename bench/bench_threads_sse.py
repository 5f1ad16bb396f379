"""Web runs' live events across processes, over real HTTP, on SQLite and on Redis.

Two bot processes share one store: B runs the bot, A only serves. For N SSE subscribers
(``--subscribers``, default 1 10 100) it prints events/s delivered and the delivery latency
p50/p99 (event made in B, read by a subscriber's socket):

- ``B -> A``: the run goes on B, the subscribers join it on A (``GET .../runs/{id}/stream``):
  the events go through the store (relay + one mirror per run on A);
- ``B -> B``: the same subscribers join on B itself (the in-process fast path);
- ``aiohttp``: a bare aiohttp SSE server in its own process sending the same paced events to
  N subscribers through per-subscriber queues (the HTTP floor, no botkit).

Then runs/s over HTTP with a fast bot (one short post per run), ``--clients`` callers each on
its own thread: ``POST /runs/wait`` on a bot whose runs are not relayed (the peer: what the
relay costs); the same on B; ``POST /runs/stream`` on B (the stream in the owning process);
``POST /runs`` on B and ``GET .../stream`` on A (followed across processes).

The run emits ``--events`` text deltas paced at ``--rate`` per second, each carrying the time
it was made; subscribers are connected before it starts. The subscribers run in this
process (they share the machine with A and B); "server CPU" is the share of one core the
process they read from used meanwhile (100 % = saturated). Loopback only.

    .venv/bin/python bench/bench_threads_sse.py [--store sqlite redis] [--subscribers 1 10 100]
        [--events 1000] [--rate 500] [--runs 300] [--clients 8]

``--subscribers 0`` or ``--runs 0`` leaves that part out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from aiohttp import web

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
GO = "bench:go:"


# -- the processes --------------------------------------------------------------------
async def serve_bot(url: str, relay: bool = True) -> None:
    from botkit import create_bot
    from botkit.store import store_from_url
    from botkit_web import WebAdapter

    store = store_from_url(url)
    adapter = WebAdapter(port=0)
    bot = create_bot(adapters=[adapter], store=store, name="bench")

    @bot.on_mention
    async def answer(ctx: object) -> None:
        text: str = ctx.message.text  # type: ignore[attr-defined]
        thread = ctx.thread  # type: ignore[attr-defined]
        if not text.startswith("fanout "):
            await thread.post("ok")
            return
        _, count, rate, key = text.split()
        while await store.get(key) is None:  # noqa: ASYNC110 (set by another process)
            await asyncio.sleep(0.005)

        async def parts() -> object:
            start = time.perf_counter()
            for i in range(int(count)):
                if (delay := start + i / float(rate) - time.perf_counter()) > 0:
                    await asyncio.sleep(delay)
                yield f"{time.time():.6f} "
        await thread.stream(parts())
    await bot.start()
    if not relay:  # the peer: runs followed in this process only
        adapter.engine.mirrors.streams = None
    print(adapter.url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await bot.stop()
    await store.close()


async def serve_baseline() -> None:
    """A bare aiohttp SSE fan-out: POST /go?count=&rate= sends paced events to every
    subscriber of GET /sse."""
    queues: set[asyncio.Queue[bytes | None]] = set()

    async def sse(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        queues.add(queue)
        await response.write(b"event: metadata\ndata: {}\n\n")
        try:
            while (frame := await queue.get()) is not None:
                await response.write(frame)
        finally:
            queues.discard(queue)
        return response

    async def go(request: web.Request) -> web.Response:
        count, rate = int(request.query["count"]), float(request.query["rate"])

        async def send() -> None:
            start = time.perf_counter()
            for i in range(count):
                if (delay := start + i / rate - time.perf_counter()) > 0:
                    await asyncio.sleep(delay)
                data = json.dumps({"type": "TEXT_MESSAGE_CONTENT", "delta": f"{time.time():.6f} "})
                frame = f"id: {i}\nevent: ag-ui\ndata: {data}\n\n".encode()
                for queue in list(queues):
                    queue.put_nowait(frame)
            for queue in list(queues):
                queue.put_nowait(None)
        asyncio.get_running_loop().create_task(send())
        return web.Response(text="ok")

    app = web.Application()
    app.add_routes([web.get("/sse", sse), web.post("/go", go)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    print(f"http://{host}:{port}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await runner.cleanup()


async def spawn(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    child = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE)
    assert child.stdout is not None
    line = await asyncio.wait_for(child.stdout.readline(), 60)
    if not line.startswith(b"http"):
        raise RuntimeError(f"{args} did not start: {line!r}")
    return child, line.decode().strip()


async def stop(child: asyncio.subprocess.Process) -> None:
    assert child.stdin is not None
    child.stdin.close()
    try:
        await asyncio.wait_for(child.wait(), 30)
    except TimeoutError:
        child.kill()


# -- measuring --------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] if ordered else float("nan")


async def subscribe(http: aiohttp.ClientSession, url: str, connected: asyncio.Event,
                    latencies: list[float], counter: list[int], count: int) -> None:
    """Read one SSE stream to its end; record each text delta's delivery latency."""
    async with http.get(url, timeout=aiohttp.ClientTimeout(total=600)) as response:
        response.raise_for_status()
        got = 0
        async for raw in response.content:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: metadata"):
                counter[0] += 1
                if counter[0] == count:
                    connected.set()
            elif line.startswith("data: ") and "TEXT_MESSAGE_CONTENT" in line:
                now = time.time()
                delta = json.loads(line[6:]).get("delta", "")
                latencies.append(now - float(delta))
                got += 1


async def fan_out(label: str, http: aiohttp.ClientSession, stream_url: str, n: int,
                  start: Callable[[], Awaitable[None]], events: int,
                  server: asyncio.subprocess.Process) -> None:
    """``server`` is the process the subscribers read from (its CPU time is printed)."""
    latencies: list[float] = []
    connected, counter = asyncio.Event(), [0]
    subscribers = [asyncio.create_task(subscribe(http, stream_url, connected, latencies,
                                                 counter, n)) for _ in range(n)]
    await asyncio.wait_for(connected.wait(), 60)
    began, cpu = time.perf_counter(), cpu_seconds(server.pid)
    await start()
    await asyncio.wait_for(asyncio.gather(*subscribers), 600)
    elapsed = time.perf_counter() - began
    cpu = cpu_seconds(server.pid) - cpu
    ms = [x * 1000 for x in latencies]
    lost = n * events - len(latencies)
    print(f"  {label:<9} {n:>4} subs  {len(latencies) / elapsed:9.0f} events/s   "
          f"p50 {statistics.median(ms):7.1f} ms   p99 {pct(ms, 0.99):7.1f} ms   "
          f"server CPU {cpu / elapsed:4.0%}" + (f"   MISSING {lost}" if lost else ""))


async def botkit_fan_out(label: str, http: aiohttp.ClientSession, owner: str, joined: str,
                         store: object, n: int, events: int, rate: float,
                         server: asyncio.subprocess.Process) -> None:
    tid, key = f"fan-{uuid.uuid4().hex[:8]}", f"{GO}{uuid.uuid4().hex}"
    async with http.post(f"{owner}/threads/{tid}/runs", json={
            "if_not_exists": "create",
            "input": {"messages": [{"role": "user",
                                    "content": f"fanout {events} {rate} {key}"}]}}) as made:
        made.raise_for_status()
        run = await made.json()
    url = f"{joined}/threads/{tid}/runs/{run['run_id']}/stream?stream_mode=ag-ui"

    async def go() -> None:
        await store.set(key, True, ttl=600)  # type: ignore[attr-defined]
    await fan_out(label, http, url, n, go, events, server)


async def runs_per_second(label: str, count: int, clients: int,
                          one: Callable[[str], Awaitable[None]]) -> None:
    latencies: list[float] = []
    queue = iter(range(count))

    async def worker() -> None:
        tid = f"runs-{uuid.uuid4().hex[:8]}"
        for _ in queue:
            began = time.perf_counter()
            await one(tid)
            latencies.append(time.perf_counter() - began)
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    ms = [x * 1000 for x in latencies]
    print(f"  {label:<34} {count / elapsed:7.0f} runs/s   p50 {statistics.median(ms):6.1f} ms"
          f"   p99 {pct(ms, 0.99):6.1f} ms")


async def drain(response: aiohttp.ClientResponse) -> str:
    response.raise_for_status()
    last = ""
    async for raw in response.content:
        if raw.startswith(b"event: "):
            last = raw.decode().strip()
    return last


async def bench_store(kind: str, url: str, options: argparse.Namespace) -> None:
    from botkit.store import store_from_url

    b, b_url = await spawn("--serve", url)
    a, a_url = await spawn("--serve", url)
    base, base_url = await spawn("--baseline")
    plain, plain_url = await spawn("--serve", url, "--no-relay")
    store = store_from_url(url)
    body = {"if_not_exists": "create", "input": {"messages": [{"role": "user",
                                                                "content": "hi"}]}}
    try:
        conn = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=conn) as http:
            print(f"{kind}: SSE fan-out, {options.events} events at {options.rate:.0f}/s")
            for n in [n for n in options.subscribers if n > 0]:
                await botkit_fan_out("B -> A", http, b_url, a_url, store, n,
                                     options.events, options.rate, a)
                await botkit_fan_out("B -> B", http, b_url, b_url, store, n,
                                     options.events, options.rate, b)

                async def go() -> None:
                    async with http.post(f"{base_url}/go", params={
                            "count": options.events, "rate": options.rate}) as r:
                        r.raise_for_status()
                await fan_out("aiohttp", http, f"{base_url}/sse", n, go, options.events,
                              base)
            if options.runs <= 0:
                return
            print(f"{kind}: runs over HTTP, {options.runs} runs, {options.clients} clients")

            async def wait(tid: str) -> None:
                async with http.post(f"{b_url}/threads/{tid}/runs/wait", json=body) as r:
                    r.raise_for_status()
                    await r.read()

            async def stream_here(tid: str) -> None:
                async with http.post(f"{b_url}/threads/{tid}/runs/stream", json=body) as r:
                    assert await drain(r) == "event: end"

            async def stream_across(tid: str) -> None:
                async with http.post(f"{b_url}/threads/{tid}/runs", json=body) as r:
                    r.raise_for_status()
                    run = await r.json()
                async with http.get(f"{a_url}/threads/{tid}/runs/{run['run_id']}/stream",
                                    params={"stream_mode": "values"}) as r:
                    assert await drain(r) == "event: end"
            async def wait_plain(tid: str) -> None:
                async with http.post(f"{plain_url}/threads/{tid}/runs/wait", json=body) as r:
                    r.raise_for_status()
                    await r.read()
            await runs_per_second("POST /runs/wait, relay off (peer)", options.runs,
                                  options.clients, wait_plain)
            await runs_per_second("POST /runs/wait on B", options.runs, options.clients,
                                  wait)
            await runs_per_second("POST /runs/stream on B", options.runs, options.clients,
                                  stream_here)
            await runs_per_second("POST /runs on B + stream on A", options.runs,
                                  options.clients, stream_across)
    finally:
        for child in (a, b, base, plain):
            await stop(child)
        await store.close()


async def main(options: argparse.Namespace) -> None:
    for kind in options.store:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                await bench_store("SQLite", f"sqlite:///{Path(tmp) / 'bench.db'}", options)
        else:
            prefix = f"bench-{uuid.uuid4().hex[:8]}:"
            await bench_store("Redis", f"{REDIS_URL}/0?prefix={prefix}", options)
            from botkit.store import RedisStore
            cleaner = RedisStore(REDIS_URL, prefix=prefix)
            for key in await cleaner.scan(""):
                await cleaner.delete(key)
            await cleaner.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", nargs="+", choices=["sqlite", "redis"],
                        default=["sqlite", "redis"])
    parser.add_argument("--subscribers", nargs="+", type=int, default=[1, 10, 100])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-relay", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.serve:
        asyncio.run(serve_bot(options.serve, relay=not options.no_relay))
    elif options.baseline:
        asyncio.run(serve_baseline())
    else:
        asyncio.run(main(options))
