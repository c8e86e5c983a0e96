"""Seed steps 4-7 over HTTP on both engines: /authorize, sign-in, consent, the code."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.models import User
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.authorize import (
    PKCE,
    add_person,
    callback,
    follow,
    request_params,
    sign_in,
    sign_in_and_consent,
    submit,
)
from tests.support.grants import API_ID, REDIRECT_URI, RegisteredClient, add_api, add_client
from tests.support.tokens import claims_of


@pytest.fixture
async def person(rt: Runtime) -> User:
    await add_api(rt.store)
    return await add_person(rt.store)


@pytest.fixture
async def app_client(rt: Runtime, person: User) -> RegisteredClient:
    return await add_client(rt.store, public=True)


async def test_sign_in_and_consent_redirect_with_code_state_and_iss(
    client: httpx.AsyncClient, app_client: RegisteredClient
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    assert start.status_code == 302 and start.headers["location"].startswith("/u/login?")
    login_page = await follow(client, start)
    assert "Test App" in login_page.text
    consent_redirect = await sign_in(client, login_page)
    assert consent_redirect.status_code == 303
    consent_page = await follow(client, consent_redirect)
    assert consent_page.status_code == 200
    for text in ("Test App", "Example API", "Your email address", "read:x"):
        assert text in consent_page.text
    params = callback(await submit(client, consent_page, decision="allow"))
    assert params["state"] == "state-1" and params["iss"] == ISSUER
    assert params["code"].startswith("tsr_ac_")


async def test_the_code_redeems_for_tokens_bound_to_the_session(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, person: User, clock: Clock
) -> None:
    pkce = PKCE()
    params = await sign_in_and_consent(client, request_params(app_client.client_id, pkce))
    response = await client.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": pkce.verifier,
            "client_id": app_client.client_id,
        },
    )
    assert response.status_code == 200, response.text
    keys = (await rt.fresh_keyring()).verification_keys
    id_token = claims_of(response.json()["id_token"], keys, ISSUER, clock.now)
    assert id_token["sub"] == person.id and id_token["nonce"] == "nonce-1"
    assert id_token["auth_time"] == int(clock.now) and id_token["sid"]
    access = claims_of(response.json()["access_token"], keys, ISSUER, clock.now, typ="at+jwt")
    assert API_ID in access["aud"] and "read:x" in access["scope"].split()
