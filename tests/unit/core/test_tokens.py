"""Token claim sets (RFC 9068, OIDC Core 3.1.3.6) and the token response (RFC 6749 5.1)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tessera.core.models import TWO_FACTORS, AuthMethod, Client, Grant, User, acr_of
from tessera.core.tokens import (
    RefreshLifetimes,
    RefreshPolicy,
    TokenPolicy,
    TokenResponse,
    build_access_token_claims,
    build_id_token_claims,
    build_jti,
    build_profile_claims,
    grant_id_of,
)

NOW = 1_800_000_000
POLICY = TokenPolicy(
    issuer="https://as.test",
    access_token_lifetime=86400,
    id_token_lifetime=36000,
    refresh=RefreshPolicy(
        confidential=RefreshLifetimes(sliding=2_592_000, absolute=31_536_000),
        public=RefreshLifetimes(sliding=86_400, absolute=604_800),
    ),
)
USER = User(id="u1", username="alice", email="alice@x.test", email_verified=True, name="Alice")
CLIENT = Client(client_id="app", name="App", redirect_uris=("https://app.test/cb",))
GRANT = Grant(
    id="g1",
    client_id="app",
    user_id="u1",
    session_id="sid-1",
    redirect_uri="https://app.test/cb",
    scope=frozenset({"openid"}),
    audience=None,
    code_challenge="c" * 43,
    nonce="n-1",
    auth_time=NOW - 30,
    created_at=NOW,
    code_expires_at=NOW + 60,
    expires_at=NOW + 1000,
)


def test_jti_names_its_grant_and_only_then() -> None:
    assert grant_id_of(build_jti("g1", "rnd")) == "g1"
    assert grant_id_of(build_jti(None, "rnd")) is None


def test_access_token_claims_follow_rfc9068() -> None:
    claims = build_access_token_claims(
        policy=POLICY,
        subject="u1",
        client_id="app",
        audience="https://api.test",
        scope=frozenset({"read", "openid"}),
        now=NOW,
        lifetime=600,
        jti="g1.x",
        auth_time=NOW - 30,
    )
    assert claims == {
        "iss": "https://as.test",
        "sub": "u1",
        "aud": "https://api.test",
        "client_id": "app",
        "scope": "openid read",
        "iat": NOW,
        "exp": NOW + 600,
        "jti": "g1.x",
        "auth_time": NOW - 30,
    }


def test_machine_access_token_has_no_auth_time() -> None:
    claims = build_access_token_claims(
        policy=POLICY,
        subject="app",
        client_id="app",
        audience="https://api.test",
        scope=frozenset(),
        now=NOW,
        lifetime=60,
        jti="x",
        auth_time=None,
    )
    assert "auth_time" not in claims and claims["scope"] == ""


@pytest.mark.parametrize(
    ("scope", "user", "expected"),
    [
        ({"openid"}, USER, {}),
        ({"profile"}, USER, {"preferred_username": "alice", "name": "Alice"}),
        ({"profile"}, User(id="u2", username="bob"), {"preferred_username": "bob"}),
        ({"email"}, USER, {"email": "alice@x.test", "email_verified": True}),
        ({"email"}, User(id="u2", username="bob"), {}),
    ],
    ids=["openid-only", "profile", "profile-without-name", "email", "email-without-address"],
)
def test_profile_claims_follow_the_scope(
    scope: set[str], user: User, expected: dict[str, object]
) -> None:
    assert build_profile_claims(user, frozenset(scope)) == expected


def test_id_token_claims_follow_oidc_core() -> None:
    claims = build_id_token_claims(
        policy=POLICY,
        grant=GRANT,
        client=CLIENT,
        user=USER,
        scope=frozenset({"openid", "email"}),
        now=NOW,
        at_hash="half",
        nonce="n-1",
    )
    assert claims == {
        "iss": "https://as.test",
        "sub": "u1",
        "aud": "app",
        "azp": "app",
        "exp": NOW + 36000,
        "iat": NOW,
        "auth_time": NOW - 30,
        "amr": ["pwd"],
        "acr": "urn:tessera:acr:pwd",
        "at_hash": "half",
        "nonce": "n-1",
        "sid": "sid-1",
        "email": "alice@x.test",
        "email_verified": True,
    }


def test_id_token_without_nonce_or_session_omits_them() -> None:
    grant = Grant(**{**{f: getattr(GRANT, f) for f in GRANT.__slots__}, "session_id": None})
    claims = build_id_token_claims(
        policy=POLICY,
        grant=grant,
        client=CLIENT,
        user=USER,
        scope=frozenset({"openid"}),
        now=NOW,
        at_hash="half",
        nonce=None,
    )
    assert "nonce" not in claims and "sid" not in claims


def test_two_factors_are_in_the_id_token_and_the_access_token() -> None:
    grant = replace(GRANT, amr=TWO_FACTORS)
    claims = build_id_token_claims(
        policy=POLICY,
        grant=grant,
        client=CLIENT,
        user=USER,
        scope=frozenset({"openid"}),
        now=NOW,
        at_hash="half",
        nonce=None,
    )
    assert (claims["amr"], claims["acr"]) == (["pwd", "otp", "mfa"], "urn:tessera:acr:mfa")
    access = build_access_token_claims(
        policy=POLICY,
        subject="u1",
        client_id="app",
        audience="https://api.test",
        scope=frozenset(),
        now=NOW,
        lifetime=60,
        jti="x",
        auth_time=NOW,
        acr=acr_of(grant.amr),
    )
    assert access["acr"] == "urn:tessera:acr:mfa"


def test_token_response_body_has_only_what_was_issued() -> None:
    minimal = TokenResponse(access_token="at", expires_in=60, scope=frozenset({"b", "a"}))
    assert minimal.body() == {
        "access_token": "at",
        "token_type": "Bearer",
        "expires_in": 60,
        "scope": "a b",
    }
    full = TokenResponse(
        access_token="at", expires_in=60, scope=frozenset(), id_token="it", refresh_token="rt"
    )
    assert full.body()["id_token"] == "it" and full.body()["refresh_token"] == "rt"


def test_token_response_repr_hides_the_tokens() -> None:
    text = repr(
        TokenResponse(
            access_token="AT-SECRET",
            expires_in=1,
            scope=frozenset(),
            id_token="ID-SECRET",
            refresh_token="RT-SECRET",
        )
    )
    assert "SECRET" not in text


CONFIDENTIAL = replace(CLIENT, auth_method=AuthMethod.CLIENT_SECRET_BASIC)


@pytest.mark.parametrize(
    ("client", "lifetimes"),
    [
        (CONFIDENTIAL, (2_592_000, 31_536_000)),
        (CLIENT, (86_400, 604_800)),
        (replace(CLIENT, refresh_sliding_lifetime=600), (600, 604_800)),
        (replace(CONFIDENTIAL, refresh_absolute_lifetime=7200), (2_592_000, 7200)),
    ],
    ids=["confidential", "public", "public-own-sliding", "confidential-own-absolute"],
)
def test_a_clients_refresh_lifetimes_are_its_own_or_its_kinds(
    client: Client, lifetimes: tuple[int, int]
) -> None:
    found = POLICY.refresh.for_client(client)
    assert (found.sliding, found.absolute) == lifetimes
