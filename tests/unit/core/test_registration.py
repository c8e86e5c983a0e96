"""Building clients, users and APIs from operator input."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.core.models import AuthMethod, Client, GrantType
from tessera.core.registration import (
    RegistrationError,
    build_api,
    build_client,
    build_user,
    update_client,
)
from tessera.crypto import passwords
from tessera.crypto.keys import Algorithm
from tessera.crypto.passwords import MAX_PASSWORD_LENGTH, PasswordMismatchError, verify_password
from tessera.crypto.tokens import digest

NOW = 1_800_000_000


def test_confidential_client_gets_a_prefixed_secret_stored_as_digest() -> None:
    new = build_client(name="Web", redirect_uris=["https://app.test/cb"], now=NOW)
    assert new.secret is not None and new.secret.startswith("tsr_cs_")
    assert new.client.secret_hash == digest(new.secret)
    assert new.client.auth_method is AuthMethod.CLIENT_SECRET_BASIC
    assert new.client.grant_types == {GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN}
    assert new.secret not in repr(new.client)


def test_public_client_has_no_secret() -> None:
    new = build_client(name="SPA", redirect_uris=["https://spa.test/cb"], now=NOW, public=True)
    assert new.secret is None and new.client.secret_hash is None and new.client.is_public


def test_client_ids_are_unique_and_duplicate_uris_collapse() -> None:
    uris = ["https://a.test/cb", "https://a.test/cb"]
    first = build_client(name="A", redirect_uris=uris, now=NOW)
    second = build_client(name="A", redirect_uris=uris, now=NOW)
    assert first.client.client_id != second.client.client_id
    assert first.client.redirect_uris == ("https://a.test/cb",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " "}, "name must be"),
        ({"public": True, "auth_method": AuthMethod.CLIENT_SECRET_POST}, "public client"),
        ({"auth_method": AuthMethod.NONE}, "confidential client needs"),
        ({"public": True, "grant_types": [GrantType.CLIENT_CREDENTIALS]}, "confidential"),
        ({"redirect_uris": []}, "at least one --redirect-uri"),
        ({"redirect_uris": ["not a uri"]}, "absolute URI"),
        ({"refresh_grace_seconds": 61}, "refresh grace"),
        ({"allowed_scopes": ['bad"scope']}, "scope token"),
        ({"apis": ["https://api.test"]}, "--api grants client_credentials"),
        ({"public": True, "resource_server_for": ["https://api.test"]}, "resource server"),
    ],
    ids=[
        "name",
        "public-secret",
        "confidential-none",
        "public-cc",
        "no-uri",
        "bad-uri",
        "grace",
        "scope",
        "api-without-cc",
        "public-resource-server",
    ],
)
def test_bad_client_input_is_refused(kwargs: dict[str, object], message: str) -> None:
    params: dict[str, object] = {"name": "App", "redirect_uris": ["https://a.test/cb"], "now": NOW}
    params.update(kwargs)
    with pytest.raises(RegistrationError, match=message):
        build_client(**params)  # type: ignore[arg-type]


def test_machine_client_needs_no_redirect_uri() -> None:
    new = build_client(
        name="Worker",
        redirect_uris=[],
        now=NOW,
        grant_types=[GrantType.CLIENT_CREDENTIALS],
        apis=["https://api.test"],
    )
    assert new.client.redirect_uris == () and new.secret and new.warnings == ()
    assert new.client.apis == {"https://api.test"}


def test_a_machine_client_granted_no_api_is_warned_about() -> None:
    new = build_client(
        name="Worker", redirect_uris=[], now=NOW, grant_types=[GrantType.CLIENT_CREDENTIALS]
    )
    assert new.client.apis == frozenset()
    assert new.warnings == ("without --api the client gets no client_credentials token",)


def test_a_client_that_names_no_method_may_use_either_secret_method() -> None:
    unpinned = build_client(name="Web", redirect_uris=["https://app.test/cb"], now=NOW)
    assert not unpinned.client.auth_method_pinned
    assert unpinned.client.auth_methods == (
        AuthMethod.CLIENT_SECRET_BASIC,
        AuthMethod.CLIENT_SECRET_POST,
    )
    for method in (AuthMethod.CLIENT_SECRET_BASIC, AuthMethod.CLIENT_SECRET_POST):
        pinned = build_client(
            name="Web", redirect_uris=["https://app.test/cb"], now=NOW, auth_method=method
        )
        assert pinned.client.auth_methods == (method,)
    public = build_client(name="SPA", redirect_uris=["https://a.test/cb"], now=NOW, public=True)
    assert public.client.auth_methods == (AuthMethod.NONE,)


def test_a_client_that_is_only_a_resource_server_gets_no_grant_type() -> None:
    back_end = build_client(
        name="API", redirect_uris=[], now=NOW, resource_server_for=["https://api.test"]
    )
    assert back_end.client.grant_types == frozenset() and back_end.secret
    assert back_end.client.resource_server_for == {"https://api.test"}
    web_and_back_end = build_client(
        name="API",
        redirect_uris=["https://app.test/cb"],
        now=NOW,
        resource_server_for=["https://api.test"],
    )
    assert web_and_back_end.client.grant_types == {
        GrantType.AUTHORIZATION_CODE,
        GrantType.REFRESH_TOKEN,
    }


def test_user_is_normalised_and_password_hashed_with_argon2id() -> None:
    user = build_user(
        username="Alice", password="correct horse", email="Alice@Example.COM", now=NOW
    )
    assert user.username == "alice" and user.email == "alice@example.com"
    assert user.password_hash.startswith("$argon2id$")
    verify_password(user.password_hash, "correct horse")
    with pytest.raises(PasswordMismatchError):
        verify_password(user.password_hash, "wrong horse")


def test_unknown_account_costs_a_verification_and_fails() -> None:
    with pytest.raises(PasswordMismatchError):
        verify_password(None, "anything")


def test_a_password_of_the_longest_length_can_be_set_and_verified() -> None:
    password = "x" * MAX_PASSWORD_LENGTH
    verify_password(build_user(username="bob", password=password, now=NOW).password_hash, password)


def test_a_longer_password_matches_nothing_and_is_never_hashed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(passwords, "_HASHER", None)  # Any use of it would raise.
    for stored in (None, "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"):
        with pytest.raises(PasswordMismatchError):
            verify_password(stored, "x" * (MAX_PASSWORD_LENGTH + 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"username": "has space"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "8 to 1024 characters"),
        ({"password": "x" * 1025}, "8 to 1024 characters"),
    ],
)
def test_bad_user_input_is_refused(kwargs: dict[str, str], message: str) -> None:
    params: dict[str, Any] = {"username": "bob", "password": "long enough", **kwargs}
    with pytest.raises(RegistrationError, match=message):
        build_user(now=NOW, **params)


def test_api_scopes_and_descriptions() -> None:
    api = build_api(
        identifier="https://api.test", now=NOW, scopes=[("read:x", "Read X"), ("write:x", "")]
    )
    assert api.name == "https://api.test"
    assert [(s.name, s.description) for s in api.scopes] == [("read:x", "Read X"), ("write:x", "")]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"identifier": "api"}, "absolute URI"),
        ({"identifier": "https://api.test#x"}, "absolute URI"),
        ({"access_token_lifetime": 10}, "lifetime"),
        ({"scopes": [("bad scope", "")]}, "scope token"),
    ],
)
def test_bad_api_input_is_refused(kwargs: dict[str, object], message: str) -> None:
    params: dict[str, object] = {"identifier": "https://api.test", "now": NOW, **kwargs}
    with pytest.raises(RegistrationError, match=message):
        build_api(**params)  # type: ignore[arg-type]


ENABLED = (Algorithm.RS256, Algorithm.ES256)


def test_a_client_may_choose_only_an_enabled_id_token_algorithm() -> None:
    chosen = build_client(
        name="App", redirect_uris=["https://app.test/cb"], now=NOW, id_token_alg=Algorithm.ES256
    )
    assert chosen.client.id_token_alg is Algorithm.ES256
    with pytest.raises(
        RegistrationError,
        match=r"^ID token algorithm EdDSA is not enabled: add it to TESSERA_SIGNING_ALGORITHMS "
        r"\(now RS256, ES256\)$",
    ):
        build_client(
            name="App",
            redirect_uris=["https://app.test/cb"],
            now=NOW,
            id_token_alg=Algorithm.EDDSA,
            algorithms=ENABLED,
        )


def test_an_api_may_choose_only_an_enabled_signing_algorithm() -> None:
    with pytest.raises(RegistrationError, match="^signing algorithm ES256 is not enabled"):
        build_api(
            identifier="https://api.test",
            now=NOW,
            signing_alg=Algorithm.ES256,
            algorithms=[Algorithm.RS256],
        )


def test_a_client_registers_normalised_web_origins_and_refresh_lifetimes() -> None:
    new = build_client(
        name="SPA",
        redirect_uris=["https://spa.test/cb"],
        now=NOW,
        public=True,
        web_origins=["HTTPS://SPA.test:443", "https://spa.test"],
        refresh_sliding_lifetime=3600,
        refresh_absolute_lifetime=86400,
    )
    assert new.client.web_origins == ("https://spa.test",)
    assert new.client.refresh_sliding_lifetime == 3600
    assert new.client.refresh_absolute_lifetime == 86400


def test_a_client_without_web_origins_keeps_none() -> None:
    new = build_client(name="SPA", redirect_uris=["https://spa.test/cb"], now=NOW, public=True)
    assert new.client.web_origins is None and new.client.refresh_sliding_lifetime is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"web_origins": ["https://spa.test/"]}, "must not have a path"),
        ({"refresh_sliding_lifetime": 59}, "refresh sliding lifetime must be 60"),
        ({"refresh_absolute_lifetime": 315_360_001}, "refresh absolute lifetime must be"),
        (
            {"refresh_sliding_lifetime": 7200, "refresh_absolute_lifetime": 3600},
            "must not exceed the absolute",
        ),
    ],
    ids=["origin", "sliding-short", "absolute-long", "sliding-over-absolute"],
)
def test_bad_browser_settings_are_refused(kwargs: dict[str, object], message: str) -> None:
    params: dict[str, object] = {"name": "App", "redirect_uris": ["https://a.test/cb"], "now": NOW}
    params.update(kwargs)
    with pytest.raises(RegistrationError, match=message):
        build_client(**params)  # type: ignore[arg-type]


def _spa() -> Client:
    return build_client(
        name="SPA",
        redirect_uris=["https://spa.test/cb"],
        now=NOW,
        public=True,
        web_origins=["https://spa.test"],
        refresh_absolute_lifetime=86400,
    ).client


def test_an_update_replaces_what_is_given_and_keeps_the_rest() -> None:
    client = _spa()
    changed = update_client(client, web_origins=["https://new.test"], refresh_sliding_lifetime=600)
    assert changed.web_origins == ("https://new.test",)
    assert changed.refresh_sliding_lifetime == 600
    assert changed.refresh_absolute_lifetime == 86400
    assert changed.client_id == client.client_id and changed.redirect_uris == client.redirect_uris
    assert update_client(client) == client


def test_an_update_can_return_to_the_redirect_uris_origins() -> None:
    assert update_client(_spa(), origins_from_redirect_uris=True).web_origins is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"web_origins": ["https://a.test"], "origins_from_redirect_uris": True},
            "not both",
        ),
        ({"web_origins": ["http://a.test"]}, "http on a non-loopback host"),
        ({"refresh_sliding_lifetime": 86401}, "must not exceed the absolute"),
        ({"refresh_absolute_lifetime": 0}, "refresh absolute lifetime must be"),
    ],
    ids=["both", "origin", "sliding-over-stored-absolute", "absolute-zero"],
)
def test_a_bad_update_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(RegistrationError, match=message):
        update_client(_spa(), **kwargs)  # type: ignore[arg-type]


def test_the_unknown_accounts_dummy_password_matches_no_account() -> None:
    with pytest.raises(PasswordMismatchError):
        verify_password(None, "tessera-no-such-user")


def test_a_confidential_client_with_a_private_use_scheme_is_warned() -> None:
    new = build_client(name="App", redirect_uris=["com.example.app:/cb"], now=NOW)
    assert new.warnings == (
        "redirect URI 'com.example.app:/cb' uses a private-use scheme, meant for native apps",
    )
