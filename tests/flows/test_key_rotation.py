"""Key rotation as relying parties and APIs see it, through the ASGI app on both engines:
a next key is in the JWKS before it signs, the old key stays until its tokens expired,
the rotation period rotates by itself, and a disabled algorithm signs nothing."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tessera.core.key_rotation import VERIFIER_LEEWAY, schedule_rotation
from tessera.core.keyring import NoSigningKeyError
from tessera.core.models import KeyState
from tessera.core.signing_algorithms import AlgorithmNotEnabledError
from tessera.crypto.jwt import build_key_set
from tessera.crypto.keys import Algorithm
from tessera.settings import Settings
from tessera.store import Store
from tessera.web.app import create_app
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, TEST_SECRET_KEY, Clock
from tests.support.grants import RegisteredClient, add_api, add_client, add_user, obtain_tokens
from tests.support.tokens import claims_of, header_of

AHEAD = 86_400
TTL = 10
ACCESS_LIFETIME = 86_400  # The settings' default, also the test API's lifetime.
RETENTION = TTL + ACCESS_LIFETIME + VERIFIER_LEEWAY


async def jwks(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = (await http.get("/.well-known/jwks.json")).json()["keys"]
    return keys


async def signing_kid(
    http: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> str:
    """The kid of a new access token, checked against the JWKS published at that time."""
    tokens = await obtain_tokens(http, rt.store, app_client, now=int(clock.now))
    keys = build_key_set(await jwks(http))
    claims_of(tokens["access_token"], keys, ISSUER, clock.now, typ="at+jwt")
    claims_of(tokens["id_token"], keys, ISSUER, clock.now)
    kid: str = header_of(tokens["access_token"])["kid"]
    assert header_of(tokens["id_token"])["kid"] == kid  # Both RS256 here.
    return kid


async def events(rt: Runtime, name: str) -> list[dict[str, str]]:
    async with rt.store.read_transaction() as tx:
        return [event.detail for event in await tx.audit.tail(100) if event.event == name]


async def test_a_rotated_key_is_published_first_and_signs_only_after_the_publish_ahead_time(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    old = await signing_kid(client, rt, app_client, clock)
    async with rt.store.transaction() as tx:  # What `tessera keys rotate` does.
        upcoming = await schedule_rotation(
            tx, rt.policy.keys, Algorithm.RS256, TEST_SECRET_KEY, rt.now(), actor="test"
        )
    clock.advance(TTL)
    assert upcoming.kid in {key["kid"] for key in await jwks(client)}
    assert await signing_kid(client, rt, app_client, clock) == old
    clock.advance(AHEAD - TTL - 1)
    assert await signing_kid(client, rt, app_client, clock) == old

    clock.advance(TTL)  # Past the switch, and past this node's TTL.
    assert await signing_kid(client, rt, app_client, clock) == upcoming.kid
    assert {old, upcoming.kid} <= {key["kid"] for key in await jwks(client)}
    assert [detail["kid"] for detail in await events(rt, "key.activated")] == [upcoming.kid]

    clock.advance(RETENTION)
    assert old not in {key["kid"] for key in await jwks(client)}
    assert await signing_kid(client, rt, app_client, clock) == upcoming.kid


@pytest.fixture
def periodic(settings: Settings) -> Settings:
    return settings.model_copy(update={"key_rotation_period": 30 * 86_400})


async def test_the_rotation_period_rotates_keys_by_itself(periodic: Settings, clock: Clock) -> None:
    # The seeded keys are years old: the node starting up schedules their successors.
    app = create_app(periodic, clock=clock)
    async with app.router.lifespan_context(app), http_client(app) as http:
        rt: Runtime = app.state.runtime
        await add_user(rt.store)
        await add_api(rt.store)
        app_client = await add_client(rt.store, public=True)
        async with rt.store.read_transaction() as tx:
            keys = await tx.keys.list()
        upcoming = {key.alg: key for key in keys if key.state is KeyState.NEXT}
        assert set(upcoming) == {Algorithm.RS256, Algorithm.ES256}
        assert upcoming[Algorithm.RS256].activates_at == int(clock.now) + AHEAD
        clock.advance(AHEAD + TTL)
        assert await signing_kid(http, rt, app_client, clock) == upcoming[Algorithm.RS256].kid
        assert len(await events(rt, "key.scheduled")) == 2


async def test_a_disabled_algorithm_signs_nothing_and_leaves_the_jwks_once_its_tokens_expired(
    settings: Settings, clock: Clock
) -> None:
    with_eddsa = create_app(
        settings.model_copy(update={"signing_algorithms": "RS256,ES256,EdDSA"}), clock=clock
    )
    async with with_eddsa.router.lifespan_context(with_eddsa):
        (await with_eddsa.state.runtime.fresh_keyring()).current(Algorithm.EDDSA)
    # A node that enables RS256 and ES256 only takes the EdDSA key out of signing at start.
    app = create_app(settings, clock=clock)
    async with app.router.lifespan_context(app), http_client(app) as http:
        rt: Runtime = app.state.runtime
        assert rt.settings.enabled_algorithms == (Algorithm.RS256, Algorithm.ES256)
        with pytest.raises(NoSigningKeyError, match="EdDSA is not enabled"):
            (await rt.fresh_keyring()).current(Algorithm.EDDSA)
        assert "OKP" in {key["kty"] for key in await jwks(http)}
        (stopped,) = await events(rt, "key.deactivated")
        assert stopped["alg"] == "EdDSA"
        clock.advance(RETENTION)
        assert sorted(key["alg"] for key in await jwks(http)) == ["ES256", "RS256"]


async def test_the_server_does_not_start_while_a_client_signs_with_a_disabled_algorithm(
    settings: Settings, database_url: str
) -> None:
    store = await Store.open(database_url, min_size=1, max_size=1)
    try:
        await add_client(store, public=True, id_token_alg=Algorithm.EDDSA)
    finally:
        await store.close()
    app = create_app(settings)
    with pytest.raises(AlgorithmNotEnabledError, match="leaves out EdDSA, used by client "):
        async with app.router.lifespan_context(app):
            pass


async def test_rereading_keys_with_nothing_due_is_one_select_and_within_the_ttl_none(
    rt: Runtime, clock: Clock, statements: list[str]
) -> None:
    statements.clear()
    await rt.fresh_keyring()
    assert statements == []
    clock.advance(math.ceil(TTL))
    await rt.fresh_keyring()
    assert statements == ["SELECT kid, alg, sealed_private_key,"]


def http_client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ISSUER)
