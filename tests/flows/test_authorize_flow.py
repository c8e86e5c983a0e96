"""Seed steps 4-7 over HTTP on both engines: /authorize, sign-in, consent, the code."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tessera.core.models import Client, User
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
from tests.support.grants import API_ID, REDIRECT_URI, add_api
from tests.support.pages import form_of, parse_page
from tests.support.tokens import claims_of

NATIVE_URI = "http://127.0.0.1/callback"


@pytest.fixture
async def person(rt: Runtime) -> User:
    await add_api(rt.store)
    return await add_person(rt.store)


@pytest.fixture
async def app_client(rt: Runtime, person: User) -> Client:
    return await add_app(rt.store)


async def count(rt: Runtime, table: str) -> int:
    async with rt.store.transaction() as tx:
        row = await tx.conn.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def test_sign_in_and_consent_redirect_with_code_state_and_iss(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    assert start.status_code == 302 and start.headers["location"].startswith("/u/login?")
    login_page = await follow(client, start)
    assert "Test App" in login_page.text
    consent_redirect = await sign_in(client, login_page)
    assert consent_redirect.status_code == 303
    consent_page = await follow(client, consent_redirect)
    assert consent_page.status_code == 200
    for text in ("Test App", "Example API", "Your email address", "read:x", "Alice"):
        assert text in consent_page.text
    params = callback(await submit(client, consent_page, decision="allow"))
    assert params["state"] == "state-1" and params["iss"] == ISSUER
    assert params["code"].startswith("tsr_ac_")


async def test_the_code_redeems_for_tokens_bound_to_the_session(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, person: User, clock: Clock
) -> None:
    pkce = PKCE()
    params = await sign_in_and_consent(client, request_params(app_client.client_id, pkce))
    tokens = await redeem(client, app_client.client_id, params["code"], pkce)
    keys = (await rt.fresh_keyring()).verification_keys
    id_token = claims_of(tokens["id_token"], keys, ISSUER, clock.now)
    assert id_token["sub"] == person.id and id_token["nonce"] == "nonce-1"
    assert id_token["auth_time"] == int(clock.now) and id_token["sid"]
    access = claims_of(tokens["access_token"], keys, ISSUER, clock.now, typ="at+jwt")
    assert API_ID in access["aud"] and "read:x" in access["scope"].split()
    assert "refresh_token" in tokens


async def test_remembered_consent_goes_straight_to_the_code_without_writing_more(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id))
    before = [await count(rt, table) for table in ("interactions", "audit_events", "sessions")]
    grants = await count(rt, "grants")
    again = await client.get("/authorize", params=request_params(app_client.client_id))
    assert callback(again)["code"].startswith("tsr_ac_")
    after = [await count(rt, table) for table in ("interactions", "audit_events", "sessions")]
    assert after == before and await count(rt, "grants") == grants + 1


async def test_a_scope_not_yet_allowed_asks_for_consent_again(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id, scope="openid"))
    wider = await client.get(
        "/authorize", params=request_params(app_client.client_id, scope="openid write:x")
    )
    assert location(wider).startswith("/u/consent?")
    page = await follow(client, wider)
    assert "write:x" in page.text
    assert callback(await submit(client, page, decision="allow"))["code"]


async def test_consent_is_remembered_per_audience(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    await add_api(rt.store, "https://other.example.test", scopes=("read:x",))
    await sign_in_and_consent(client, request_params(app_client.client_id))
    other = await client.get(
        "/authorize",
        params=request_params(app_client.client_id, audience="https://other.example.test"),
    )
    assert location(other).startswith("/u/consent?")


async def test_a_first_party_client_never_shows_the_consent_page(
    client: httpx.AsyncClient, rt: Runtime, person: User
) -> None:
    console = await add_app(rt.store, name="Console", first_party=True)
    start = await client.get("/authorize", params=request_params(console.client_id))
    assert callback(await sign_in(client, await follow(client, start)))["code"]


@pytest.mark.parametrize("first_party", [False, True], ids=["third-party", "first-party"])
async def test_a_native_app_is_shown_the_consent_page_every_time(
    client: httpx.AsyncClient, rt: Runtime, person: User, first_party: bool
) -> None:
    native = await add_app(
        rt.store, name="Terminal", first_party=first_party, redirect_uris=(NATIVE_URI,)
    )
    first = request_params(native.client_id, redirect_uri="http://127.0.0.1:50001/callback")
    assert (await sign_in_and_consent(client, first))["code"]
    # Any app on the device can send the same client_id with a port of its own.
    other_port = "http://127.0.0.1:50002/callback"
    again = await client.get(
        "/authorize", params=request_params(native.client_id, redirect_uri=other_port)
    )
    assert location(again).startswith("/u/consent?")
    page = await follow(client, again)
    assert "Terminal" in page.text and "127.0.0.1:50002" in page.text
    assert callback(await submit(client, page, decision="allow"), other_port)["code"]


async def test_single_sign_on_reaches_a_second_client_without_a_login(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id))
    other = await add_app(rt.store, name="Other App")
    start = await client.get("/authorize", params=request_params(other.client_id))
    assert location(start).startswith("/u/consent?")
    page = await follow(client, start)
    assert "Other App" in page.text
    assert callback(await submit(client, page, decision="allow"))["code"]


async def test_deny_sends_access_denied_with_state_and_iss(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    page = await follow(client, await sign_in(client, await follow(client, start)))
    params = callback(await submit(client, page, decision="deny"))
    assert params["error"] == "access_denied" and "code" not in params
    assert params["state"] == "state-1" and params["iss"] == ISSUER
    again = await client.get("/authorize", params=request_params(app_client.client_id))
    assert location(again).startswith("/u/consent?")  # A refusal is not remembered.
    async with rt.store.transaction() as tx:
        events = [event.event for event in await tx.audit.tail(5)]
    assert "consent.denied" in events


async def test_form_post_delivers_the_response_by_a_self_submitting_page(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    params = request_params(app_client.client_id, response_mode="form_post")
    start = await client.get("/authorize", params=params)
    page = await follow(client, await sign_in(client, await follow(client, start)))
    answer = await submit(client, page, decision="allow")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    parsed = parse_page(answer.text)
    form = form_of(answer.text)
    assert form.method == "POST" and form.action == REDIRECT_URI
    assert set(form.fields) == {"code", "state", "iss"} and form.fields["iss"] == ISSUER
    assert parsed.scripts == [{"src": "/static/form_post.js", "defer": None}]
    policy = answer.headers["content-security-policy"]
    assert "form-action 'self' https://app.test;" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    script = await client.get("/static/form_post.js")
    assert script.status_code == 200 and "authorization-response" in script.text


async def test_a_form_encoded_post_to_authorize_is_accepted(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    start = await client.post("/authorize", data=request_params(app_client.client_id))
    assert start.status_code == 303 and location(start).startswith("/u/login?")


async def test_errors_after_the_redirect_uri_is_trusted_go_to_the_client(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    response = await client.get(
        "/authorize", params=request_params(app_client.client_id, scope="openid admin")
    )
    params = callback(response)
    assert params["error"] == "invalid_scope" and params["error_description"]
    assert params["state"] == "state-1" and params["iss"] == ISSUER


async def test_a_repeated_parameter_is_invalid_request_sent_to_the_client(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    query = httpx.QueryParams(request_params(app_client.client_id)).add("scope", "openid")
    params = callback(await client.get("/authorize", params=query))
    assert params["error"] == "invalid_request" and params["state"] == "state-1"


async def test_an_unknown_audience_is_invalid_target(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    response = await client.get(
        "/authorize", params=request_params(app_client.client_id, audience="https://nope.test")
    )
    assert callback(response)["error"] == "invalid_target"


async def test_an_unknown_client_gets_a_readable_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/authorize", params=request_params("no-such-client"))
    assert response.status_code == 400 and "location" not in response.headers
    assert "Something went wrong" in response.text and "invalid_client" in response.text


async def test_the_consent_page_without_a_session_sends_to_the_login_page(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await sign_in_and_consent(client, request_params(app_client.client_id, scope="openid"))
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    consent_url = location(start)
    client.cookies.clear()
    response = await client.get(consent_url)
    assert location(response).startswith("/u/login?")
    assert dict(parse_qsl(urlsplit(location(response)).query)) == dict(
        parse_qsl(urlsplit(consent_url).query)
    )


async def test_a_consent_submitted_twice_issues_one_code(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    page = await follow(client, await sign_in(client, await follow(client, start)))
    assert callback(await submit(client, page, decision="allow"))["code"]
    second = await submit(client, page, decision="allow")
    assert second.status_code == 400 and "location" not in second.headers
    assert "expired or was already completed" in second.text


async def test_consent_for_a_different_signed_in_person_is_not_taken(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    await add_person(rt.store, "bob")
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    page = await follow(client, await sign_in(client, await follow(client, start)))
    # Another tab signs in as Bob before Alice's consent form is sent.
    other = await client.get(
        "/authorize", params=request_params(app_client.client_id, prompt="login")
    )
    await sign_in(client, await follow(client, other), username="bob")
    response = await submit(client, page, decision="allow")
    assert location(response).startswith("/u/consent?")
    again = await follow(client, response)
    assert "Bob" in again.text


async def test_an_expired_sign_in_shows_a_page(
    client: httpx.AsyncClient, app_client: Client, clock: Clock
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    login_page = await follow(client, start)
    clock.advance(901)
    response = await sign_in(client, login_page)
    assert response.status_code == 400 and "location" not in response.headers
    assert "expired" in response.text


async def test_a_client_removed_during_sign_in_is_not_redirected_to(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    async with rt.store.transaction() as tx:
        await tx.clients.delete(app_client.client_id)
    response = await follow(client, start)
    assert response.status_code == 400 and "invalid_client" in response.text


async def test_interaction_ids_are_random_and_stored_as_digests(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    interaction = dict(parse_qsl(urlsplit(location(start)).query))["interaction"]
    assert re.fullmatch(r"tsr_ix_[A-Za-z0-9_-]{43}", interaction)
    async with rt.store.transaction() as tx:
        rows = await tx.conn.fetch_all("SELECT id_hash, payload FROM interactions")
    assert len(rows) == 1 and interaction.encode() not in bytes(rows[0]["id_hash"])
    assert interaction not in rows[0]["payload"]


async def test_without_an_api_the_consent_page_lists_only_account_scopes(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    params = request_params(app_client.client_id, audience=None, scope="openid email")
    page = await follow(
        client,
        await sign_in(client, await follow(client, await client.get("/authorize", params=params))),
    )
    assert "Your email address" in page.text and "Example API" not in page.text
    assert callback(await submit(client, page, decision="allow"))["code"]


async def test_an_audience_without_scopes_is_shown_as_use_of_the_api(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    params = request_params(app_client.client_id, scope=None)
    page = await follow(
        client,
        await sign_in(client, await follow(client, await client.get("/authorize", params=params))),
    )
    assert "Use Example API on your behalf" in page.text
