"""The default workspace: a team, the app's bot, two people with emails, #general and #random."""

from __future__ import annotations

from dataclasses import dataclass

from .clock import Clock
from .ids import IdFactory
from .models import Actor, App
from .scopes import ALL_BOT_SCOPES
from .store import Workspace

BOT_USER = "U0EMUBOT01"
GENERAL = "C0EMUGENRL"
RANDOM = "C0EMURANDM"


@dataclass(frozen=True)
class Seed:
    team_id: str
    team_name: str
    team_domain: str
    bot_name: str
    bot_token: str
    app_token: str
    defaults: bool = True
    scopes: frozenset[str] = ALL_BOT_SCOPES
    agent: bool = True
    messages_tab: bool = True

    def build(self, clock: Clock, ids: IdFactory) -> tuple[Workspace, App]:
        """A fresh workspace with the app installed (and, with ``defaults``, people and channels:
        #general has the bot, alice and bob; #random has only the people)."""
        ws = Workspace(
            clock, ids, team_id=self.team_id, name=self.team_name, domain=self.team_domain
        )
        app = ws.add_app(
            self.bot_name,
            token=self.bot_token,
            bot_user_id=BOT_USER,
            app_id="A0EMUAPP01",
            bot_id="B0EMUBOT01",
        )
        app.scopes, app.agent, app.messages_tab = self.scopes, self.agent, self.messages_tab
        ws.tokens[self.app_token] = Actor("app", self.app_token, app.bot_user_id, app)
        if self.defaults:
            ws.add_user(
                "alice", id="U0EMUALICE", email="alice@example.com", real_name="Alice Example"
            )
            ws.add_user("bob", id="U0EMUBOB01", email="bob@example.com", real_name="Bob Example")
            ws.add_channel(
                "general",
                id=GENERAL,
                members=[app.bot_user_id, "alice", "bob"],
                creator="U0EMUALICE",
                is_general=True,
            )
            ws.add_channel("random", id=RANDOM, members=["alice", "bob"], creator="U0EMUALICE")
        return ws, app
