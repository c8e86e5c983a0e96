"""RP-initiated logout at /logout, both engines."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.models import Client
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.authorize import (
    PKCE,
    add_app,
    add_person,
    callback,
    location,
    redeem,
    request_params,
    sign_in_and_consent,
    submit,
)
from tests.support.grants import add_api
from tests.support.pages import form_of

LOGGED_OUT = "https://app.test/logged-out"


@pytest.fixture
async def app_client(rt: Runtime) -> Client:
    await add_api(rt.store)
    await add_person(rt.store)
    await add_person(rt.store, "bob")
    return await add_app(rt.store, post_logout_redirect_uris=(LOGGED_OUT,))


async def id_token(http: httpx.AsyncClient, app_client: Client, username: str = "alice") -> str:
    pkce = PKCE()
    params = request_params(app_client.client_id, pkce)
    code = (await sign_in_and_consent(http, params, username=username))["code"]
    return str((await redeem(http, app_client.client_id, code, pkce))["id_token"])


async def signed_in(http: httpx.AsyncClient, app_client: Client) -> bool:
    response = await http.get(
        "/authorize", params=request_params(app_client.client_id, prompt="none")
    )
    return "code" in callback(response)


async def test_a_hint_for_this_session_signs_out_and_returns_with_state(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client
) -> None:
    hint = await id_token(client, app_client)
    response = await client.get(
        "/logout",
        params={"id_token_hint": hint, "post_logout_redirect_uri": LOGGED_OUT, "state": "bye"},
    )
    assert location(response) == f"{LOGGED_OUT}?state=bye"
    assert 'tessera_session=""' in response.headers["set-cookie"]
    assert not await signed_in(client, app_client)
    async with rt.store.transaction() as tx:
        assert (await tx.audit.tail(1))[0].event == "logout"


async def test_without_a_hint_the_person_confirms_on_a_page(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await id_token(client, app_client)
    page = await client.get("/logout")
    assert page.status_code == 200 and "Sign out?" in page.text
    assert await signed_in(client, app_client)
    done = await submit(client, page)
    assert done.status_code == 200 and "You are signed out" in done.text
    assert not await signed_in(client, app_client)


async def test_the_confirmation_carries_the_redirect_through(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    await id_token(client, app_client)
    page = await client.get(
        "/logout",
        params={
            "client_id": app_client.client_id,
            "post_logout_redirect_uri": LOGGED_OUT,
            "state": "s",
        },
    )
    assert "Test App" in page.text
    assert "form-action 'self' https://app.test;" in page.headers["content-security-policy"]
    assert location(await submit(client, page)) == f"{LOGGED_OUT}?state=s"


async def test_a_hint_for_someone_else_asks_for_confirmation(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    bobs = await id_token(client, app_client, username="bob")
    client.cookies.clear()
    await id_token(client, app_client)
    page = await client.get("/logout", params={"id_token_hint": bobs})
    assert page.status_code == 200 and form_of(page.text).action == "/logout"
    assert await signed_in(client, app_client)


async def test_an_expired_hint_is_still_accepted(
    client: httpx.AsyncClient, app_client: Client, clock: Clock
) -> None:
    hint = await id_token(client, app_client)
    clock.advance(36_001)
    response = await client.get(
        "/logout", params={"id_token_hint": hint, "post_logout_redirect_uri": LOGGED_OUT}
    )
    assert location(response) == LOGGED_OUT


async def test_without_a_session_the_client_is_sent_back_at_once(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    response = await client.get(
        "/logout",
        params={"client_id": app_client.client_id, "post_logout_redirect_uri": LOGGED_OUT},
    )
    assert location(response) == LOGGED_OUT


@pytest.mark.parametrize(
    "params",
    [
        {"id_token_hint": "not.a.jwt"},
        {"client_id": "nobody"},
        {"post_logout_redirect_uri": LOGGED_OUT},
        {"post_logout_redirect_uri": "https://evil.test/", "client_id": "CLIENT"},
        {"id_token_hint": "HINT", "client_id": "other"},
    ],
    ids=["bad-hint", "unknown-client", "no-client", "unregistered-uri", "client-mismatch"],
)
async def test_an_invalid_logout_request_is_a_page_never_a_redirect(
    client: httpx.AsyncClient, app_client: Client, params: dict[str, str]
) -> None:
    hint = await id_token(client, app_client)
    filled = {
        name: {"CLIENT": app_client.client_id, "HINT": hint}.get(value, value)
        for name, value in params.items()
    }
    response = await client.get("/logout", params=filled)
    assert response.status_code == 400 and "location" not in response.headers
    assert await signed_in(client, app_client)


async def test_an_access_token_is_not_an_id_token_hint(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    pkce = PKCE()
    code = (await sign_in_and_consent(client, request_params(app_client.client_id, pkce)))["code"]
    access_token = (await redeem(client, app_client.client_id, code, pkce))["access_token"]
    response = await client.get("/logout", params={"id_token_hint": access_token})
    assert response.status_code == 400
