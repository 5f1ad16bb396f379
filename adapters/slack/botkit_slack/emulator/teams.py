"""Several workspaces in one emulator: extra teams, installing the app, uninstalling it.

The emulated app (one ``app_id``) is installed in every team with its own bot user and bot
token; events from every team go to the same app (Socket Mode or Request URL) with that team's
``team_id`` and ``authorizations``. An uninstall sends ``tokens_revoked`` and
``app_uninstalled`` and revokes the team's tokens (``token_revoked``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .models import Actor, App
from .store import Workspace

if TYPE_CHECKING:
    from .core import Core


def install(
    core: Core, ws: Workspace, *, token: str | None = None, scopes: frozenset[str] | None = None
) -> App:
    """Install the emulated app in ``ws`` (again): a bot user on first install, a bot token."""
    primary = core.primary.installed
    assert primary is not None
    app = ws.installed
    if app is None:
        app = ws.add_app(
            primary.name,
            token=token or f"xoxb-emulator-{ws.team_id.lower()}",
            app_id=primary.app_id,
        )
        app.agent, app.messages_tab = primary.agent, primary.messages_tab
        ws.installed = app
    elif token is not None or ws.uninstalled:
        new_token = token or f"xoxb-emulator-{ws.team_id.lower()}-{core.ids.secret(4)}"
        actor = ws.tokens.pop(app.token, None)
        app.token = new_token
        if actor is not None:
            actor.token = new_token
            ws.tokens[new_token] = actor
        else:
            ws.tokens[new_token] = Actor("bot", new_token, app.bot_user_id, app)
        core.revoked.discard(new_token)
    app.scopes = scopes if scopes is not None else primary.scopes
    ws.uninstalled = False
    return app


def add_team(
    core: Core,
    name: str,
    *,
    team_id: str | None = None,
    domain: str | None = None,
    people: bool = True,
) -> Workspace:
    """A new workspace with the app installed (and, with ``people``, alice and bob in
    #general with the bot, as in the first team)."""
    ws = Workspace(
        core.clock,
        core.ids,
        team_id=team_id or core.ids.new("T"),
        name=name,
        domain=domain or name.lower().replace(" ", "-"),
    )
    core.workspaces[ws.team_id] = ws
    app = install(core, ws)
    if people:
        ws.add_user("alice", email=f"alice@{ws.domain}.example", real_name="Alice Example")
        ws.add_user("bob", email=f"bob@{ws.domain}.example", real_name="Bob Example")
        ws.add_channel("general", members=[app.bot_user_id, "alice", "bob"], is_general=True)
        ws.add_channel("random", members=["alice", "bob"])
    return ws


def revoke(core: Core, ws: Workspace, tokens: list[str]) -> None:
    """Revoke ``tokens`` of ``ws`` and send ``tokens_revoked`` (bot and user ids)."""
    revoked: dict[str, list[str]] = {"oauth": [], "bot": []}
    for token in tokens:
        actor = ws.tokens.get(token)
        if actor is None:
            continue
        revoked["bot" if actor.kind == "bot" else "oauth"].append(actor.user_id)
    with core.in_team(ws.team_id):
        core.events.emit(
            {"type": "tokens_revoked", "tokens": revoked, "event_ts": ws.ts.next("tokens")}
        )
    for token in tokens:
        if ws.tokens.pop(token, None) is not None:
            core.revoked.add(token)


def uninstall(core: Core, ws: Workspace) -> None:
    """The app is removed from ``ws``: ``tokens_revoked``, ``app_uninstalled``, tokens dead."""
    app = ws.installed
    if app is None or ws.uninstalled:
        return
    tokens = [t for t, actor in ws.tokens.items() if actor.kind == "bot" and actor.app is app]
    revoke(core, ws, tokens)
    with core.in_team(ws.team_id):
        core.events.emit({"type": "app_uninstalled", "event_ts": ws.ts.next("uninstall")})
    ws.uninstalled = True
    core.changed("uninstalled", ws)


class TeamsApi:
    """Mixed into :class:`~.emulator.SlackEmulator`: several workspaces, install, uninstall."""

    core: Core

    def add_team(
        self,
        name: str = "Second Workspace",
        *,
        team_id: str | None = None,
        domain: str | None = None,
        people: bool = True,
    ) -> str:
        """A new workspace with the app installed; returns its team id."""
        return add_team(self.core, name, team_id=team_id, domain=domain, people=people).team_id

    @property
    def teams(self) -> list[str]:
        return list(self.core.workspaces)

    @contextlib.contextmanager
    def team(self, team_id: str) -> Iterator[Workspace]:
        """``with slack.team(t2): await slack.user_says(...)``: act in another workspace
        (``bot_token``, ``bot_user_id``, ``general``... are that team's inside)."""
        with self.core.in_team(team_id) as ws:
            yield ws

    def uninstall(self, team_id: str | None = None) -> None:
        """An admin removes the app from a team (default: the current one)."""
        ws = self.core.workspaces[team_id] if team_id else self.core.ws
        uninstall(self.core, ws)
