"""Strict mode: the introspection endpoint (RFC 7662) has the last word, briefly cached."""

from __future__ import annotations

import base64

import pytest

from tessera.resource import (
    InsufficientScopeError,
    Introspection,
    InvalidTokenError,
    TemporarilyUnavailableError,
)
from tests.conftest import Clock
from tests.unit.resource.conftest import INTROSPECTION_URI, FakeIssuer, ValidatorFactory

CREDENTIALS = Introspection(client_id="api client", client_secret="s3cret:+/")


async def test_an_active_token_is_accepted_and_the_answer_cached(
    make_validator: ValidatorFactory, issuer: FakeIssuer, clock: Clock
) -> None:
    validator = make_validator(introspection=CREDENTIALS)
    token = issuer.mint()
    for _ in range(3):
        assert (await validator.verify(token)).sub == "user-1"
    assert len(issuer.introspection_requests) == 1
    request = issuer.introspection_requests[0]
    assert (
        request.headers["authorization"]
        == "Basic " + base64.b64encode(b"api+client:s3cret%3A%2B%2F").decode()
    )
    assert request.content == f"token={token}&token_type_hint=access_token".encode()
    clock.advance(5.5)
    await validator.verify(token)
    assert len(issuer.introspection_requests) == 2


async def test_a_revoked_token_is_refused_once_the_short_cache_lapses(
    make_validator: ValidatorFactory, issuer: FakeIssuer, clock: Clock
) -> None:
    revoked: set[str] = set()
    issuer.active = lambda token: token not in revoked
    validator = make_validator(introspection=CREDENTIALS)
    token = issuer.mint()
    await validator.verify(token)
    revoked.add(token)
    await validator.verify(token)  # Still within cache_ttl.
    clock.advance(6)
    for _ in range(2):  # The refusal is cached too.
        with pytest.raises(InvalidTokenError):
            await validator.verify(token)
    assert len(issuer.introspection_requests) == 2


@pytest.mark.parametrize("answer", ["true", 1, None, {"active": True}], ids=repr)
async def test_only_a_boolean_true_counts_as_active(
    make_validator: ValidatorFactory, issuer: FakeIssuer, answer: object
) -> None:
    issuer.active = lambda token: answer
    with pytest.raises(InvalidTokenError):
        await make_validator(introspection=CREDENTIALS).verify(issuer.mint())


async def test_forged_tokens_never_reach_the_introspection_endpoint(
    make_validator: ValidatorFactory, issuer: FakeIssuer
) -> None:
    validator = make_validator(introspection=CREDENTIALS)
    with pytest.raises(InvalidTokenError):
        await validator.verify(issuer.mint(iss="https://evil.test"))
    assert issuer.introspection_requests == []


async def test_scopes_are_checked_after_the_issuer_says_active(
    make_validator: ValidatorFactory, issuer: FakeIssuer
) -> None:
    validator = make_validator(introspection=CREDENTIALS)
    with pytest.raises(InsufficientScopeError):
        await validator.verify(issuer.mint(), scopes=["write:messages"])


async def test_strict_mode_fails_closed_when_the_endpoint_is_down(
    make_validator: ValidatorFactory, issuer: FakeIssuer
) -> None:
    validator = make_validator(introspection=CREDENTIALS)
    await validator.verify(issuer.mint(jti="warm-up"))  # Keys are cached now.
    issuer.down = True
    with pytest.raises(TemporarilyUnavailableError):
        await validator.verify(issuer.mint())


async def test_an_explicit_endpoint_is_used_and_must_be_https(
    make_validator: ValidatorFactory, issuer: FakeIssuer
) -> None:
    issuer.discovery.pop("introspection_endpoint")
    with pytest.raises(TemporarilyUnavailableError):
        await make_validator(introspection=CREDENTIALS).verify(issuer.mint())
    explicit = Introspection("api", "secret", endpoint=INTROSPECTION_URI)
    assert (await make_validator(introspection=explicit).verify(issuer.mint())).sub == "user-1"
    with pytest.raises(ValueError):
        make_validator(introspection=Introspection("api", "secret", endpoint="http://as.test/i"))


async def test_the_cache_is_bounded_and_answers_live_no_longer_than_the_token(
    make_validator: ValidatorFactory, issuer: FakeIssuer, clock: Clock
) -> None:
    validator = make_validator(introspection=Introspection("api", "secret", max_cached=2))
    tokens = [issuer.mint(jti=f"jti-{n}") for n in range(3)]
    for token in tokens:
        await validator.verify(token)
    await validator.verify(tokens[0])  # Evicted by the third: asked again.
    assert len(issuer.introspection_requests) == 4
    short = issuer.mint(jti="short", exp=int(clock()) + 2)
    await validator.verify(short)
    clock.advance(3)  # Past exp (within leeway): the cached answer has lapsed with it.
    await validator.verify(short)
    assert len(issuer.introspection_requests) == 6


async def test_the_secret_stays_out_of_repr_and_the_cache_needs_room(
    make_validator: ValidatorFactory,
) -> None:
    assert "s3cret" not in repr(CREDENTIALS)
    with pytest.raises(ValueError):
        make_validator(introspection=Introspection("api", "secret", max_cached=0))
