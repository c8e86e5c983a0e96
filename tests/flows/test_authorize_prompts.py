"""prompt=none|login|consent, max_age, login_hint and id_token_hint (OIDC Core 3.1.2.1),
both engines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tessera.core.models import Client
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.authorize import (
    PKCE,
    add_app,
    add_person,
    callback,
    follow,
    location,
    redeem,
    request_params,
    sign_in,
    sign_in_and_consent,
    submit,
)
from tests.support.grants import add_api
from tests.support.pages import form_of
from tests.support.tokens import claims_of


@pytest.fixture
async def app_client(rt: Runtime) -> Client:
    await add_api(rt.store)
    await add_person(rt.store)
    return await add_app(rt.store)


async def auth_time_of(
    http: httpx.AsyncClient, rt: Runtime, app_client: Client, code: str, pkce: PKCE, now: float
) -> int:
    tokens = await redeem(http, app_client.client_id, code, pkce)
    keys = (await rt.fresh_keyring()).verification_keys
    return int(claims_of(tokens["id_token"], keys, ISSUER, now)["auth_time"])


async def test_prompt_none_without_a_session_is_login_required(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    response = await client.get(
        "/authorize", params=request_params(app_client.client_id, prompt="none")
    )
    params = callback(response)
    assert params["error"] == "login_required"
    assert params["state"] == "state-1" and params["iss"] == ISSUER


async def test_prompt_none_without_consent_is_consent_required(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id, scope="openid"))
    response = await client.get(
        "/authorize", params=request_params(app_client.client_id, prompt="none")
    )
    assert callback(response)["error"] == "consent_required"


async def test_prompt_none_for_a_native_app_is_consent_required_even_when_remembered(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    native = await add_app(rt.store, redirect_uris=("http://127.0.0.1/callback",))
    port = "http://127.0.0.1:50001/callback"
    await sign_in_and_consent(client, request_params(native.client_id, redirect_uri=port))
    response = await client.get(
        "/authorize", params=request_params(native.client_id, redirect_uri=port, prompt="none")
    )
    assert callback(response, port)["error"] == "consent_required"


async def test_prompt_none_with_a_session_and_consent_issues_a_code(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id))
    response = await client.get(
        "/authorize", params=request_params(app_client.client_id, prompt="none")
    )
    assert callback(response)["code"]


async def test_prompt_login_asks_again_and_records_the_new_auth_time(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, clock: Clock
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id))
    clock.advance(120)
    pkce = PKCE()
    start = await client.get(
        "/authorize", params=request_params(app_client.client_id, pkce, prompt="login")
    )
    assert location(start).startswith("/u/login?")
    code = callback(await sign_in(client, await follow(client, start)))["code"]
    assert await auth_time_of(client, rt, app_client, code, pkce, clock.now) == int(clock.now)


async def test_prompt_login_cannot_be_skipped_by_going_to_the_consent_page(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id, scope="openid"))
    start = await client.get(
        "/authorize", params=request_params(app_client.client_id, prompt="login")
    )
    skipped = await client.get(location(start).replace("/u/login", "/u/consent"))
    assert location(skipped).startswith("/u/login?")


async def test_an_elapsed_max_age_forces_a_login(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, clock: Clock
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id))
    signed_in_at = int(clock.now)
    clock.advance(301)
    fresh = await client.get(
        "/authorize", params=request_params(app_client.client_id, max_age="600")
    )
    pkce = PKCE()
    assert callback(fresh)["code"]
    stale = await client.get(
        "/authorize", params=request_params(app_client.client_id, pkce, max_age="300")
    )
    assert location(stale).startswith("/u/login?")
    code = callback(await sign_in(client, await follow(client, stale)))["code"]
    auth_time = await auth_time_of(client, rt, app_client, code, pkce, clock.now)
    assert auth_time == signed_in_at + 301


async def test_max_age_zero_and_consent_in_one_request_ask_each_page_once(
    client: httpx.AsyncClient, app_client: Client, clock: Clock
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id, max_age="0"))
    consent = await sign_in(client, await follow(client, start))
    clock.advance(30)  # Reading the consent page takes time; the login still counts.
    page = await follow(client, consent)
    assert callback(await submit(client, page, decision="allow"))["code"]


async def test_prompt_consent_asks_again_even_when_remembered(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id))
    response = await client.get(
        "/authorize", params=request_params(app_client.client_id, prompt="consent")
    )
    assert location(response).startswith("/u/consent?")
    page = await follow(client, response)
    assert callback(await submit(client, page, decision="allow"))["code"]


async def test_login_hint_fills_in_the_username(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    start = await client.get(
        "/authorize",
        params=request_params(app_client.client_id, login_hint="alice@example.test"),
    )
    page = await follow(client, start)
    assert form_of(page.text).fields["username"] == "alice@example.test"
    assert callback(
        await submit(
            client,
            await follow(client, await sign_in(client, page, username="alice@example.test")),
            decision="allow",
        )
    )["code"]


async def tokens_of_alice(http: httpx.AsyncClient, app_client: Client) -> dict[str, Any]:
    """Alice signs in and consents; the tokens the app receives."""
    pkce = PKCE()
    code = (await sign_in_and_consent(http, request_params(app_client.client_id, pkce)))["code"]
    return await redeem(http, app_client.client_id, code, pkce)


async def bob_signs_in(http: httpx.AsyncClient, rt: Runtime, app_client: Client) -> None:
    """Bob takes over the browser, and consents for himself."""
    await add_person(rt.store, "bob")
    start = await http.get(
        "/authorize", params=request_params(app_client.client_id, prompt="login")
    )
    consent = await follow(http, await sign_in(http, await follow(http, start), "bob"))
    assert callback(await submit(http, consent, decision="allow"))["code"]


async def test_prompt_none_with_a_hint_for_someone_else_is_login_required(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    hint = (await tokens_of_alice(client, app_client))["id_token"]
    await bob_signs_in(client, rt, app_client)
    response = await client.get(
        "/authorize",
        params=request_params(app_client.client_id, prompt="none", id_token_hint=hint),
    )
    assert callback(response)["error"] == "login_required"


async def test_a_hint_for_someone_else_asks_for_a_sign_in_until_that_person_signs_in(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, clock: Clock
) -> None:
    hint = (await tokens_of_alice(client, app_client))["id_token"]
    await bob_signs_in(client, rt, app_client)
    pkce = PKCE()
    start = await client.get(
        "/authorize", params=request_params(app_client.client_id, pkce, id_token_hint=hint)
    )
    assert location(start).startswith("/u/login?")
    # The parked request still carries the hint: bob signing in again does not answer it.
    again = await sign_in(client, await follow(client, start), "bob")
    assert location(again).startswith("/u/login?")
    code = callback(await sign_in(client, await follow(client, again)))["code"]
    tokens = await redeem(client, app_client.client_id, code, pkce)
    keys = (await rt.fresh_keyring()).verification_keys
    alice = claims_of(hint, keys, ISSUER, clock.now)["sub"]
    assert claims_of(tokens["id_token"], keys, ISSUER, clock.now)["sub"] == alice


async def test_an_id_token_hint_tessera_did_not_issue_is_invalid_request(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    access_token = (await tokens_of_alice(client, app_client))["access_token"]
    for hint in ("not.a.jwt", access_token):
        response = await client.get(
            "/authorize", params=request_params(app_client.client_id, id_token_hint=hint)
        )
        answer = callback(response)
        assert answer["error"] == "invalid_request" and answer["state"] == "state-1"
