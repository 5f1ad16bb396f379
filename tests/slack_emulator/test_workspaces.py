"""Several workspaces, the OAuth v2 install flow and uninstalls, with Bolt's own OAuth flow."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from botkit_slack.emulator import SlackEmulator


async def error_of(call) -> dict:
    with pytest.raises(SlackApiError) as raised:
        await call
    return dict(raised.value.response.data)


async def test_each_team_has_its_own_bot_and_token(slack: SlackEmulator):
    second = slack.add_team("Acme")
    assert slack.teams == [slack.team_id, second]
    first_token, first_bot = slack.bot_token, slack.bot_user_id
    with slack.team(second):
        token, bot, general = slack.bot_token, slack.bot_user_id, slack.general
        assert slack.app_id == "A0EMUAPP01"  # one app, installed twice
    assert (token, bot) != (first_token, first_bot)
    client = AsyncWebClient(token=token, base_url=slack.base_url)
    who = await client.auth_test()
    assert (who["team_id"], who["user_id"], who["team"]) == (second, bot, "Acme")
    await client.chat_postMessage(channel=general, text="hello Acme")
    with slack.team(second):
        assert [m["text"] for m in slack.messages(general)] == ["hello Acme"]
    assert slack.messages(slack.general) == []
    body = await error_of(client.conversations_history(channel=slack.general))
    assert body["error"] == "channel_not_found"  # another team's channel


async def test_events_of_each_team_reach_the_app_with_their_team(slack: SlackEmulator,
                                                                 make_app, bolt_http):
    second = slack.add_team("Acme")
    with slack.team(second):
        tokens = {second: slack.bot_token}
    tokens[slack.team_id] = slack.bot_token

    async def authorize(enterprise_id, team_id, user_id, **_):
        from slack_bolt.authorization import AuthorizeResult

        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id,
                               bot_token=tokens[team_id])

    app = AsyncApp(client=AsyncWebClient(base_url=slack.base_url),
                   signing_secret=slack.signing_secret, authorize=authorize)

    @app.event("app_mention")
    async def answer(body, say):
        await say(text=f"hi from {body['team_id']}", thread_ts=body["event"]["ts"])

    async with bolt_http(slack, app):
        with slack.team(second):
            said = await slack.user_says("alice", f"<@{slack.bot_user_id}> hi")
            reply = await slack.wait_for_message(thread_ts=said["ts"], from_bot=True)
        here = await slack.user_says("alice", f"<@{slack.bot_user_id}> hi")
        home = await slack.wait_for_message(thread_ts=here["ts"], from_bot=True)
        await slack.drain()
    assert reply["text"] == f"hi from {second}"
    assert home["text"] == f"hi from {slack.team_id}"
    envelopes = [d.payload for d in slack.deliveries if d.kind == "event"
                 and d.payload["event"]["type"] == "app_mention"]
    assert {e["team_id"] for e in envelopes} == {second, slack.team_id}
    for envelope in envelopes:
        assert envelope["authorizations"][0]["team_id"] == envelope["team_id"]


async def test_bolt_oauth_install_then_events_then_uninstall(slack: SlackEmulator, serve,
                                                            tmp_path: Path):
    second = slack.add_team("Acme")
    store = FileInstallationStore(base_dir=str(tmp_path / "installs"))
    settings = AsyncOAuthSettings(
        client_id=slack.client_id, client_secret=slack.client_secret,
        scopes=["chat:write", "app_mentions:read", "channels:history"],
        installation_store=store,
        state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(tmp_path / "st")),
        authorization_url=slack.root_url + "oauth/v2/authorize",
        install_page_rendering_enabled=False)
    app = AsyncApp(client=AsyncWebClient(base_url=slack.base_url),
                   signing_secret=slack.signing_secret, oauth_settings=settings)
    uninstalled: list[dict] = []

    @app.event("app_mention")
    async def answer(body, say):
        await say(text="installed and answering", thread_ts=body["event"]["ts"])

    @app.event("app_uninstalled")
    async def gone(body):
        uninstalled.append(body)

    @app.event("tokens_revoked")
    async def revoked(body):
        uninstalled.append(body)

    runner, root = await serve(app.web_app())
    try:
        slack.events_to(root + "/slack/events")
        slack.oauth_redirect_uri = root + "/slack/oauth_redirect"
        async with aiohttp.ClientSession() as browser:
            async with browser.get(root + "/slack/install", allow_redirects=False) as started:
                to_slack = started.headers["Location"]
                state = started.cookies["slack-app-oauth-state"]  # a Secure cookie: sent by hand
            assert to_slack.startswith(slack.root_url + "oauth/v2/authorize?")
            async with browser.get(to_slack + f"&team={second}", allow_redirects=False) as page:
                assert page.status == 302
                back = page.headers["Location"]
            assert parse_qs(urlparse(back).query)["code"]
            cookie = {"Cookie": f"{state.key}={state.value}"}
            async with browser.get(back, headers=cookie) as done:
                assert done.status == 200, await done.text()
        bot = await store.async_find_bot(enterprise_id=None, team_id=second)
        assert bot is not None
        with slack.team(second):
            assert bot.bot_token == slack.bot_token
            assert bot.bot_user_id == slack.bot_user_id
            said = await slack.user_says("alice", f"<@{slack.bot_user_id}> hi")
            reply = await slack.wait_for_message(thread_ts=said["ts"], from_bot=True)
            assert reply["text"] == "installed and answering"
        client = AsyncWebClient(token=bot.bot_token, base_url=slack.base_url)
        await client.apps_uninstall(client_id=slack.client_id,
                                    client_secret=slack.client_secret)
        await slack.drain()
        assert [b["event"]["type"] for b in uninstalled] == ["tokens_revoked", "app_uninstalled"]
        assert uninstalled[0]["event"]["tokens"]["bot"] == [bot.bot_user_id]
        assert {b["team_id"] for b in uninstalled} == {second}
        body = await error_of(client.auth_test())
        assert body["error"] == "token_revoked"
        with slack.team(second):  # an uninstalled app hears nothing more from the team
            before = len(slack.deliveries)
            await slack.user_says("alice", f"<@{slack.bot_user_id}> still there?")
            await slack.drain()
            assert len(slack.deliveries) == before
    finally:
        await runner.cleanup()


async def test_oauth_exchange_errors(slack: SlackEmulator):
    anonymous = AsyncWebClient(base_url=slack.base_url)
    async with aiohttp.ClientSession() as browser:
        url = slack.authorize_url("chat:write", redirect_uri="http://127.0.0.1:9/cb", state="s1")
        async with browser.get(url, allow_redirects=False) as page:
            code = parse_qs(urlparse(page.headers["Location"]).query)["code"][0]
            assert parse_qs(urlparse(page.headers["Location"]).query)["state"] == ["s1"]
        bad = slack.authorize_url("chat:write", redirect_uri="http://x/cb").replace(
            slack.client_id, "nobody")
        async with browser.get(bad, allow_redirects=False) as page:
            assert page.status == 400
            assert "invalid_client_id" in await page.text()
    body = await error_of(anonymous.oauth_v2_access(client_id=slack.client_id,
                                                    client_secret="wrong", code=code))
    assert body["error"] == "bad_client_secret"
    body = await error_of(anonymous.oauth_v2_access(
        client_id=slack.client_id, client_secret=slack.client_secret, code=code,
        redirect_uri="http://elsewhere/cb"))
    assert body["error"] == "bad_redirect_uri"
    granted = await anonymous.oauth_v2_access(client_id=slack.client_id,
                                              client_secret=slack.client_secret, code=code)
    assert granted["team"]["id"] == slack.team_id
    assert granted["scope"] == "chat:write"
    assert granted["authed_user"]["id"] == "U0EMUALICE"
    body = await error_of(anonymous.oauth_v2_access(client_id=slack.client_id,
                                                    client_secret=slack.client_secret,
                                                    code=code))
    assert body["error"] == "invalid_code"  # a code works once
    client = AsyncWebClient(token=granted["access_token"], base_url=slack.base_url)
    body = await error_of(client.users_info(user="U0EMUALICE"))
    assert body["error"] == "missing_scope"  # only the requested scopes were granted
    assert (await client.auth_revoke())["revoked"]
    assert (await error_of(client.auth_test()))["error"] == "token_revoked"


async def test_reset_drops_added_teams_and_revocations(slack: SlackEmulator):
    second = slack.add_team("Acme")
    with slack.team(second):
        token = slack.bot_token
    slack.uninstall(second)
    client = AsyncWebClient(token=token, base_url=slack.base_url)
    assert (await error_of(client.auth_test()))["error"] == "token_revoked"
    slack.reset()
    assert slack.teams == [slack.team_id]
    assert (await error_of(client.auth_test()))["error"] == "invalid_auth"


async def test_control_api_drives_teams_and_app_settings(slack: SlackEmulator):
    control = slack.root_url + "_emulator/"
    async with aiohttp.ClientSession() as http:
        async with http.post(control + "teams", json={"name": "Acme"}) as made:
            created = await made.json()
        team, token = created["team_id"], created["bot_token"]
        async with http.post(control + "user_says",
                             json={"team": team, "user": "alice", "text": "hello"}) as said:
            assert said.status == 200
        async with http.get(control + "messages", params={"team": team}) as listed:
            assert [m["text"] for m in await listed.json()] == ["hello"]
        async with http.post(control + "user_says", json={"team": "T0NOPE", "text": "x"}) as bad:
            assert bad.status == 400
        async with http.post(control + "app", json={"scopes": ["chat:write"]}) as configured:
            assert configured.status == 200
        async with http.post(control + "app", json={"scopes": "chat:write"}) as wrong:
            assert wrong.status == 400
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
        assert (await error_of(client.users_list()))["error"] == "missing_scope"
        async with http.post(control + "uninstall", json={"team": team}) as removed:
            assert removed.status == 200
    assert (await error_of(AsyncWebClient(token=token, base_url=slack.base_url).auth_test())
            )["error"] == "token_revoked"
