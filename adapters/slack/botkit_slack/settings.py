"""``SlackSettings``: the adapter's options, read from arguments or the environment, checked
up front with errors that say which variable to set (never echoing a token)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botkit.errors import UserError
from botkit_slack.ingress import RespondTo

__all__ = ["SlackSettings"]

Streaming = Literal["native", "edits"]


@dataclass(frozen=True, kw_only=True)
class SlackSettings:
    bot_token: str
    app_token: str | None
    signing_secret: str | None
    socket_mode: bool
    host: str
    port: int
    path: str
    base_url: str | None
    respond_to: RespondTo
    streaming: Streaming
    show_tool_status: bool
    thinking_status: str | None
    edit_interval: float
    first_post_delay: float
    rate_limit_retries: int
    rate_limits: Mapping[str, tuple[float, int]] | None
    flat_history_limit: int
    suggested_prompts: Sequence[tuple[str, str]]

    @classmethod
    def build(cls, *, bot_token: str | None, app_token: str | None, signing_secret: str | None,
              socket_mode: bool | None, base_url: str | None, streaming: str,
              respond_to: RespondTo | Mapping[str, Any] | None, **rest: Any) -> SlackSettings:
        bot_token = bot_token or os.environ.get("SLACK_BOT_TOKEN") or None
        app_token = app_token or os.environ.get("SLACK_APP_TOKEN") or None
        signing_secret = signing_secret or os.environ.get("SLACK_SIGNING_SECRET") or None
        base_url = base_url or os.environ.get("SLACK_API_URL") or None
        if not bot_token:
            raise UserError(
                "Slack needs the bot token: set SLACK_BOT_TOKEN to the app's Bot User OAuth "
                "Token (xoxb-…, under OAuth & Permissions), or pass bot_token=")
        if bot_token.startswith("xapp-"):
            raise UserError("SLACK_BOT_TOKEN holds an app-level token (xapp-…); it must be the "
                            "Bot User OAuth Token (xoxb-…). The xapp- token goes in "
                            "SLACK_APP_TOKEN.")
        if socket_mode is None:
            socket_mode = app_token is not None or signing_secret is None
        if socket_mode:
            if not app_token:
                raise UserError(
                    "Socket Mode needs an app-level token: set SLACK_APP_TOKEN (xapp-…, made "
                    "under Basic Information → App-Level Tokens with the connections:write "
                    "scope). Or serve the Events API over HTTP: set SLACK_SIGNING_SECRET and "
                    "run with --http PORT.")
            if not app_token.startswith("xapp-"):
                raise UserError("SLACK_APP_TOKEN must be an app-level token (it starts with "
                                "xapp-); the bot token (xoxb-…) goes in SLACK_BOT_TOKEN.")
        elif not signing_secret:
            raise UserError(
                "HTTP mode needs the signing secret to check that requests come from Slack: "
                "set SLACK_SIGNING_SECRET (Basic Information → App Credentials).")
        if streaming not in ("native", "edits"):
            raise UserError(f'streaming must be "native" or "edits", not {streaming!r}')
        if base_url and not base_url.endswith("/"):
            base_url += "/"
        if float(rest["edit_interval"]) < 0.2:
            raise UserError("edit_interval must be at least 0.2 seconds (Slack's rate limits)")
        prompts = tuple((str(t), str(m)) for t, m in rest.pop("suggested_prompts", None) or ())
        if len(prompts) > 4:
            raise UserError("Slack shows at most 4 suggested prompts")
        return cls(bot_token=bot_token, app_token=app_token, signing_secret=signing_secret,
                   socket_mode=socket_mode, base_url=base_url, respond_to=RespondTo.of(respond_to),
                   streaming=streaming,  # type: ignore[arg-type]
                   suggested_prompts=prompts, **rest)

    def __repr__(self) -> str:  # never show tokens
        mode = "socket" if self.socket_mode else f"http:{self.port}"
        return f"SlackSettings(mode={mode!r}, streaming={self.streaming!r})"
