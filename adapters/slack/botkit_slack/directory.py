"""People: ids → ``PlatformUser`` (``users.info``, cached), Slack text with mentions as names
(``plain``), and ``lookup_user`` (an email via ``users.lookupByEmail``; a name or handle via
``users.list``, paged and cached)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from botkit.types import PlatformUser
from botkit_slack.client import RateLimiter, slack_error
from botkit_slack.render.text import MENTION_ID, to_plain

__all__ = ["Directory", "user_from_slack"]

log = logging.getLogger("botkit.slack")
_EMAIL = "@"


class Directory:
    """The workspace's people as the bot knows them. ``bot_user_id`` is set once the bot
    knows who it is; its own mention is dropped from plain text."""

    def __init__(self, client: AsyncWebClient, *, ttl: float = 600.0, page_size: int = 200,
                 max_cached: int = 20_000, limiter: RateLimiter | None = None) -> None:
        self.client = client
        self.limiter = limiter if limiter is not None else RateLimiter()  # empty is falsy
        self._asking: dict[str, asyncio.Future[PlatformUser]] = {}
        self.ttl = ttl
        self.page_size = page_size
        self.max_cached = max_cached
        self._by_id: dict[str, tuple[PlatformUser, float]] = {}
        self._members: list[PlatformUser] | None = None
        self._listed_at = 0.0
        self.bot_user_id: str | None = None

    def _remember(self, user: PlatformUser) -> PlatformUser:
        if len(self._by_id) >= self.max_cached:
            self._by_id.clear()
        self._by_id[user.id] = (user, time.monotonic())
        return user

    def cached_name(self, user_id: str) -> str | None:
        found = self._by_id.get(user_id)
        return found[0].display_name if found else None

    async def plain(self, text: str, *, bot_user_id: str | None = None) -> str:
        """Slack wire text for people and agents, mentioned people resolved to names (the
        bot's own mention, ``bot_user_id`` in a workspace of many, dropped)."""
        bot = bot_user_id or self.bot_user_id
        await self.learn(text, bot_user_id=bot)
        return to_plain(text, bot_user_id=bot, name_of=self.cached_name)

    async def learn(self, text: str, *, bot_user_id: str | None = None) -> None:
        """Look up the people ``text`` mentions (cached) so ``cached_name`` knows them."""
        if "<@" not in text:
            return
        bot = bot_user_id or self.bot_user_id
        for uid in set(MENTION_ID.findall(text)) - {bot}:
            await self.get(uid)

    async def get(self, user_id: str) -> PlatformUser:
        """The person behind ``user_id`` (a bare id if Slack cannot tell)."""
        found = self._by_id.get(user_id)
        if found is not None and time.monotonic() - found[1] < self.ttl:
            return found[0]
        asking = self._asking.get(user_id)
        if asking is not None:  # someone is already asking Slack about this person
            return await asyncio.shield(asking)
        future = self._asking[user_id] = asyncio.get_running_loop().create_future()
        try:
            user = await self._info(user_id, found[0] if found else None)
            future.set_result(user)
            return user
        finally:
            del self._asking[user_id]
            if not future.done():
                future.set_result(PlatformUser(id=user_id))

    async def _info(self, user_id: str, stale: PlatformUser | None) -> PlatformUser:
        try:
            await self.limiter.take("users.info")
            response = await self.client.users_info(user=user_id)
            user = user_from_slack(response["user"])
        except Exception as exc:
            log.info("users.info %s failed: %s", user_id, slack_error(exc))
            return stale or PlatformUser(id=user_id)
        return self._remember(user)

    async def members(self) -> list[PlatformUser]:
        """Everyone in the workspace (``users.list``, all pages), cached for ``ttl``."""
        if self._members is not None and time.monotonic() - self._listed_at < self.ttl:
            return self._members
        members: list[PlatformUser] = []
        cursor: str | None = None
        while True:
            await self.limiter.take("users.list")
            page: Any = await self.client.users_list(limit=self.page_size, cursor=cursor)
            for raw in page.get("members") or ():
                if not raw.get("deleted"):
                    members.append(self._remember(user_from_slack(raw)))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                break
        self._members, self._listed_at = members, time.monotonic()
        return members

    async def lookup(self, query: str) -> PlatformUser | None:
        """Find a person by email, id, handle or name (exact first, then prefix)."""
        q = query.strip().lstrip("@").strip()
        if not q:
            return None
        if _EMAIL in q and "." in q.split(_EMAIL, 1)[1]:
            try:
                await self.limiter.take("users.lookupByEmail")
                response = await self.client.users_lookupByEmail(email=q)
            except SlackApiError as exc:
                if slack_error(exc) in ("users_not_found", "user_not_found"):
                    return None
                raise
            return self._remember(user_from_slack(response["user"]))
        if q.startswith("<@") and q.endswith(">"):
            q = q[2:-1].split("|")[0]
        people = await self.members()
        lowered = q.lower()
        for person in people:
            if person.id == q:
                return person

        def names(p: PlatformUser) -> list[str]:
            display = (p.raw.get("profile") or {}).get("display_name")
            return [n.lower() for n in (p.handle, p.name, display, p.email) if n]

        for exact in (True, False):
            for person in people:
                if person.is_bot:
                    continue
                if any(n == lowered if exact else n.startswith(lowered) for n in names(person)):
                    return person
        return None


def user_from_slack(user: Mapping[str, Any]) -> PlatformUser:
    """A ``users.info`` / ``users.list`` member as a ``PlatformUser``."""
    profile = user.get("profile") or {}
    name = (profile.get("real_name") or user.get("real_name") or profile.get("display_name")
            or user.get("name") or None)
    handle = user.get("name") or profile.get("display_name") or None
    return PlatformUser(id=str(user.get("id", "")), name=name, handle=handle,
                        email=profile.get("email") or None, is_bot=bool(user.get("is_bot")),
                        raw=dict(user))
