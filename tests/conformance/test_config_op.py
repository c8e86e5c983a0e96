"""The OpenID Foundation's Config OP certification plan (oidcc-config-certification-test-plan),
mirrored against a real `tessera serve`: the discovery document (OpenID Connect
Discovery 1.0 sections 3 and 4) and the keys it points to, and that what it says is
what the server does."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.relying_party import OpenIDProvider, RelyingParty
from tests.support.tokens import header_of

pytestmark = pytest.mark.integration

REQUIRED = {
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
}
PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def test_oidcc_discovery_endpoint_verification(op: OpenIDProvider) -> None:
    """oidcc-discovery-endpoint-verification: the document is JSON at the issuer's
    well-known path, names the issuer exactly, and has every required member."""
    response = httpx.get(f"{op.server.issuer}/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    metadata = response.json()
    assert metadata["issuer"] == op.server.issuer  # Discovery 4.3: exactly.
    assert metadata.keys() >= REQUIRED
    origin = urlsplit(op.server.issuer).netloc
    for name, value in metadata.items():
        if name.endswith(("_endpoint", "_uri")):
            assert urlsplit(value).netloc == origin, name
    assert "code" in metadata["response_types_supported"]
    assert "public" in metadata["subject_types_supported"]
    assert "RS256" in metadata["id_token_signing_alg_values_supported"]  # Discovery 3
    assert "none" not in metadata["id_token_signing_alg_values_supported"]
    assert "openid" in metadata["scopes_supported"]
    assert {"sub", "iss", "aud", "exp", "iat"} <= set(metadata["claims_supported"])
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert {"client_secret_basic", "client_secret_post"} <= set(
        metadata["token_endpoint_auth_methods_supported"]
    )


def test_oidcc_discovery_agrees_with_rfc8414_metadata(op: OpenIDProvider) -> None:
    """RFC 8414 3: the OAuth metadata names the same issuer and endpoints."""
    oauth = httpx.get(f"{op.server.issuer}/.well-known/oauth-authorization-server").json()
    shared = oauth.keys() & op.metadata.keys()
    assert {"issuer", "token_endpoint", "jwks_uri"} <= shared
    assert {name: oauth[name] for name in shared} == {name: op.metadata[name] for name in shared}


def test_oidcc_jwks_publish_public_signing_keys_only(op: OpenIDProvider) -> None:
    """The jwks_uri document: public keys with distinct kids, meant for signatures."""
    response = httpx.get(op.metadata["jwks_uri"])
    assert response.status_code == 200
    keys = response.json()["keys"]
    assert keys and len({key["kid"] for key in keys}) == len(keys)
    for key in keys:
        assert not PRIVATE_MEMBERS & key.keys(), key["kid"]
        assert key.get("use", "sig") == "sig"


def test_oidcc_idtoken_rs256_verifies_with_the_published_key(rp: RelyingParty) -> None:
    """oidcc-idtoken-rs256: the default client's ID token is RS256, signed by the RSA key
    its kid names in the JWKS (the signature is checked in rp.tokens)."""
    tokens, _ = rp.tokens()
    header = header_of(tokens["id_token"])
    assert header["alg"] == "RS256"
    assert set(header) <= {"alg", "kid", "typ"}  # No x5u, x5c, jku or jwk (OIDC Core 2).
    assert rp.op.jwks().get_by_kid(header["kid"]).key_type == "RSA"


def test_oidcc_advertised_prompts_and_modes_work(rp: RelyingParty) -> None:
    """Discovery advertises exactly what is implemented: every prompt value and response
    mode it lists is accepted."""
    assert set(rp.op.metadata["prompt_values_supported"]) == {"none", "login", "consent"}
    rp.tokens()
    for mode in rp.op.metadata["response_modes_supported"]:
        request = rp.request(response_mode=mode)
        response = rp.start(request)
        if mode == "form_post":
            assert response.status_code == 200 and "<form" in response.text
            assert request.redirect_uri in response.text
        else:
            assert rp.callback(response, request)["code"]
