"""Installs in many workspaces: the installation and OAuth-state stores on botkit's store,
the per-workspace token on every call, and (on an emulator with several workspaces and
``oauth.v2.access``) the whole flow: install link → Slack's authorize page → redirect →
code exchanged → events of that workspace answered with its token → uninstall deletes it."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation

from botkit import TurnContext, UserError, create_bot
from botkit.errors import AdapterError
from botkit.store import MemoryStore
from botkit_slack import SlackAdapter, SlackOAuth
from botkit_slack.emulator import SlackEmulator
from botkit_slack.oauth import StoreInstallations, StoreOAuthStates
from botkit_slack.teams import TeamClient, Teams

SCOPES = ["app_mentions:read", "chat:write", "channels:history", "users:read"]


def installation(team: str, token: str, user: str = "UBOT") -> Installation:
    return Installation(app_id="A1", team_id=team, team_name=f"Team {team}", bot_token=token,
                        bot_id=f"B{team}", bot_user_id=user, bot_scopes=SCOPES, user_id="U1")


async def test_installations_live_in_the_bot_store() -> None:
    store = MemoryStore()
    installs = StoreInstallations(lambda: store)
    await installs.async_save(installation("T1", "xoxb-1"))
    await installs.async_save(installation("T2", "xoxb-2"))
    bot = await installs.async_find_bot(enterprise_id=None, team_id="T2")
    assert bot is not None
    assert (bot.bot_token, bot.bot_user_id, bot.bot_id) == ("xoxb-2", "UBOT", "BT2")
    assert sorted(await installs.teams()) == ["T1", "T2"]
    found = await installs.async_find_installation(enterprise_id=None, team_id="T1")
    assert found is not None
    assert found.bot_scopes == SCOPES
    await installs.async_delete_all(enterprise_id=None, team_id="T1")
    assert await installs.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert await installs.teams() == ["T2"]


async def test_an_oauth_state_is_consumed_once() -> None:
    store = MemoryStore()
    states = StoreOAuthStates(lambda: store)
    state = await states.async_issue()
    assert await states.async_consume(state)
    assert not await states.async_consume(state)
    assert not await states.async_consume("made-up")


def test_oauth_settings_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SLACK_CLIENT_ID", raising=False)
    monkeypatch.delenv("SLACK_CLIENT_SECRET", raising=False)
    with pytest.raises(UserError, match="SLACK_CLIENT_ID"):
        SlackAdapter(oauth=SlackOAuth(scopes=SCOPES), signing_secret="s", socket_mode=False)
    with pytest.raises(UserError, match="scopes"):
        SlackAdapter(oauth=SlackOAuth(client_id="c", client_secret="s"), signing_secret="s")
    adapter = SlackAdapter(oauth=SlackOAuth(client_id="c", client_secret="x", scopes=SCOPES))
    with pytest.raises(UserError, match="SLACK_SIGNING_SECRET"):
        adapter.check_credentials()
    ok = SlackAdapter(oauth=SlackOAuth(client_id="c", client_secret="x", scopes=SCOPES),
                      signing_secret="s")
    ok.check_credentials()  # no bot token needed
    assert ok.settings.socket_mode is False
    assert "x" not in repr(ok.settings.oauth)  # the secret is never shown


async def test_every_call_carries_the_token_of_its_workspace() -> None:
    async with SlackEmulator() as slack:
        store = MemoryStore()
        installs = StoreInstallations(lambda: store)
        await installs.async_save(installation(slack.team_id, slack.bot_token))
        await installs.async_save(installation("T_OTHER", "xoxb-not-valid-here"))
        teams = Teams(installs)
        client = TeamClient(teams, base_url=slack.base_url)
        with pytest.raises(AdapterError, match="which workspace"):
            await client.auth_test()  # two installs, no event, no channel: say which
        async with teams.team(slack.team_id):
            auth: Any = await client.auth_test()
            assert auth["team_id"] == slack.team_id
        async with teams.team("T_OTHER"):
            with pytest.raises(SlackApiError):
                await client.auth_test()  # that workspace's token went out
        teams.learn(slack.team_id, channel=slack.general)
        posted: Any = await client.chat_postMessage(channel=slack.general, text="by channel")
        assert posted["ok"]
        [call] = [c for c in slack.calls if c.method == "chat.postMessage"]
        assert call.token == slack.bot_token
        with pytest.raises(AdapterError, match="not installed"):
            async with teams.team("T_NONE"):
                pass


async def test_install_flow_then_events_of_that_workspace_then_uninstall() -> None:
    async with SlackEmulator() as slack:
        second = slack.add_team("Second Workspace")
        bot = create_bot(name="helpbot")
        heard: list[tuple[str, str]] = []

        @bot.on_mention
        async def hello(ctx: TurnContext) -> None:
            heard.append((ctx.thread.conversation.channel, ctx.text))
            await ctx.thread.post("hello from the installed app")

        adapter = SlackAdapter(
            oauth=SlackOAuth(client_id=slack.client_id,
                             client_secret=slack.client_secret,
                             scopes=SCOPES, authorize_url=slack.root_url + "oauth/v2/authorize"),
            signing_secret=slack.signing_secret, socket_mode=False, host="127.0.0.1", port=0,
            base_url=slack.base_url)
        bot.add_adapter(adapter)
        await bot.start()
        try:
            assert adapter.request_url is not None
            assert adapter.install_url is not None
            slack.events_to(adapter.request_url)
            redirect = adapter.install_url.replace("/slack/install", "/slack/oauth_redirect")
            slack.oauth_redirect_uri = redirect
            async with aiohttp.ClientSession() as browser:  # the person's browser
                async with browser.get(adapter.install_url, allow_redirects=False) as start:
                    assert start.status == 302
                    authorize = start.headers["Location"]
                    cookie = start.cookies["slack-app-oauth-state"]  # Secure: sent by hand
                assert authorize.startswith(slack.root_url + "oauth/v2/authorize")
                # the person picks the second workspace on Slack's page and is sent back
                async with browser.get(authorize + "&" + urlencode({"team": second}),
                                       allow_redirects=False) as allowed:
                    assert allowed.status == 302
                    back = allowed.headers["Location"]
                assert back.startswith(redirect)
                headers = {"Cookie": f"{cookie.key}={cookie.value}"}
                async with browser.get(back, headers=headers) as done:
                    assert done.status == 200, await done.text()
                async with browser.get(back, headers=headers) as again:
                    assert again.status == 401  # a state is used once (Bolt: 401)
            installs = adapter.installations
            assert installs is not None
            assert await installs.async_find_bot(enterprise_id=None, team_id=second)
            with slack.team(second):
                token, general = slack.bot_token, slack.general
                asked = await slack.user_says("alice", f"<@{slack.bot_user_id}> hi", general)
                reply = await slack.wait_for_message(text="hello from the installed app",
                                                     channel=general, thread_ts=asked["ts"],
                                                     from_bot=True)
            assert reply
            posts = [c for c in slack.calls if c.method == "chat.postMessage"]
            assert posts
            assert posts[-1].token == token
            slack.uninstall(second)
            async with asyncio.timeout(10):  # the store announces nothing: poll it
                while await installs.async_find_bot(  # noqa: ASYNC110
                        enterprise_id=None, team_id=second):
                    await asyncio.sleep(0.05)
        finally:
            await bot.stop()
        assert heard == [(general, "hi")]  # that workspace's bot mention is dropped
