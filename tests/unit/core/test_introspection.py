"""Who may learn that an access token is live (RFC 7662 4)."""

from __future__ import annotations

from typing import Any

import pytest

from tessera.core.access_tokens import AccessToken
from tessera.core.introspection import may_introspect
from tessera.core.models import AuthMethod, Client

API = "https://api.test"


def token(aud: Any, client_id: str = "app") -> AccessToken:
    claims = {"client_id": client_id} if aud is None else {"client_id": client_id, "aud": aud}
    return AccessToken(
        jti="j", subject="s", client_id=client_id, scope=frozenset(), expires_at=0, claims=claims
    )


def client(client_id: str, *resource_server_for: str) -> Client:
    return Client(
        client_id=client_id,
        name="C",
        redirect_uris=(),
        auth_method=AuthMethod.CLIENT_SECRET_BASIC,
        resource_server_for=frozenset(resource_server_for),
    )


@pytest.mark.parametrize("aud", [API, [API, "https://as.test/userinfo"], None, 7, [7, {}]])
def test_the_tokens_own_client_may_always_introspect_it(aud: Any) -> None:
    assert may_introspect(client("app"), token(aud))


@pytest.mark.parametrize(
    ("aud", "allowed"),
    [
        (API, True),
        ([API, "https://as.test/userinfo"], True),
        (["https://other.test"], False),
        ("https://other.test", False),
        (None, False),
        (7, False),
        ([7, {}], False),
    ],
    ids=["string", "list", "other-list", "other-string", "no-aud", "not-a-string", "junk-list"],
)
def test_a_resource_server_may_introspect_only_tokens_for_its_api(aud: Any, allowed: bool) -> None:
    assert may_introspect(client("back-end", API), token(aud)) is allowed


def test_any_other_client_may_not() -> None:
    assert not may_introspect(client("bystander"), token(API))
