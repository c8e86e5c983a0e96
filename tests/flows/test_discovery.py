"""Discovery, JWKS and health through the real ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx

from tests.conftest import ISSUER


async def test_openid_configuration_names_the_issuer_and_endpoints(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/.well-known/openid-configuration")
    assert response.status_code == 200
    document = response.json()
    assert document["issuer"] == ISSUER
    assert document["authorization_endpoint"] == f"{ISSUER}/authorize"
    assert document["token_endpoint"] == f"{ISSUER}/oauth/token"
    assert document["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    assert document["authorization_response_iss_parameter_supported"] is True


async def test_discovery_advertises_exactly_the_enabled_signing_algorithms(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/.well-known/openid-configuration")).json()
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "ES256"]  # The default.


async def test_oauth_metadata_is_the_rfc8414_subset(client: httpx.AsyncClient) -> None:
    oauth = (await client.get("/.well-known/oauth-authorization-server")).json()
    openid = (await client.get("/.well-known/openid-configuration")).json()
    assert oauth["issuer"] == ISSUER
    assert "userinfo_endpoint" not in oauth
    assert all(openid[key] == value for key, value in oauth.items())


async def test_jwks_publishes_one_current_key_per_algorithm(client: httpx.AsyncClient) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwk-set+json"
    keys = response.json()["keys"]
    assert sorted(key["alg"] for key in keys) == ["ES256", "RS256"]  # EdDSA is off by default.
    for key in keys:
        assert key["use"] == "sig" and key["kid"]
        assert "d" not in key


async def test_healthz_answers_ok_when_the_database_does(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_every_response_has_baseline_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/.well-known/openid-configuration", "/no-such-page"):
        response = await client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert len(response.headers["x-request-id"]) == 16


async def test_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/healthz", content=b"x" * (65 * 1024))
    assert response.status_code == 413
