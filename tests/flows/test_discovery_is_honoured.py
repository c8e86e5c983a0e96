"""Every value the discovery document advertises works when a client uses it, and a
value next to it that is not advertised is refused: the document is read from the
server and each entry is exercised by a request, never compared with the code that
built it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tessera.core.models import AuthMethod, GrantType
from tessera.crypto.keys import Algorithm
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.authorize import request_params
from tests.support.grants import (
    API_ID,
    add_api,
    add_client,
    add_grant,
    add_user,
    authenticate,
    code_form,
)
from tests.support.tokens import claims_of, header_of

ALL_GRANTS = [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN, GrantType.CLIENT_CREDENTIALS]


@pytest.fixture
async def document(client: httpx.AsyncClient, rt: Runtime) -> dict[str, Any]:
    await add_user(rt.store)
    await add_api(rt.store)
    metadata: dict[str, Any] = (await client.get("/.well-known/openid-configuration")).json()
    return metadata


async def _authorize(http: httpx.AsyncClient, client_id: str, **params: str) -> str:
    """Where /authorize sends the browser: the sign-in page, or the client with an error."""
    response = await http.get("/authorize", params=request_params(client_id, **params))
    assert response.status_code in (302, 303), response.text
    location: str = response.headers["location"]
    return location


async def test_every_advertised_endpoint_answers(
    client: httpx.AsyncClient, document: dict[str, Any]
) -> None:
    endpoints = [value for key, value in document.items() if key.endswith("_endpoint")]
    endpoints.append(document["jwks_uri"])
    assert len(endpoints) == 7
    for url in endpoints:
        assert url.startswith(ISSUER + "/"), url
        response = await client.get(url.removeprefix(ISSUER))
        assert response.status_code not in (404, 500), url


async def test_each_advertised_response_type_mode_pkce_method_prompt_and_scope_is_accepted(
    client: httpx.AsyncClient, rt: Runtime, document: dict[str, Any]
) -> None:
    app = await add_client(rt.store, public=True)
    accepted = {
        "response_type": document["response_types_supported"],
        "response_mode": document["response_modes_supported"],
        "code_challenge_method": document["code_challenge_methods_supported"],
        "prompt": [p for p in document["prompt_values_supported"] if p != "none"],
        "scope": [f"openid {scope}" for scope in document["scopes_supported"]],
    }
    for name, values in accepted.items():
        assert values, name
        for value in values:
            location = await _authorize(client, app.client_id, **{name: value})
            assert location.startswith("/u/login"), (name, value, location)
    # prompt=none is honoured by answering the client: nobody is signed in.
    assert "error=login_required" in await _authorize(client, app.client_id, prompt="none")


@pytest.mark.parametrize(
    ("name", "value", "listed_in", "error"),
    [
        ("response_type", "token", "response_types_supported", "unsupported_response_type"),
        ("response_mode", "fragment", "response_modes_supported", "invalid_request"),
        ("code_challenge_method", "plain", "code_challenge_methods_supported", "invalid_request"),
        ("prompt", "select_account", "prompt_values_supported", "invalid_request"),
        ("scope", "openid phone", "scopes_supported", "invalid_scope"),
    ],
)
async def test_a_value_not_advertised_is_refused(
    client: httpx.AsyncClient,
    rt: Runtime,
    document: dict[str, Any],
    name: str,
    value: str,
    listed_in: str,
    error: str,
) -> None:
    assert value.split()[-1] not in document[listed_in]
    app = await add_client(rt.store, public=True)
    assert f"error={error}" in await _authorize(client, app.client_id, **{name: value})


async def test_each_advertised_grant_type_is_served_and_no_other(
    client: httpx.AsyncClient, rt: Runtime, document: dict[str, Any], clock: Clock
) -> None:
    app = await add_client(rt.store, grant_types=ALL_GRANTS, apis=[API_ID])
    issued = await add_grant(rt.store, app, now=int(clock.now))
    forms = {
        "authorization_code": code_form(issued),
        "client_credentials": {"grant_type": "client_credentials", "audience": API_ID},
    }
    tokens: dict[str, Any] = {}
    for grant_type in document["grant_types_supported"]:
        form = forms.get(grant_type)
        if grant_type == "refresh_token":
            form = {"grant_type": grant_type, "refresh_token": tokens["refresh_token"]}
        assert form is not None, grant_type
        response = await client.post("/oauth/token", data=form, headers=authenticate(app, form))
        assert response.status_code == 200, (grant_type, response.text)
        tokens = response.json()
    form = {"grant_type": "password", "username": "alice", "password": "x"}
    refused = await client.post("/oauth/token", data=form, headers=authenticate(app, form))
    assert refused.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        ("token_endpoint_auth_methods_supported", "/oauth/token"),
        ("revocation_endpoint_auth_methods_supported", "/oauth/revoke"),
        ("introspection_endpoint_auth_methods_supported", "/oauth/introspect"),
    ],
)
async def test_each_advertised_client_authentication_method_authenticates(
    client: httpx.AsyncClient, rt: Runtime, document: dict[str, Any], endpoint: str, path: str
) -> None:
    methods = document[endpoint]
    assert methods
    for method in methods:
        app = await add_client(
            rt.store,
            public=method == AuthMethod.NONE,
            auth_method=AuthMethod(method),
            grant_types=[GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN],
        )
        form = {"token": "unknown", "grant_type": "refresh_token", "refresh_token": "unknown"}
        response = await client.post(path, data=form, headers=authenticate(app, form))
        # Authenticated: the endpoint then judges the token (RFC 7009 and 7662 answer
        # 200 for an unknown one, the token endpoint invalid_grant).
        assert response.status_code in (200, 400), (method, response.text)
        if response.status_code == 400:
            assert response.json()["error"] == "invalid_grant", (method, response.text)


async def test_each_advertised_signing_algorithm_signs_id_tokens(
    client: httpx.AsyncClient, rt: Runtime, document: dict[str, Any], clock: Clock
) -> None:
    for alg in document["id_token_signing_alg_values_supported"]:
        app = await add_client(rt.store, id_token_alg=Algorithm(alg))
        issued = await add_grant(rt.store, app, now=int(clock.now))
        form = code_form(issued)
        response = await client.post("/oauth/token", data=form, headers=authenticate(app, form))
        assert header_of(response.json()["id_token"])["alg"] == alg


async def test_the_claims_tessera_issues_are_advertised(
    client: httpx.AsyncClient, rt: Runtime, document: dict[str, Any], clock: Clock
) -> None:
    app = await add_client(rt.store)
    issued = await add_grant(rt.store, app, now=int(clock.now))
    form = code_form(issued)
    tokens = (await client.post("/oauth/token", data=form, headers=authenticate(app, form))).json()
    userinfo = await client.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    id_claims = claims_of(tokens["id_token"], rt.keyring.verification_keys, ISSUER, clock.now)
    assert set(id_claims) | set(userinfo.json()) <= set(document["claims_supported"])
