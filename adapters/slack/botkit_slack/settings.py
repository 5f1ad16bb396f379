"""``SlackSettings``: the adapter's options, read from arguments or the environment, checked
up front with errors that say which variable to set (never echoing a token)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal

from botkit.errors import UserError
from botkit_slack.ingress.decide import RespondTo

__all__ = ["SlackOAuth", "SlackSettings"]

Streaming = Literal["native", "edits"]
AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"


@dataclass(frozen=True, kw_only=True)
class SlackOAuth:
    """The app's OAuth settings (Basic Information → App Credentials; OAuth & Permissions).

    ``client_id``/``client_secret`` fall back to ``SLACK_CLIENT_ID``/``SLACK_CLIENT_SECRET``.
    ``redirect_uri`` is the public URL of ``redirect_path`` (as entered under Redirect URLs);
    ``authorize_url`` is Slack's, or another Slack's (the emulator's)."""

    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    scopes: Sequence[str] = ()
    redirect_uri: str | None = None
    install_path: str = "/slack/install"
    redirect_path: str = "/slack/oauth_redirect"
    authorize_url: str = AUTHORIZE_URL

    def checked(self) -> SlackOAuth:
        client_id = self.client_id or os.environ.get("SLACK_CLIENT_ID", "")
        client_secret = self.client_secret or os.environ.get("SLACK_CLIENT_SECRET", "")
        if not client_id or not client_secret:
            raise UserError("installing in several workspaces needs the app's client id and "
                            "secret: set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (Basic "
                            "Information → App Credentials) or pass SlackOAuth(client_id=, "
                            "client_secret=)")
        if not self.scopes:
            raise UserError("SlackOAuth needs the bot scopes to ask for, e.g. "
                            "scopes=['app_mentions:read', 'chat:write'] (the README lists "
                            "what each feature needs)")
        return SlackOAuth(client_id=client_id, client_secret=client_secret,
                          scopes=tuple(self.scopes), redirect_uri=self.redirect_uri,
                          install_path=self.install_path, redirect_path=self.redirect_path,
                          authorize_url=self.authorize_url)


@dataclass(frozen=True, kw_only=True)
class SlackSettings:
    """Every ``SlackAdapter`` option with its default: the one list of them. ``build`` checks
    and normalises what an app passes (tokens fall back to the ``SLACK_*`` variables)."""

    bot_token: str = ""
    """The Bot User OAuth Token (xoxb-…); else ``SLACK_BOT_TOKEN``."""
    app_token: str | None = None
    """The app-level token for Socket Mode (xapp-…); else ``SLACK_APP_TOKEN``."""
    signing_secret: str | None = None
    """Checks HTTP requests come from Slack; else ``SLACK_SIGNING_SECRET``."""
    socket_mode: bool | None = None
    """Socket Mode (default when there is an app token or no signing secret) or HTTP."""
    host: str = "0.0.0.0"
    port: int = 3000
    path: str = "/slack/events"
    base_url: str | None = None
    """Another Slack's Web API (e.g. the emulator); else ``SLACK_API_URL``."""
    respond_to: RespondTo = field(default_factory=RespondTo)
    streaming: Streaming = "native"
    show_tool_status: bool = True
    thinking_status: str | None = "is thinking…"
    edit_interval: float = 1.0
    first_post_delay: float = 0.5
    rate_limit_retries: int = 8
    rate_limits: Mapping[str, tuple[float, int]] | None = None
    max_connections: int = 10
    """HTTP connections open to Slack's Web API at once (the pool's limit; more calls wait
    for one). The adapter paces its calls to Slack's limits (~13.5 a second per workspace
    in all), which 10 connections carry while a call takes up to ~0.7 s; raise it for many
    workspaces (``oauth=``) or large file uploads alongside chat."""
    flat_history_limit: int = 100
    suggested_prompts: Sequence[tuple[str, str]] = ()
    oauth: SlackOAuth | None = None
    """Install in many workspaces (OAuth v2; HTTP mode): no bot token then, each
    workspace's comes from its installation (``botkit_slack.oauth``)."""

    credentials_error: str | None = None

    @classmethod
    def option_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls) if f.name != "credentials_error")

    @classmethod
    def build(cls, *, defer_credentials: bool = False, **options: Any) -> SlackSettings:
        """Checked settings. With ``defer_credentials`` missing or misplaced tokens do not
        raise: ``credentials_error`` says what is wrong, for ``start()`` to raise (so an app
        can declare ``SlackAdapter(...)`` before ``botkit run`` fills in the tokens)."""
        names = cls.option_names()
        unknown = sorted(set(options) - set(names))
        if unknown:
            raise UserError(f"SlackAdapter has no option {', '.join(unknown)} "
                            f"(options: {', '.join(names)})")
        rest: dict[str, Any] = {f.name: f.default_factory() if f.default is MISSING  # type: ignore[operator]
                                else f.default for f in fields(cls) if f.name in names}
        rest.update(options)
        bot_token = rest.pop("bot_token") or os.environ.get("SLACK_BOT_TOKEN") or None
        app_token = rest.pop("app_token") or os.environ.get("SLACK_APP_TOKEN") or None
        signing_secret = rest.pop("signing_secret") or \
            os.environ.get("SLACK_SIGNING_SECRET") or None
        base_url = rest.pop("base_url") or os.environ.get("SLACK_API_URL") or None
        socket_mode = rest.pop("socket_mode")
        oauth = rest.pop("oauth")
        if oauth is not None:
            if not isinstance(oauth, SlackOAuth):
                raise UserError("oauth= takes a botkit_slack.SlackOAuth(client_id=, "
                                f"client_secret=, scopes=); got {type(oauth).__name__}")
            oauth = oauth.checked()
            socket_mode = bool(socket_mode)  # the install pages need HTTP
        if socket_mode is None:
            socket_mode = app_token is not None or signing_secret is None
        problem = _credentials_problem(bot_token, app_token, signing_secret, socket_mode,
                                       oauth=oauth is not None)
        if problem is not None and not defer_credentials:
            raise UserError(problem)
        streaming = rest.pop("streaming")
        if streaming not in ("native", "edits"):
            raise UserError(f'streaming must be "native" or "edits", not {streaming!r}')
        if base_url and not base_url.endswith("/"):
            base_url += "/"
        rest.update(
            edit_interval=_number("edit_interval", rest["edit_interval"], minimum=0.2,
                                  unit=" seconds (Slack's rate limits)"),
            first_post_delay=_number("first_post_delay", rest["first_post_delay"], minimum=0,
                                     unit=" seconds"),
            rate_limit_retries=_whole("rate_limit_retries", rest["rate_limit_retries"],
                                      minimum=0),
            max_connections=_whole("max_connections", rest["max_connections"], minimum=1),
            flat_history_limit=_whole("flat_history_limit", rest["flat_history_limit"],
                                      minimum=1),
            port=_whole("port", rest["port"], minimum=0, maximum=65535),
            rate_limits=_rate_limits(rest["rate_limits"]),
            respond_to=RespondTo.of(rest["respond_to"]),
            suggested_prompts=_prompts(rest["suggested_prompts"]))
        return cls(bot_token=bot_token or "", app_token=app_token,
                   signing_secret=signing_secret, socket_mode=socket_mode, base_url=base_url,
                   streaming=streaming, credentials_error=problem, oauth=oauth, **rest)

    def __repr__(self) -> str:  # never show tokens
        mode = "socket" if self.socket_mode else f"http:{self.port}"
        return f"SlackSettings(mode={mode!r}, streaming={self.streaming!r})"


