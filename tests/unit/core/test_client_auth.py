"""Client authentication (RFC 6749 2.3): parsing the credentials, then checking them."""

from __future__ import annotations

from base64 import b64encode
from dataclasses import replace

import pytest

from tessera.core.client_auth import ClientCredentials, parse_client_credentials, verify_client
from tessera.core.errors import InvalidClientError, InvalidRequestError
from tessera.core.models import AuthMethod, Client
from tessera.crypto.tokens import digest

SECRET = "tsr_cs_s3cret"
NOW = 1_800_000_000


def basic(raw: str) -> str:
    return "Basic " + b64encode(raw.encode()).decode()


def client(method: AuthMethod, secret: str | None = SECRET, *, pinned: bool = True) -> Client:
    return Client(
        client_id="app",
        name="App",
        redirect_uris=("https://app.test/cb",),
        auth_method=method,
        auth_method_pinned=pinned,
        secret_hash=None if secret is None else digest(secret),
    )


def test_basic_credentials_are_form_urlencoded_inside() -> None:
    # RFC 6749 2.3.1: id and secret are application/x-www-form-urlencoded first.
    credentials = parse_client_credentials(basic("my+app%3A1:p%40ss+word%25"), {})
    assert credentials == ClientCredentials(
        "my app:1", AuthMethod.CLIENT_SECRET_BASIC, "p@ss word%"
    )


def test_basic_scheme_is_case_insensitive_and_a_matching_body_client_id_is_fine() -> None:
    credentials = parse_client_credentials("bAsIc " + basic("app:x")[6:], {"client_id": "app"})
    assert credentials.method is AuthMethod.CLIENT_SECRET_BASIC and credentials.secret == "x"


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!",
        "Basic " + b64encode(b"\xff\xfe").decode(),
        "Basic \u00e9t\u00e9",
        "Basic " + b64encode(b"app:x").decode() + "\xff",
        basic("no-colon"),
        basic("app:"),
        basic(":secret"),
        "Basic " + "A" * 5000,
    ],
    ids=[
        "not-base64",
        "not-utf8",
        "latin-1",
        "base64-then-latin-1",
        "no-colon",
        "empty-secret",
        "empty-id",
        "too-long",
    ],
)
def test_malformed_basic_is_invalid_client_with_a_challenge(header: str) -> None:
    with pytest.raises(InvalidClientError) as raised:
        parse_client_credentials(header, {})
    assert raised.value.basic is True


def test_two_methods_at_once_are_refused() -> None:
    with pytest.raises(InvalidRequestError):
        parse_client_credentials(basic("app:x"), {"client_secret": "x"})
    with pytest.raises(InvalidRequestError):
        parse_client_credentials(basic("app:x"), {"client_id": "other"})


def test_post_and_none_come_from_the_body() -> None:
    post = parse_client_credentials(None, {"client_id": "app", "client_secret": "x"})
    assert post == ClientCredentials("app", AuthMethod.CLIENT_SECRET_POST, "x")
    assert parse_client_credentials(None, {"client_id": "app"}) == ClientCredentials(
        "app", AuthMethod.NONE
    )


def test_another_authorization_scheme_is_not_client_authentication() -> None:
    credentials = parse_client_credentials("Bearer abc", {"client_id": "app"})
    assert credentials.method is AuthMethod.NONE


def test_no_client_at_all_is_invalid_client_without_a_challenge() -> None:
    with pytest.raises(InvalidClientError) as raised:
        parse_client_credentials(None, {})
    assert raised.value.basic is False


def test_secret_stays_out_of_repr() -> None:
    assert SECRET not in repr(ClientCredentials("app", AuthMethod.CLIENT_SECRET_POST, SECRET))


@pytest.mark.parametrize("method", [AuthMethod.CLIENT_SECRET_BASIC, AuthMethod.CLIENT_SECRET_POST])
def test_the_registered_secret_method_with_the_right_secret_passes(method: AuthMethod) -> None:
    registered = client(method)
    assert (
        verify_client(ClientCredentials("app", method, SECRET), registered, now=NOW) is registered
    )


def test_a_public_client_passes_by_naming_itself() -> None:
    registered = client(AuthMethod.NONE, secret=None)
    assert (
        verify_client(ClientCredentials("app", AuthMethod.NONE), registered, now=NOW) is registered
    )


