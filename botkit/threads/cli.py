"""``botkit threads``: list and manage a bot's threads from the command line.

    botkit threads list   [--search T] [--status S] [--platform P] [--archived] [--all]
                          [--limit N] [--offset N] [--sort-by F] [--asc] [--json]
    botkit threads show ID | state ID | history ID [--limit N] | runs ID [--limit N]
    botkit threads messages ID [--limit N] [--offset N] [--search T]   (needs --url)
    botkit threads say ID TEXT                  (post as the bot: an operator takes over)
    botkit threads rename ID TITLE | archive ID | unarchive ID | delete ID --yes

Talk to a running bot's threads API (``--url``, ``--token``; env ``BOTKIT_THREADS_URL``,
``BOTKIT_THREADS_API_TOKEN``) or straight to its store (``--store URL``; env
``BOTKIT_STORE``), e.g. ``--store sqlite:///.botkit-data/helpdesk/state.db``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from botkit.errors import UserError
from botkit.store import store_from_url
from botkit.threads.cli_options import add_threads_parser
from botkit.threads.errors import ThreadNotFound
from botkit.threads.service import Threads

if TYPE_CHECKING:
    import httpx

__all__ = ["add_threads_parser", "run_threads"]


class _Http:
    def __init__(self, url: str, token: str | None) -> None:
        import httpx  # only for ``botkit threads --url``: ``botkit run`` does not carry it

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.client = httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=30)

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self.request(method, path, **kwargs))[0]

    async def request(self, method: str, path: str, **kwargs: Any) -> tuple[Any, httpx.Response]:
        import httpx

        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise UserError(f"cannot reach the threads API at {self.client.base_url}: "
                            f"{exc}") from exc
        if response.status_code == 401:
            raise UserError("the threads API wants a token: pass --token "
                            "(or set BOTKIT_THREADS_API_TOKEN)")
        if response.status_code == 204:
            return {}, response
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text}
        if response.status_code >= 400:
            message = body.get("message") if isinstance(body, dict) else None
            raise UserError(str(message or f"HTTP {response.status_code}"))
        return body, response

    async def do(self, action: str, args: argparse.Namespace) -> Any:
        one = f"/threads/{quote(getattr(args, 'id', ''), safe='')}"
        if action == "list":
            filters = {k: v for k, v in _list_args(args).items()
                       if v is not None or k == "archived"}
            items, response = await self.request("POST", "/threads/search", json=filters)
            total = int(response.headers.get("X-Pagination-Total", len(items)))
            return {"threads": items, "total": total, "offset": args.offset}
        if action == "show":
            return await self.call("GET", one)
        if action == "state":
            return (await self.call("GET", one + "/state"))["values"]
        if action == "history":
            return await self.call("GET", one + "/history", params={"limit": args.limit})
        if action == "runs":
            return await self.call("GET", one + "/runs", params={"limit": args.limit})
        if action == "messages":
            params = {"limit": args.limit, "offset": args.offset}
            if args.search:
                params["search"] = args.search
            return (await self.call("GET", one + "/messages", params=params))["messages"]
        if action == "say":
            return (await self.call("POST", one + "/messages", json={"messages": [
                {"role": "assistant", "content": args.text}]}))["messages"][0]
        if action == "rename":
            return await self.call("PATCH", one, json={"title": args.title})
        if action in {"archive", "unarchive"}:
            return await self.call("PATCH", one, json={"archived": action == "archive"})
        return await self.call("DELETE", one)

    async def close(self) -> None:
        await self.client.aclose()


class _Direct:
    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///"):])
            if not path.is_file():  # reading a typo'd path must not create an empty store
                raise UserError(f"there is no store at {path}: check the path (a bot creates "
                                "its SQLite store the first time it runs)")
        self.threads = Threads(store_from_url(url))

    async def do(self, action: str, args: argparse.Namespace) -> Any:
        t = self.threads
        if action == "list":
            page = await t.list(**_list_args(args))
            return {"threads": [r.to_api() for r in page], "total": page.total,
                    "offset": page.offset}
        if action == "show":
            record = await t.get(args.id)
            return record.to_api(await t.read_state(args.id), await t.interrupts(args.id))
        if action == "state":
            return await t.get_state(args.id)
        if action == "history":
            return [c.to_state() for c in await t.history(args.id, limit=args.limit)]
        if action == "runs":
            return [r.to_dict() for r in await t.runs(args.id, limit=args.limit)]
        if action in {"messages", "say"}:
            await t.messages(args.id)  # raises: only the running bot can reach the platform
        if action == "rename":
            return (await t.rename(args.id, args.title)).to_api()
        if action in {"archive", "unarchive"}:
            return (await (t.archive if action == "archive" else t.unarchive)(args.id)
                    ).to_api()
        await t.delete(args.id)
        return {"deleted": args.id}

    async def close(self) -> None:
        await self.threads.store.close()


def _list_args(args: argparse.Namespace) -> dict[str, Any]:
    return {"search": args.search, "status": args.status, "platform": args.platform,
            "archived": None if args.all else args.archived, "limit": args.limit,
            "offset": args.offset, "sort_by": args.sort_by,
            "sort_order": "asc" if args.asc else "desc"}


def _when(when: Any) -> str:
    try:
        moment = datetime.fromisoformat(when)
    except (TypeError, ValueError):
        return "-"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _table(page: dict[str, Any]) -> str:
    rows = [("ID", "STATUS", "UPDATED", "TITLE")]
    for t in page["threads"]:
        status = t["status"] + (" (archived)" if t.get("archived") else "")
        rows.append((t["thread_id"], status, _when(t.get("updated_at")), t.get("title") or ""))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = ["  ".join([*(r[i].ljust(widths[i]) for i in range(3)), r[3]]).rstrip()
             for r in rows]
    shown = len(page["threads"])
    first = page["offset"] + 1 if shown else page["offset"]
    lines.append(f"({first}-{page['offset'] + shown} of {page['total']})")
    return "\n".join(lines)


async def _main(args: argparse.Namespace) -> str:
    if args.url and args.store:
        raise UserError("pass --url or --store, not both")
    if not args.url and not args.store:
        raise UserError("say where the threads are: --url http://127.0.0.1:8787 (a running "
                        "bot's threads API) or --store sqlite:///path.db (its store)")
    if args.action == "delete" and not args.yes:
        raise UserError(f"delete forgets everything botkit stored about {args.id!r} (the "
                        "platform's messages stay): add --yes to confirm")
    backend: _Http | _Direct = _Http(args.url, args.token) if args.url else _Direct(args.store)
    try:
        result = await backend.do(args.action, args)
    except ThreadNotFound as exc:
        raise UserError(str(exc)) from exc
    finally:
        await backend.close()
    if args.action == "list" and not args.json:
        return _table(result)
    if args.action == "delete":
        return f"deleted {args.id} (its platform messages are untouched)"
    return json.dumps(result, indent=2, ensure_ascii=False, default=str)


def run_threads(args: argparse.Namespace) -> int:
    print(asyncio.run(_main(args)))
    return 0