def _credentials_problem(bot_token: str | None, app_token: str | None,
                         signing_secret: str | None, socket_mode: bool, *,
                         oauth: bool = False) -> str | None:
    """What is wrong with the tokens, naming the variable to set (never a token's value)."""
    if oauth:
        if socket_mode or not signing_secret:
            return ("installing in several workspaces (oauth=) serves the install pages over "
                    "HTTP: set SLACK_SIGNING_SECRET and pass socket_mode=False, port=...")
        return None
    if not bot_token:
        return ("Slack needs the bot token: set SLACK_BOT_TOKEN to the app's Bot User OAuth "
                "Token (xoxb-…, under OAuth & Permissions), or pass bot_token=")
    if bot_token.startswith("xapp-"):
        return ("SLACK_BOT_TOKEN holds an app-level token (xapp-…); it must be the Bot User "
                "OAuth Token (xoxb-…). The xapp- token goes in SLACK_APP_TOKEN.")
    if socket_mode:
        if not app_token:
            return ("Socket Mode needs an app-level token: set SLACK_APP_TOKEN (xapp-…, made "
                    "under Basic Information → App-Level Tokens with the connections:write "
                    "scope). Or serve the Events API over HTTP: set SLACK_SIGNING_SECRET and "
                    "run with --http PORT.")
        if not app_token.startswith("xapp-"):
            return ("SLACK_APP_TOKEN must be an app-level token (it starts with xapp-); the "
                    "bot token (xoxb-…) goes in SLACK_BOT_TOKEN.")
    elif not signing_secret:
        return ("HTTP mode needs the signing secret to check that requests come from Slack: "
                "set SLACK_SIGNING_SECRET (Basic Information → App Credentials).")
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(name: str, value: Any, *, minimum: float, unit: str = "") -> float:
    if not _is_number(value) or not value >= minimum:  # (not >=) also refuses NaN
        raise UserError(f"{name} must be a number of at least {minimum:g}{unit}, "
                        f"not {value!r}")
    return float(value)


