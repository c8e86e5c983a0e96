"""CORS (the Fetch standard's protocol) where browser apps call tessera.

The app client (public, redirect URI on https://app.test) allows its redirect URI's
origin; another client registers https://other.test; https://unknown.test is nobody's.
Per endpoint: the client's own origin is named, another client's and an unknown one are
not, errors are readable by the client's origin, preflights are answered for known
origins only and say nothing else, never with credentials, always with `Vary: Origin`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    RegisteredClient,
    add_client,
    add_grant,
    authenticate,
    code_form,
    obtain_tokens,
)
from tests.support.tokens import bearer

OWN = "https://app.test"
OTHER = "https://other.test"
UNKNOWN = "https://unknown.test"
CORS_HEADERS = (
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-max-age",
    "access-control-expose-headers",
)


@pytest.fixture
async def other_client(rt: Runtime) -> RegisteredClient:
    return await add_client(
        rt.store, public=True, redirect_uris=["https://other.test/cb"], web_origins=[OTHER]
    )


@pytest.fixture
async def tokens(
    client: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    other_client: RegisteredClient,
    clock: Clock,
) -> dict[str, Any]:
    return await obtain_tokens(client, rt.store, app_client, now=int(clock.now))


def assert_named(response: httpx.Response, origin: str) -> None:
    assert response.headers["access-control-allow-origin"] == origin
    assert "Origin" in response.headers["vary"]
    assert "access-control-allow-credentials" not in response.headers


def assert_not_named(response: httpx.Response) -> None:
    assert not [name for name in CORS_HEADERS if name in response.headers]
    assert "access-control-allow-credentials" not in response.headers


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server",
        "/.well-known/jwks.json",
    ],
)
async def test_public_documents_are_readable_from_any_page(
    client: httpx.AsyncClient, path: str
) -> None:
    for headers in ({}, {"Origin": UNKNOWN}):
        response = await client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers
    asked = {"Origin": UNKNOWN, "Access-Control-Request-Method": "GET"}
    preflight = await client.options(path, headers=asked)
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


async def _token_request(
    http: httpx.AsyncClient,
    rt: Runtime,
    app_client: RegisteredClient,
    clock: Clock,
    origin: str | None,
) -> httpx.Response:
    issued = await add_grant(rt.store, app_client, now=int(clock.now))
    form = code_form(issued)
    headers = authenticate(app_client, form)
    if origin is not None:
        headers["Origin"] = origin
    return await http.post("/oauth/token", data=form, headers=headers)


@pytest.mark.usefixtures("other_client")
async def test_the_token_endpoint_names_only_the_clients_own_origin(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    own = await _token_request(client, rt, app_client, clock, OWN)
    assert own.status_code == 200 and "access_token" in own.json()
    assert_named(own, OWN)
    assert "WWW-Authenticate" in own.headers["access-control-expose-headers"]
    for origin in (OTHER, UNKNOWN):
        answer = await _token_request(client, rt, app_client, clock, origin)
        # The normal answer: the browser, not tessera, keeps it from the page.
        assert answer.status_code == 200 and "access_token" in answer.json()
        assert_not_named(answer)
        assert "Origin" in answer.headers["vary"]
    without = await _token_request(client, rt, app_client, clock, None)
    assert without.status_code == 200 and without.headers["vary"] == "Origin"
    assert_not_named(without)


@pytest.mark.usefixtures("other_client")
async def test_token_errors_are_readable_by_the_named_clients_origin_only(
    client: httpx.AsyncClient, app_client: RegisteredClient
) -> None:
    form = {"grant_type": "authorization_code", "code": "tsr_ac_nope", "code_verifier": "x" * 43}
    form["redirect_uri"] = "https://app.test/callback"
    form["client_id"] = app_client.client_id
    refused = await client.post("/oauth/token", data=form, headers={"Origin": OWN})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert_named(refused, OWN)
    elsewhere = await client.post("/oauth/token", data=form, headers={"Origin": OTHER})
    assert elsewhere.status_code == 400
    assert_not_named(elsewhere)
    unknown_client = {**form, "client_id": "nobody"}
    unauthenticated = await client.post(
        "/oauth/token", data=unknown_client, headers={"Origin": OWN}
    )
    assert unauthenticated.status_code == 401
    assert_not_named(unauthenticated)


@pytest.mark.usefixtures("app_client", "other_client")
async def test_a_request_naming_no_client_is_readable_by_any_registered_origin(
    client: httpx.AsyncClient,
) -> None:
    """Refused before a client could be read from it: the page of a known origin may
    still read why; an unknown origin may not."""
    form = {"grant_type": "authorization_code", "code": "tsr_ac_nope"}
    for origin in (OWN, OTHER):
        refused = await client.post("/oauth/token", data=form, headers={"Origin": origin})
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        assert_named(refused, origin)
    unknown = await client.post("/oauth/token", data=form, headers={"Origin": UNKNOWN})
    assert_not_named(unknown)


async def test_revocation_names_only_the_clients_own_origin(
    client: httpx.AsyncClient, app_client: RegisteredClient, tokens: dict[str, Any]
) -> None:
    for origin, named in ((OWN, True), (OTHER, False), (UNKNOWN, False)):
        form = {"token": tokens["access_token"]}
        headers = {**authenticate(app_client, form), "Origin": origin}
        response = await client.post("/oauth/revoke", data=form, headers=headers)
        assert response.status_code == 200
        if named:
            assert_named(response, origin)
        else:
            assert_not_named(response)
        assert "Origin" in response.headers["vary"]
    missing = {"client_id": app_client.client_id}
    refused = await client.post("/oauth/revoke", data=missing, headers={"Origin": OWN})
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"
    assert_named(refused, OWN)


async def test_userinfo_names_only_the_origin_of_the_tokens_client(
    client: httpx.AsyncClient, tokens: dict[str, Any]
) -> None:
    own = await client.get("/userinfo", headers={**bearer(tokens["access_token"]), "Origin": OWN})
    assert own.status_code == 200 and "sub" in own.json()
    assert_named(own, OWN)
    for origin in (OTHER, UNKNOWN):
        answer = await client.get(
            "/userinfo", headers={**bearer(tokens["access_token"]), "Origin": origin}
        )
        assert answer.status_code == 200
        assert_not_named(answer)
        assert "Origin" in answer.headers["vary"]


@pytest.mark.usefixtures("app_client", "other_client")
async def test_a_userinfo_refusal_is_readable_with_its_challenge_by_a_registered_origin(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.get("/userinfo", headers={**bearer("not.a.jwt"), "Origin": OWN})
    assert refused.status_code == 401 and "invalid_token" in refused.headers["www-authenticate"]
    assert_named(refused, OWN)
    assert "WWW-Authenticate" in refused.headers["access-control-expose-headers"]
    unknown = await client.get("/userinfo", headers={**bearer("not.a.jwt"), "Origin": UNKNOWN})
    assert unknown.status_code == 401
    assert_not_named(unknown)


@pytest.mark.usefixtures("app_client", "other_client")
@pytest.mark.parametrize(
    ("path", "methods"),
    [("/oauth/token", "POST"), ("/oauth/revoke", "POST"), ("/userinfo", "GET, POST")],
)
async def test_a_preflight_is_answered_for_registered_origins_only(
    client: httpx.AsyncClient, path: str, methods: str
) -> None:
    asked = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    for origin in (OWN, OTHER):
        allowed = await client.options(path, headers={**asked, "Origin": origin})
        assert allowed.status_code == 204 and allowed.content == b""
        assert_named(allowed, origin)
        assert allowed.headers["access-control-allow-methods"] == methods
        assert allowed.headers["access-control-allow-headers"] == "Authorization, Content-Type"
        assert allowed.headers["access-control-max-age"] == "600"
    refusals = [
        await client.options(path, headers={**asked, "Origin": UNKNOWN}),
        await client.options(path, headers={**asked, "Origin": "null"}),
        await client.options(path, headers={"Origin": OWN}),
        await client.options(path),
    ]
    for refused in refusals:
        assert refused.status_code == 204 and refused.content == b""
        assert_not_named(refused)
    # Whatever the reason, the refusal is the same answer: it tells no client apart.
    shapes = {
        tuple(sorted((k, v) for k, v in r.headers.items() if k != "x-request-id")) for r in refusals
    }
    assert len(shapes) == 1


@pytest.mark.usefixtures("app_client")
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/authorize"),
        ("OPTIONS", "/authorize"),
        ("GET", "/u/login"),
        ("OPTIONS", "/u/login"),
        ("POST", "/oauth/introspect"),
        ("OPTIONS", "/oauth/introspect"),
        ("GET", "/logout"),
        ("GET", "/admin/v1/clients"),
        ("OPTIONS", "/admin/v1/clients"),
        ("GET", "/admin/v1/openapi.json"),
    ],
)
async def test_no_cors_where_browsers_navigate_or_back_ends_call(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    headers = {"Origin": OWN, "Access-Control-Request-Method": "POST"}
    response = await client.request(method, path, headers=headers)
    assert_not_named(response)
