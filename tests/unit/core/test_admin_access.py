"""Who may call the admin API: a live tessera token for `{issuer}/admin` with the scope
the operation needs; and the built-in admin API, provisioned once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tessera.core.admin.access import (
    READ_SCOPE,
    WRITE_SCOPE,
    AdminCaller,
    admin_identifier,
    authorize_admin_request,
    build_admin_api,
    ensure_admin_api,
    required_scope,
)
from tessera.core.errors import InsufficientScopeError, InvalidTokenError
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.jwt import build_key_set, sign_jwt
from tessera.crypto.keys import Algorithm, build_signing_key, generate_private_key
from tessera.store import Store

NOW = 1_800_000_000
ISSUER = "https://as.test/"
ADMIN = "https://as.test/admin"
KEY = build_signing_key(generate_private_key(Algorithm.ES256), Algorithm.ES256)
KEYS = JWSVerifier(build_key_set([KEY.public_jwk]))


def token(**claims: Any) -> str:
    base = {
        "iss": ISSUER,
        "sub": "ops",
        "aud": ADMIN,
        "client_id": "ops",
        "scope": f"{READ_SCOPE} {WRITE_SCOPE}",
        "iat": NOW,
        "exp": NOW + 60,
        "jti": "machine-jti",
    }
    return sign_jwt({**base, **claims}, KEY, typ="at+jwt")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=2)
    yield opened
    await opened.close()


async def authorize(store: Store, access_token: str, *, changes: bool) -> AdminCaller:
    return await authorize_admin_request(
        store, access_token, keys=KEYS, issuer=ISSUER, now=NOW, changes=changes
    )


def test_the_admin_api_is_named_after_the_issuer_and_changes_need_write() -> None:
    assert admin_identifier("https://as.test/") == admin_identifier("https://as.test") == ADMIN
    assert required_scope(changes=False) == READ_SCOPE
    assert required_scope(changes=True) == WRITE_SCOPE


async def test_an_admin_token_names_its_client_as_the_actor(store: Store) -> None:
    caller = await authorize(store, token(), changes=True)
    assert caller == AdminCaller("ops")
    assert caller.actor == "client:ops"
    listed = token(aud=["https://api.test", ADMIN], scope=READ_SCOPE)
    assert await authorize(store, listed, changes=False) == AdminCaller("ops")


@pytest.mark.parametrize(
    "aud", ["https://api.test", ["https://api.test"], "https://as.test/admin/x", 7]
)
async def test_a_token_for_another_audience_is_no_admin_token(store: Store, aud: Any) -> None:
    with pytest.raises(InvalidTokenError) as caught:
        await authorize(store, token(aud=aud), changes=False)
    assert caught.value.description == "The access token is not for the admin API."


async def test_an_expired_or_foreign_token_is_invalid(store: Store) -> None:
    with pytest.raises(InvalidTokenError):
        await authorize(store, token(exp=NOW - 1), changes=False)
    with pytest.raises(InvalidTokenError):
        await authorize(store, token(iss="https://other.test"), changes=False)


async def test_a_missing_scope_is_insufficient(store: Store) -> None:
    with pytest.raises(InsufficientScopeError):
        await authorize(store, token(scope=READ_SCOPE), changes=True)
    with pytest.raises(InsufficientScopeError):
        await authorize(store, token(scope=WRITE_SCOPE), changes=False)


async def test_the_admin_api_is_provisioned_once_and_kept_as_changed(store: Store) -> None:
    async with store.transaction() as tx:
        made = await ensure_admin_api(tx, ISSUER, NOW, (Algorithm.RS256,))
        assert made is not None and made.identifier == ADMIN
        assert made.scope_names() == {READ_SCOPE, WRITE_SCOPE}
        assert await ensure_admin_api(tx, ISSUER, NOW + 1, (Algorithm.RS256,)) is None
        assert await tx.apis.get_by_identifier(ADMIN) == made
        created = [e for e in await tx.audit.tail(10) if e.event == "api.created"]
    assert [e.detail for e in created] == [{"identifier": ADMIN, "actor": "tessera"}]


def test_the_admin_api_signs_with_an_enabled_algorithm() -> None:
    assert build_admin_api(ISSUER, NOW, (Algorithm.ES256, Algorithm.RS256)).signing_alg is (
        Algorithm.RS256
    )
    assert build_admin_api(ISSUER, NOW, (Algorithm.ES256,)).signing_alg is Algorithm.ES256
