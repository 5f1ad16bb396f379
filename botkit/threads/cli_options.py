"""The ``botkit threads`` options, apart from what runs them (``botkit.threads.cli``): the
``botkit`` parser lists the subcommand on every start, and a bot served by ``botkit run``
never loads the threads CLI itself (startup memory)."""

from __future__ import annotations

import os
from typing import Any

from botkit.threads.queries import SORT_FIELDS, STATUSES

__all__ = ["add_threads_parser"]


def add_threads_parser(sub: Any) -> None:
    parser = sub.add_parser("threads", help="list and manage a bot's threads")
    parser.add_argument("--url", default=os.environ.get("BOTKIT_THREADS_URL"),
                        help="a running bot's threads API (env BOTKIT_THREADS_URL)")
    parser.add_argument("--token", default=os.environ.get("BOTKIT_THREADS_API_TOKEN"),
                        help="its bearer token (env BOTKIT_THREADS_API_TOKEN)")
    parser.add_argument("--store", default=os.environ.get("BOTKIT_STORE"),
                        help="or read the store directly: sqlite:///path.db, redis://… "
                             "(env BOTKIT_STORE)")
    actions = parser.add_subparsers(dest="action", required=True)
    ls = actions.add_parser("list", help="list threads, most recently updated first")
    ls.add_argument("--search")
    ls.add_argument("--status", choices=STATUSES)
    ls.add_argument("--platform")
    ls.add_argument("--archived", action="store_true", help="only archived threads")
    ls.add_argument("--all", action="store_true", help="archived and active threads")
    ls.add_argument("--limit", type=int, default=50)
    ls.add_argument("--offset", type=int, default=0)
    ls.add_argument("--sort-by", default="updated_at", choices=SORT_FIELDS)
    ls.add_argument("--asc", action="store_true", help="ascending order")
    ls.add_argument("--json", action="store_true", help="print the page as JSON")
    for name, text in (("show", "a thread's record"), ("state", "its agent state"),
                       ("archive", "archive it"), ("unarchive", "unarchive it")):
        actions.add_parser(name, help=text).add_argument("id")
    for name, text in (("history", "its state checkpoints, newest first"),
                       ("runs", "its runs, newest first")):
        history = actions.add_parser(name, help=text)
        history.add_argument("id")
        history.add_argument("--limit", type=int, default=20)
    say = actions.add_parser("say", help="post TEXT into it as the bot (needs --url)")
    say.add_argument("id")
    say.add_argument("text")
    messages = actions.add_parser("messages", help="its messages, read from the platform "
                                                   "by the running bot (needs --url)")
    messages.add_argument("id")
    messages.add_argument("--limit", type=int, default=50)
    messages.add_argument("--offset", type=int, default=0)
    messages.add_argument("--search")
    rename = actions.add_parser("rename", help="set its title")
    rename.add_argument("id")
    rename.add_argument("title")
    delete = actions.add_parser("delete", help="forget its stored data (not the messages)")
    delete.add_argument("id")
    delete.add_argument("--yes", action="store_true", help="really delete")
