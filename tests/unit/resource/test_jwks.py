"""Keys from the issuer: discovery, caching, rotation, rate-limited refetch, outages."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from tessera.crypto.keys import SigningKey
from tessera.resource import BearerTokenValidator, InvalidTokenError, TemporarilyUnavailableError
from tests.conftest import Clock
from tests.unit.resource.conftest import JWKS_URI, FakeIssuer, ValidatorFactory

DISCOVERY = "/.well-known/openid-configuration"


async def test_keys_are_found_through_discovery_and_fetched_once(
    validator: BearerTokenValidator, issuer: FakeIssuer
) -> None:
    for _ in range(3):
        await validator.verify(issuer.mint())
    assert issuer.paths == [DISCOVERY, "/.well-known/jwks.json"]


async def test_an_explicit_jwks_uri_skips_discovery(
    make_validator: ValidatorFactory, issuer: FakeIssuer
) -> None:
    await make_validator(jwks_uri=JWKS_URI).verify(issuer.mint())
    assert issuer.paths == ["/.well-known/jwks.json"]


async def test_unknown_kid_triggers_exactly_one_refetch(
    validator: BearerTokenValidator,
    issuer: FakeIssuer,
    clock: Clock,
    signing_keys: dict[str, SigningKey],
) -> None:
    await validator.verify(issuer.mint())
    clock.advance(60)
    with pytest.raises(InvalidTokenError):
        await validator.verify(issuer.mint(signing_keys["RS256-next"]))
    assert issuer.fetches() == 2


async def test_a_flood_of_bogus_kids_costs_one_fetch_per_interval(
    make_validator: ValidatorFactory,
    issuer: FakeIssuer,
    clock: Clock,
    signing_keys: dict[str, SigningKey],
) -> None:
    validator = make_validator(min_refresh_interval=10)
    await validator.verify(issuer.mint())
    clock.advance(10)
    bogus = issuer.mint(signing_keys["RS256-next"])
    results = await asyncio.gather(
        *(validator.verify(bogus) for _ in range(200)), return_exceptions=True
    )
    assert all(isinstance(result, InvalidTokenError) for result in results)
    assert issuer.fetches() == 2
    clock.advance(5)
    for _ in range(50):
        with pytest.raises(InvalidTokenError):
            await validator.verify(bogus)
    assert issuer.fetches() == 2
    clock.advance(5)
    with pytest.raises(InvalidTokenError):
        await validator.verify(bogus)
    assert issuer.fetches() == 3


async def test_key_rotation_on_the_issuer_is_picked_up_mid_run(
    validator: BearerTokenValidator,
    issuer: FakeIssuer,
    clock: Clock,
    signing_keys: dict[str, SigningKey],
) -> None:
    old, new = issuer.keys[0], signing_keys["RS256-next"]
    old_token = issuer.mint(old)
    assert (await validator.verify(old_token)).sub == "user-1"
    clock.advance(30)
    issuer.keys = [new, old]  # The new key signs; the old one still verifies.
    assert (await validator.verify(issuer.mint(new))).sub == "user-1"
    assert (await validator.verify(old_token)).sub == "user-1"
    assert issuer.fetches() == 2
    clock.advance(301)
    issuer.keys = [new]  # The old key is retired: its tokens stop working at the next fetch.
    with pytest.raises(InvalidTokenError):
        await validator.verify(old_token)
    assert (await validator.verify(issuer.mint(new))).sub == "user-1"


async def test_cached_keys_are_refetched_after_the_ttl(
    make_validator: ValidatorFactory, issuer: FakeIssuer, clock: Clock
) -> None:
    validator = make_validator(cache_ttl=60)
    await validator.verify(issuer.mint())
    clock.advance(59)
    await validator.verify(issuer.mint())
    assert issuer.fetches() == 1
    clock.advance(1)
    await validator.verify(issuer.mint())
    assert issuer.fetches() == 2


async def test_a_clock_set_back_makes_the_cache_refetch(
    validator: BearerTokenValidator, issuer: FakeIssuer, clock: Clock
) -> None:
    await validator.verify(issuer.mint())
    clock.advance(-3600)
    await validator.verify(issuer.mint())
    assert issuer.fetches() == 2


async def test_jwks_outage_with_a_warm_cache_keeps_working(
    validator: BearerTokenValidator,
    issuer: FakeIssuer,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = issuer.mint()
    await validator.verify(token)
    issuer.down = True
    clock.advance(3600)  # Keys are stale: a refetch is tried, fails, and the cache serves.
    with caplog.at_level(logging.WARNING, logger="tessera.resource"):
        assert (await validator.verify(issuer.mint())).sub == "user-1"
    assert "keeping the cached keys" in caplog.text
    assert token not in caplog.text
    for _ in range(20):
        await validator.verify(issuer.mint())
    assert issuer.fetches() == 2  # Retries wait for min_refresh_interval.
    issuer.down = False
    clock.advance(10)
    await validator.verify(issuer.mint())
    assert issuer.fetches() == 3


async def test_no_keys_yet_and_the_issuer_down_is_503_not_401(
    validator: BearerTokenValidator, issuer: FakeIssuer, clock: Clock
) -> None:
    issuer.down = True
    for _ in range(3):
        with pytest.raises(TemporarilyUnavailableError) as refused:
            await validator.verify(issuer.mint())
    assert refused.value.status_code == 503 and refused.value.headers() == {}
    assert len(issuer.paths) == 1
    issuer.down = False
    clock.advance(10)
    assert (await validator.verify(issuer.mint())).sub == "user-1"


@pytest.mark.parametrize(
    "discovery",
    [
        pytest.param({"issuer": "https://evil.test", "jwks_uri": JWKS_URI}, id="other-issuer"),
        pytest.param({"issuer": "https://as.test"}, id="no-jwks_uri"),
        pytest.param({"issuer": "https://as.test", "jwks_uri": 42}, id="jwks_uri-not-text"),
        pytest.param({"issuer": "https://as.test", "jwks_uri": "http://as.test/k"}, id="http"),
    ],
)
async def test_an_unusable_discovery_document_gives_no_keys(
    validator: BearerTokenValidator, issuer: FakeIssuer, discovery: dict[str, object]
) -> None:
    issuer.discovery = discovery
    with pytest.raises(TemporarilyUnavailableError):
        await validator.verify(issuer.mint())


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", json.dumps({"keys": "nope"}), json.dumps({"keys": []}), json.dumps({})],
    ids=["not-json", "list", "keys-not-a-list", "no-keys", "no-keys-member"],
)
async def test_an_unusable_jwks_gives_no_keys(
    validator: BearerTokenValidator, issuer: FakeIssuer, body: str
) -> None:
    issuer.jwks_body = body
    with pytest.raises(TemporarilyUnavailableError):
        await validator.verify(issuer.mint())


async def test_a_transport_error_is_an_outage(signing_keys: dict[str, SigningKey]) -> None:
    # Nothing listens on port 9 of localhost: the fetch fails at the transport.
    async with BearerTokenValidator("http://localhost:9", "https://api.test") as validator:
        with pytest.raises(TemporarilyUnavailableError):
            await validator.verify("a.b.c")


async def test_concurrent_first_requests_share_one_fetch(
    validator: BearerTokenValidator, issuer: FakeIssuer
) -> None:
    tokens = [issuer.mint(jti=f"jti-{n}") for n in range(20)]
    results = await asyncio.gather(*(validator.verify(token) for token in tokens))
    assert {result.sub for result in results} == {"user-1"}
    assert issuer.paths == [DISCOVERY, "/.well-known/jwks.json"]


async def test_a_request_that_saw_old_keys_gets_the_newer_ones_without_a_fetch(
    validator: BearerTokenValidator, issuer: FakeIssuer, clock: Clock
) -> None:
    cache = validator._keys
    first = await cache.current()
    clock.advance(10)
    second = await cache.current()
    assert second is not first
    assert await cache.refreshed(first) is second
    assert await cache.refreshed(second) is None  # Rate-limited: nothing newer.
    assert issuer.fetches() == 2


async def test_closing_leaves_a_client_that_was_passed_in_open(
    validator: BearerTokenValidator, issuer: FakeIssuer
) -> None:
    async with validator:
        await validator.verify(issuer.mint())
    assert (await validator.verify(issuer.mint())).sub == "user-1"
