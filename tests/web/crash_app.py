"""The bot ``test_web_crash.py`` runs as a real process and kills: a web adapter whose
answer to ``slow …`` streams ``WORDS`` words, ``word_delay`` seconds apart.

    python tests/web/crash_app.py STORE_URL WORD_DELAY

Prints the adapter's URL once it serves; runs until killed (or its stdin closes).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from botkit import Bot, create_bot
from botkit.store import StateStore, store_from_url
from botkit.testing import Rule, Say, ScriptedAgent
from botkit_web import WebAdapter, header_user

WORDS = 200
ANSWER = "the slow answer: " + " ".join(["word"] * WORDS) + " done."
LOCK_TTL = 3600.0
"""Longer than any test waits: a run taken over goes on only because the taker frees the
killed process's turn lock (``BotHandle.release_stopped_turns``)."""


def crash_bot(adapter: WebAdapter, store: StateStore, *, word_delay: float) -> Bot:
    bot = create_bot(adapters=[adapter], store=store, name="crash", lock_ttl=LOCK_TTL,
                     agent=ScriptedAgent([Rule(r"slow", Say(ANSWER, delay=word_delay))],
                                         default=Say("Hello again.")))

    @bot.on_mention
    async def answer(ctx: Any) -> None:
        await ctx.thread.run_agent()
    return bot


async def main(url: str, word_delay: float) -> None:
    store = store_from_url(url)
    adapter = WebAdapter(port=0, authenticate=header_user())
    bot = crash_bot(adapter, store, word_delay=word_delay)
    await bot.start()
    print(adapter.url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await bot.stop()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