def _whole(name: str, value: Any, *, minimum: int, maximum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum or \
            (maximum is not None and value > maximum):
        bounds = f"from {minimum} to {maximum}" if maximum is not None else \
            f"of at least {minimum}"
        raise UserError(f"{name} must be a whole number {bounds}, not {value!r}")
    return value


def _rate_limits(value: Any) -> dict[str, tuple[float, int]] | None:
    """``{method: (calls per minute, burst)}``, e.g. ``{"chat.update": (50, 40)}``."""
    if value is None:
        return None
    shape = ('rate_limits must map Slack methods to (calls per minute, burst) pairs, e.g. '
             '{"chat.update": (50, 40)}')
    if not isinstance(value, Mapping):
        raise UserError(f"{shape}; not {value!r}")
    limits: dict[str, tuple[float, int]] = {}
    for method, spec in value.items():
        if not isinstance(method, str) or not method:
            raise UserError(f"{shape}; {method!r} is not a method name")
        if isinstance(spec, str | bytes) or not isinstance(spec, Sequence) or len(spec) != 2:
            raise UserError(f"{shape}; rate_limits[{method!r}] is {spec!r}")
        per_minute, burst = spec
        if not _is_number(per_minute) or not per_minute > 0:
            raise UserError(f"{shape}; rate_limits[{method!r}] calls per minute must be a "
                            f"number above 0, not {per_minute!r}")
        if not isinstance(burst, int) or isinstance(burst, bool) or burst < 1:
            raise UserError(f"{shape}; rate_limits[{method!r}] burst must be a whole number "
                            f"of at least 1, not {burst!r}")
        limits[method] = (float(per_minute), burst)
    return limits


def _prompts(value: Any) -> tuple[tuple[str, str], ...]:
    """Up to 4 ``(title, message)`` pairs (or ``{"title", "message"}`` dicts)."""
    if value is None:
        return ()
    shape = ('suggested_prompts must be a list of (title, message) pairs, e.g. '
             '[("Broken printer", "my printer is broken")]')
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise UserError(f"{shape}; not {value!r}")
    prompts: list[tuple[str, str]] = []
    for item in value:
        pair: Any = (item.get("title"), item.get("message")) if isinstance(item, Mapping) \
            else item
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2 \
                or not all(isinstance(part, str) and part.strip() for part in pair):
            raise UserError(f"{shape}; {item!r} is not a pair of non-empty texts")
        prompts.append((pair[0], pair[1]))
    if len(prompts) > 4:
        raise UserError("Slack shows at most 4 suggested prompts")
    return tuple(prompts)
