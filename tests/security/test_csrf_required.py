"""Security rule: every form needs this browser's CSRF token and must come from our origin."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tessera.core.models import Client
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.authorize import (
    PASSWORD,
    add_app,
    add_person,
    follow,
    location,
    request_params,
    sign_in,
    sign_in_and_consent,
)
from tests.support.grants import add_api
from tests.support.pages import form_of


@pytest.fixture
async def app_client(rt: Runtime) -> Client:
    await add_api(rt.store)
    await add_person(rt.store)
    return await add_app(rt.store)


async def pages(http: httpx.AsyncClient, app_client: Client) -> dict[str, httpx.Response]:
    """The login, consent and logout forms of one browser."""
    await sign_in_and_consent(http, request_params(app_client.client_id, scope="openid"))
    start = await http.get("/authorize", params=request_params(app_client.client_id))
    consent = await follow(http, start)
    login = await follow(
        http,
        await http.get("/authorize", params=request_params(app_client.client_id, prompt="login")),
    )
    return {"login": login, "consent": consent, "logout": await http.get("/logout")}


def values(page: httpx.Response, **extra: str) -> dict[str, str]:
    form = form_of(page.text)
    return {**form.fields, "username": "alice", "password": PASSWORD, "decision": "allow", **extra}


@pytest.mark.parametrize("page", ["login", "consent", "logout"])
@pytest.mark.parametrize(
    "tamper",
    ["no-token", "wrong-token", "no-cookie", "foreign-origin", "cross-site-fetch"],
)
async def test_a_form_without_proof_of_origin_is_refused(
    client: httpx.AsyncClient, app_client: Client, page: str, tamper: str
) -> None:
    forms = await pages(client, app_client)
    form = form_of(forms[page].text)
    data = values(forms[page])
    headers: dict[str, str] = {}
    if tamper == "no-token":
        data.pop("csrf_token")
    elif tamper == "wrong-token":
        data["csrf_token"] = "A" * 43
    elif tamper == "no-cookie":
        client.cookies.delete("tessera_csrf")
    elif tamper == "foreign-origin":
        headers["Origin"] = "https://evil.test"
    else:
        headers["Sec-Fetch-Site"] = "cross-site"
    response = await client.post(form.action, data=data, headers=headers)
    if page == "logout" and tamper == "no-token":
        # Without a token it is a client's own logout request: it is asked again.
        assert response.status_code == 200 and "Sign out?" in response.text
    else:
        assert response.status_code == 403, response.text
        assert "location" not in response.headers
    assert "code=" not in response.headers.get("location", "")


async def test_a_form_from_our_own_pages_passes(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    login = (await pages(client, app_client))["login"]
    headers = {"Origin": ISSUER, "Sec-Fetch-Site": "same-origin"}
    response = await client.post("/u/login", data=values(login), headers=headers)
    assert response.status_code == 303 and location(response).startswith("/u/consent?")


async def test_origin_null_is_accepted_because_no_referrer_makes_browsers_send_it(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    login = (await pages(client, app_client))["login"]
    response = await client.post("/u/login", data=values(login), headers={"Origin": "null"})
    assert response.status_code == 303 and location(response).startswith("/u/consent?")


async def test_login_csrf_cannot_sign_a_victim_into_the_attackers_account(
    client: httpx.AsyncClient, app: Starlette, app_client: Client
) -> None:
    """The attacker's own login page gives a token bound to the attacker's browser."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as attacker:
        start = await attacker.get("/authorize", params=request_params(app_client.client_id))
        stolen = form_of((await follow(attacker, start)).text).fields
    victim_start = await client.get("/authorize", params=request_params(app_client.client_id))
    await follow(client, victim_start)  # The victim has a CSRF cookie of their own.
    response = await client.post(
        "/u/login", data={**stolen, "username": "alice", "password": PASSWORD}
    )
    assert response.status_code == 403


async def test_the_token_is_a_random_cookie_bound_value(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    start = await client.get("/authorize", params=request_params(app_client.client_id))
    page = await follow(client, start)
    token = form_of(page.text).fields["csrf_token"]
    assert len(token) == 43 and client.cookies["tessera_csrf"] == token
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=lax" in page.headers["set-cookie"]
    again = await sign_in(client, page, password="wrong")
    assert form_of(again.text).fields["csrf_token"] == token  # Stable across pages and tabs.
