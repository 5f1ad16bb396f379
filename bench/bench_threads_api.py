"""The threads HTTP API over real HTTP on a SQLite store: requests per second and latency
p50/p99 for creating threads, reading one, updating its state (a checkpoint each), reading
its history, and searching, with ``--clients`` concurrent callers. Loopback only.

    .venv/bin/python bench/bench_threads_api.py [--threads 300] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from botkit import create_bot
from botkit.store import SQLiteStore
from botkit.testing import FakeAdapter
from botkit.threads import ThreadsAPIConfig


async def measure(name: str, count: int, clients: int,
                  call: Callable[[int], Awaitable[httpx.Response]]) -> None:
    latencies: list[float] = []
    queue = iter(range(count))

    async def worker() -> None:
        for i in queue:
            started = time.perf_counter()
            response = await call(i)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 400:
                raise RuntimeError(f"{name}: HTTP {response.status_code} {response.text}")
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    elapsed = time.perf_counter() - began
    ms = sorted(x * 1000 for x in latencies)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:<22} {count / elapsed:8.0f} req/s   p50 {statistics.median(ms):6.1f} ms"
          f"   p99 {p99:6.1f} ms")


async def main(threads: int, clients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "state.db")
        bot = create_bot(adapters=[FakeAdapter()], store=store,
                         threads_api=ThreadsAPIConfig(port=0))
        await bot.start()
        try:
            async with httpx.AsyncClient(base_url=str(bot.threads_api_url),
                                         limits=httpx.Limits(max_connections=clients)) as c:
                print(f"threads API on SQLite, {threads} threads, {clients} clients")
                await measure("POST /threads", threads, clients, lambda i: c.post(
                    "/threads", json={"thread_id": f"t{i}", "metadata": {"n": i % 10}}))
                await measure("GET /threads/{id}", threads, clients,
                              lambda i: c.get(f"/threads/t{i}"))
                await measure("POST .../state", threads, clients, lambda i: c.post(
                    f"/threads/t{i}/state", json={"values": {"step": i}}))
                await measure("POST .../history", threads, clients, lambda i: c.post(
                    f"/threads/t{i}/history", json={"limit": 10}))
                await measure("POST /threads/search", max(10, threads // 10), clients,
                              lambda i: c.post("/threads/search", json={
                                  "metadata": {"n": i % 10}, "limit": 10}))
        finally:
            await bot.stop()
            await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    options = parser.parse_args()
    asyncio.run(main(options.threads, options.clients))