@pytest.mark.parametrize(
    ("credentials", "registered", "detail"),
    [
        (ClientCredentials("app", AuthMethod.CLIENT_SECRET_BASIC, SECRET), None, "unknown client"),
        (
            ClientCredentials("app", AuthMethod.CLIENT_SECRET_BASIC, SECRET),
            client(AuthMethod.CLIENT_SECRET_POST),
            "registered client_secret_post",
        ),
        (
            ClientCredentials("app", AuthMethod.NONE),
            client(AuthMethod.CLIENT_SECRET_BASIC),
            "registered client_secret_basic",
        ),
        (
            ClientCredentials("app", AuthMethod.CLIENT_SECRET_POST, "wrong"),
            client(AuthMethod.CLIENT_SECRET_POST),
            "wrong client secret",
        ),
        (
            ClientCredentials("app", AuthMethod.CLIENT_SECRET_BASIC, SECRET),
            client(AuthMethod.CLIENT_SECRET_BASIC, secret=None),
            "wrong client secret",
        ),
    ],
    ids=["unknown", "other-secret-method", "none-for-confidential", "wrong-secret", "no-hash"],
)
def test_failures_are_invalid_client(
    credentials: ClientCredentials, registered: Client | None, detail: str
) -> None:
    with pytest.raises(InvalidClientError) as raised:
        verify_client(credentials, registered, now=NOW)
    assert detail in (raised.value.detail or "")
    assert raised.value.basic is (credentials.method is AuthMethod.CLIENT_SECRET_BASIC)


@pytest.mark.parametrize("method", [AuthMethod.CLIENT_SECRET_BASIC, AuthMethod.CLIENT_SECRET_POST])
def test_a_client_that_pinned_no_method_may_use_either_secret_method(method: AuthMethod) -> None:
    registered = client(AuthMethod.CLIENT_SECRET_BASIC, pinned=False)
    assert registered.auth_methods == (
        AuthMethod.CLIENT_SECRET_BASIC,
        AuthMethod.CLIENT_SECRET_POST,
    )
    assert (
        verify_client(ClientCredentials("app", method, SECRET), registered, now=NOW) is registered
    )
    with pytest.raises(InvalidClientError, match="wrong client secret"):
        verify_client(ClientCredentials("app", method, "wrong"), registered, now=NOW)


@pytest.mark.parametrize(
    ("credentials", "registered", "named"),
    [
        (
            ClientCredentials("app", AuthMethod.CLIENT_SECRET_BASIC, SECRET),
            client(AuthMethod.CLIENT_SECRET_POST),
            "client_secret_post",
        ),
        (
            ClientCredentials("app", AuthMethod.NONE),
            client(AuthMethod.CLIENT_SECRET_BASIC, pinned=False),
            "client_secret_basic or client_secret_post",
        ),
        (
            ClientCredentials("app", AuthMethod.CLIENT_SECRET_POST, SECRET),
            client(AuthMethod.NONE, secret=None, pinned=False),
            "none",
        ),
    ],
    ids=["pinned", "unpinned", "public"],
)
def test_a_refused_method_is_answered_with_the_registered_ones(
    credentials: ClientCredentials, registered: Client, named: str
) -> None:
    with pytest.raises(InvalidClientError) as raised:
        verify_client(credentials, registered, now=NOW)
    assert raised.value.description == (
        f"Client authentication failed: the client is registered for {named}."
    )


@pytest.mark.parametrize(
    ("presented", "at", "accepted"),
    [
        ("tsr_cs_new", NOW + 100, True),
        (SECRET, NOW + 99, True),
        (SECRET, NOW + 100, False),
        ("wrong", NOW, False),
    ],
    ids=["new-secret", "old-during-overlap", "old-after-overlap", "neither"],
)
def test_a_rotated_secret_matches_until_its_overlap_ends(
    presented: str, at: int, accepted: bool
) -> None:
    rotated = replace(
        client(AuthMethod.CLIENT_SECRET_POST),
        secret_hash=digest("tsr_cs_new"),
        previous_secret_hash=digest(SECRET),
        previous_secret_expires_at=NOW + 100,
    )
    credentials = ClientCredentials("app", AuthMethod.CLIENT_SECRET_POST, presented)
    if accepted:
        assert verify_client(credentials, rotated, now=at) is rotated
    else:
        with pytest.raises(InvalidClientError, match="wrong client secret"):
            verify_client(credentials, rotated, now=at)
