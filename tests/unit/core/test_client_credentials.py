"""The client credentials grant refuses an API the client was not granted, and one
deleted since the client was read, before it signs anything."""

from __future__ import annotations

import pytest

from tessera.core.errors import InvalidTargetError
from tessera.core.grants.base import TokenRequest
from tessera.core.grants.client_credentials import exchange
from tessera.core.models import AuthMethod, Client, GrantType
from tessera.web.runtime import Runtime
from tests.support.grants import API_ID, add_api

GONE = "https://gone.test"


@pytest.mark.parametrize(
    ("audience", "description"),
    [
        (API_ID, "The client has no access to this API."),
        # On PostgreSQL the client is read in one transaction and the grant runs in the
        # next (core.token_endpoint): a granted API may be deleted in between.
        (GONE, InvalidTargetError.default_description),
    ],
    ids=["not-granted", "granted-then-deleted"],
)
async def test_an_api_the_client_cannot_use_is_invalid_target(
    rt: Runtime, audience: str, description: str
) -> None:
    await add_api(rt.store)
    machine = Client(
        client_id="machine",
        name="Worker",
        redirect_uris=(),
        grant_types=frozenset({GrantType.CLIENT_CREDENTIALS}),
        auth_method=AuthMethod.CLIENT_SECRET_BASIC,
        apis=frozenset({GONE}),
    )
    async with rt.store.transaction() as tx:
        request = TokenRequest(
            client=machine,
            params={"audience": audience},
            now=rt.now(),
            repos=tx,
            keyring=rt.keyring,
            policy=rt.policy.tokens,
        )
        with pytest.raises(InvalidTargetError) as refused:
            await exchange(request)
    assert refused.value.description == description
