"""What an operator's changes to an account do to the person's next requests: a
disabled account cannot sign in or refresh, an unlocked one can sign in at once, and a
revoked consent is asked for again (core.accounts over HTTP)."""

from __future__ import annotations

import httpx
import pytest

from tessera.core import accounts
from tessera.core.models import Client, User
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.authorize import (
    PKCE,
    add_app,
    add_person,
    callback,
    follow,
    redeem,
    request_params,
    sign_in,
    sign_in_and_consent,
    submit,
)
from tests.support.grants import add_api

ACTOR = "cli:ops"


@pytest.fixture
async def person(rt: Runtime) -> User:
    await add_api(rt.store)
    return await add_person(rt.store)


@pytest.fixture
async def app_client(rt: Runtime, person: User) -> Client:
    return await add_app(rt.store)


async def _tokens(http: httpx.AsyncClient, app: Client) -> dict[str, str]:
    pkce = PKCE()
    code = (await sign_in_and_consent(http, request_params(app.client_id, pkce)))["code"]
    return await redeem(http, app.client_id, code, pkce)


async def _refresh(http: httpx.AsyncClient, app: Client, token: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token, "client_id": app.client_id}
    return await http.post("/oauth/token", data=form)


async def test_a_disabled_person_cannot_sign_in_or_refresh_until_enabled(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, person: User, clock: Clock
) -> None:
    tokens = await _tokens(client, app_client)
    async with rt.store.transaction() as tx:
        await accounts.disable_user(tx, person.id, actor=ACTOR, now=int(clock.now))
    refused = await _refresh(client, app_client, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    userinfo = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert userinfo.status_code == 401
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    page = await follow(client, start)
    assert "Sign in" in page.text  # The session ended with the disabling.
    wrong = await sign_in(client, page, password="not the password")
    assert wrong.status_code == 401 and "disabled" not in wrong.text
    disabled = await sign_in(client, wrong)
    assert disabled.status_code == 403 and "This account is disabled." in disabled.text
    async with rt.store.transaction() as tx:
        await accounts.enable_user(tx, person.id, actor=ACTOR, now=int(clock.now))
    assert callback(await sign_in(client, disabled))["code"]


async def test_an_unlocked_person_signs_in_while_their_address_stays_counted(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, person: User, clock: Clock
) -> None:
    page = await follow(
        client, await client.get("/authorize", params=request_params(app_client.client_id))
    )
    while page.status_code != 429:
        page = await sign_in(client, page, password="not the password")
    async with rt.store.transaction() as tx:
        assert await accounts.unlock_user(tx, person.id, actor=ACTOR, now=int(clock.now)) >= 2
    signed_in = await sign_in(client, page)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"].startswith("/u/consent")


async def test_a_revoked_consent_stops_refresh_and_is_asked_again(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, person: User, clock: Clock
) -> None:
    tokens = await _tokens(client, app_client)
    async with rt.store.transaction() as tx:
        revoked = await accounts.revoke_consent(
            tx, person.id, app_client.client_id, actor=ACTOR, now=int(clock.now)
        )
    assert revoked == 1
    refused = await _refresh(client, app_client, tokens["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    # Still signed in, so /authorize goes straight to the consent page.
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    consent = await follow(client, start)
    assert consent.status_code == 200 and 'value="allow"' in consent.text
    assert callback(await submit(client, consent, decision="allow"))["code"]


async def test_a_grant_that_outlived_the_disabling_still_refreshes_nothing(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, person: User, clock: Clock
) -> None:
    """A grant made while the account was being disabled (so not revoked with the
    others) is refused at refresh all the same: the grant's user is checked."""
    tokens = await _tokens(client, app_client)
    async with rt.store.transaction() as tx:
        await tx.users.set_disabled(person.id, int(clock.now))
    refused = await _refresh(client, app_client, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
