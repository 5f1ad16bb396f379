"""Bolt wiring: the ``AsyncApp`` botkit runs on, and its listeners.

Over HTTP with one workspace, Events API events skip Bolt (``ingress.events_api`` routes
them as these listeners do) and the app is built on the first click, modal or command
(``ingress.on_demand``); in Socket Mode and with OAuth installs it is built at start. Bolt
acks events before the listeners run (``process_before_response=False``); clicks and
commands are acked first thing. Each listener hands the payload on and returns at once.
With the durable inbox on (``durable=True``) Bolt acks events after their listener returned
(``process_before_response=True``), and the message listener waits until the message is
stored in the inbox: a crash before that leaves it unacknowledged, so Slack delivers it again.

The request signature is checked once, by the HTTP transport, on the raw bytes (Bolt's own
check is off). Bolt is told who the bot is through ``authorize=`` (the adapter's own
``auth.test`` result), so it makes no second ``auth.test`` and logs no token warning.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.logger.messages import (
    warning_client_prioritized_and_token_skipped,
    warning_token_skipped,
)
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.history import Identity
from botkit_slack.ingress.decide import CHANGE_SUBTYPES
from botkit_slack.oauth import StoreInstallations
from botkit_slack.teams import Teams

__all__ = ["Deliveries", "build_app", "build_multi_app", "register", "retry_num"]


class _TokenNotices(logging.Filter):
    """Bolt reads ``SLACK_BOT_TOKEN`` from the environment on its own and then warns that
    it will be unused (botkit hands the token over through ``authorize=``): drop that."""

    NOTICES = frozenset({warning_client_prioritized_and_token_skipped(),
                         warning_token_skipped()})

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() not in self.NOTICES


bolt_log = logging.getLogger("botkit.slack.bolt")
bolt_log.addFilter(_TokenNotices())


def build_app(*, name: str, identity: Identity, token: str, base_url: str,
              durable: bool = False) -> AsyncApp:
    """A Bolt app for one workspace whose identity is already known."""

    async def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id or identity.team_id,
                               bot_user_id=identity.user_id, bot_id=identity.bot_id,
                               bot_token=token)

    # Bolt's own client carries no token (authorize supplies it per request); botkit's calls
    # go through the adapter's clients
    client = AsyncWebClient(base_url=base_url)
    return AsyncApp(client=client, authorize=authorize, name=name, logger=bolt_log,
                    process_before_response=durable, request_verification_enabled=False)


def build_multi_app(*, name: str, base_url: str, flow: AsyncOAuthFlow,
                    installations: StoreInstallations, teams: Teams,
                    durable: bool = False) -> AsyncApp:
    """A Bolt app for every workspace the app is installed in (OAuth): Bolt authorizes
    each request from the installation store; a middleware makes the request's workspace
    the one every call is for (``Teams``); uninstalling deletes the installation."""
    app = AsyncApp(client=AsyncWebClient(base_url=base_url), name=name, logger=bolt_log,
                   process_before_response=durable, request_verification_enabled=False,
                   oauth_flow=flow)

    @app.middleware
    async def workspace(context: AsyncBoltContext, next: Callable[[], Awaitable[Any]]) -> Any:
        team = context.team_id or context.enterprise_id
        if team:
            teams.learn(team, token=context.bot_token, bot_user_id=context.bot_user_id,
                        bot_id=context.bot_id, channel=context.channel_id)
            teams.enter(team)
        return await next()

    @app.event("app_uninstalled")
    async def uninstalled(context: AsyncBoltContext) -> None:
        await installations.async_delete_all(enterprise_id=context.enterprise_id,
                                             team_id=context.team_id)
        teams.forget(context.team_id or "")
        bolt_log.info("the app was uninstalled from %s", context.team_id)

    @app.event("tokens_revoked")
    async def revoked(body: dict[str, Any], context: AsyncBoltContext) -> None:
        tokens = body.get("event", {}).get("tokens") or {}
        if tokens.get("bot"):
            await installations.async_delete_bot(enterprise_id=context.enterprise_id,
                                                 team_id=context.team_id)
            teams.forget(context.team_id or "")
            bolt_log.info("the bot token of %s was revoked", context.team_id)

    return app


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
                   retry: int) -> Awaitable[None] | None: ...
    def on_change(self, event: Mapping[str, Any]) -> None: ...
    def on_click(self, body: Mapping[str, Any]) -> None: ...
    def on_command(self, body: Mapping[str, Any]) -> None: ...
    async def on_assistant_thread(self, event: Mapping[str, Any]) -> None: ...
    def on_reaction(self, event: Mapping[str, Any], body: Mapping[str, Any]) -> None: ...
    async def on_view_submission(self, body: Mapping[str, Any]) -> dict[str, str]: ...
    def on_view_closed(self, body: Mapping[str, Any]) -> None: ...


def register(app: AsyncApp, deliveries: Deliveries, *,
             has_command: Callable[[str], bool], durable: bool = False) -> None:
    """Bolt listeners handing each payload to ``deliveries`` (``durable``: a message's
    listener returns, and Bolt acks, once its dispatch returned, i.e. it is stored)."""

    async def on_message(event: Mapping[str, Any], body: Mapping[str, Any],
                         request: AsyncBoltRequest) -> None:
        stored = deliveries.on_message(event, body, retry_num(request))
        if durable and stored is not None:
            await stored

    @app.event("app_mention")
    async def app_mention(body: dict[str, Any], request: AsyncBoltRequest) -> None:
        await on_message(body["event"], body, request)

    @app.event("message")
    async def message(body: dict[str, Any], request: AsyncBoltRequest) -> None:
        event = body["event"]
        if event.get("subtype") in CHANGE_SUBTYPES:
            deliveries.on_change(event)
        else:
            await on_message(event, body, request)

    @app.event("assistant_thread_started")
    async def assistant_thread(body: dict[str, Any]) -> None:
        await deliveries.on_assistant_thread(body["event"])

    @app.event("assistant_thread_context_changed")
    async def assistant_context(body: dict[str, Any]) -> None:
        await deliveries.on_assistant_thread(body["event"])

    @app.event("reaction_added")
    async def reaction_added(body: dict[str, Any]) -> None:
        deliveries.on_reaction(body["event"], body)

    @app.event("reaction_removed")
    async def reaction_removed(body: dict[str, Any]) -> None:
        deliveries.on_reaction(body["event"], body)

    @app.view(re.compile(".*"))
    async def view_submission(ack: Any, body: dict[str, Any]) -> None:
        errors = await deliveries.on_view_submission(body)
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()

    @app.view_closed(re.compile(".*"))
    async def view_closed(ack: Any, body: dict[str, Any]) -> None:
        await ack()
        deliveries.on_view_closed(body)

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
