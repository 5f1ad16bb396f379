"""Bolt wiring: the ``AsyncApp`` botkit runs on, and its listeners.

Bolt acks events before the listeners run (``process_before_response=False``); clicks and
commands are acked first thing. Each listener hands the payload on and returns at once.

The request signature is checked once, by the HTTP transport, on the raw bytes (Bolt's own
check is off). Bolt is told who the bot is through ``authorize=`` (the adapter's own
``auth.test`` result), so it makes no second ``auth.test`` and logs no token warning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.history import Identity
from botkit_slack.ingress.decide import CHANGE_SUBTYPES

__all__ = ["Deliveries", "build_app", "register", "retry_num"]


class _TokenNotices(logging.Filter):
    """Bolt reads ``SLACK_BOT_TOKEN`` from the environment on its own and then warns that
    it will be unused (botkit hands the token over through ``authorize=``): drop that."""

    NOTICES = frozenset({warning_client_prioritized_and_token_skipped(),
                         warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.NOTICES


bolt_log = logging.getLogger("botkit.slack.bolt")
bolt_log.addFilter(_TokenNotices())


def build_app(*, name: str, identity: Identity, token: str, base_url: str) -> AsyncApp:
    """A Bolt app for one workspace whose identity is already known."""

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id or identity.team_id,
                               bot_user_id=identity.user_id, bot_id=identity.bot_id,
                               bot_token=token)

    # Bolt's own client carries no token (authorize supplies it per request); botkit's calls
    # go through the adapter's clients
    client = AsyncWebClient(base_url=base_url)
    return AsyncApp(client=client, authorize=authorize, name=name, logger=bolt_log,
                    process_before_response=False, request_verification_enabled=False)


def retry_num(request: AsyncBoltRequest | None) -> int:
    """Slack's ``X-Slack-Retry-Num`` (Bolt copies Socket Mode's ``retry_attempt`` there)."""
    if request is None:
        return 0
    values = request.headers.get("x-slack-retry-num") or []
    try:
        return int(values[0]) if values else 0
    except (TypeError, ValueError):
        return 0


class Deliveries(Protocol):
    """Where each kind of delivery goes (``EventBuilder``)."""

    def on_message(self, event: Mapping[str, Any], body: Mapping[str, Any],
                   retry: int) -> None: ...
    def on_change(self, event: Mapping[str, Any]) -> None: ...
    def on_click(self, body: Mapping[str, Any]) -> None: ...
    def on_command(self, body: Mapping[str, Any]) -> None: ...
    async def on_assistant_thread(self, event: Mapping[str, Any]) -> None: ...


def register(app: AsyncApp, deliveries: Deliveries, *,
             has_command: Callable[[str], bool]) -> None:
    """Bolt listeners handing each payload to ``deliveries``."""

    @app.event("app_mention")
    async def app_mention(body: dict[str, Any], request: AsyncBoltRequest) -> None:
        deliveries.on_message(body["event"], body, retry_num(request))

    @app.event("message")
    async def message(body: dict[str, Any], request: AsyncBoltRequest) -> None:
        event = body["event"]
        if event.get("subtype") in CHANGE_SUBTYPES:
            deliveries.on_change(event)
        else:
            deliveries.on_message(event, body, retry_num(request))

    @app.event("assistant_thread_started")
    async def assistant_thread(body: dict[str, Any]) -> None:
        await deliveries.on_assistant_thread(body["event"])

    @app.event(re.compile(".*"))
    async def anything_else() -> None:
        return None

    @app.action(re.compile(".*"))
    async def action(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        deliveries.on_click(body)

    @app.command(re.compile(".*"))
    async def command(ack: Any, body: dict[str, Any]) -> None:
        name = str(body.get("command") or "")
        if not has_command(name):
            await ack(text=f"Sorry, this bot does not handle {name}.")
            return
        await ack()
        deliveries.on_command(body)
