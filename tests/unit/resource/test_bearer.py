"""The Authorization header (RFC 6750 2.1) and the challenges of refusals (RFC 6750 3)."""

from __future__ import annotations

import pytest

from tessera.resource import (
    BearerTokenError,
    InsufficientScopeError,
    InvalidRequestError,
    InvalidTokenError,
    MissingTokenError,
    TemporarilyUnavailableError,
)
from tessera.resource._bearer import parse_authorization


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc.DEF-_~+/.ghi==", "abc.DEF-_~+/.ghi=="),
        ("bearer abc", "abc"),
        ("BEARER   abc  ", "abc"),
    ],
)
def test_one_bearer_token_is_read(value: str, token: str) -> None:
    assert parse_authorization([value]) == token


@pytest.mark.parametrize(
    ("values", "error"),
    [
        pytest.param([], MissingTokenError, id="absent"),
        pytest.param(["Basic dXNlcjpwYXNz"], MissingTokenError, id="wrong-scheme"),
        pytest.param(["abc.def.ghi"], InvalidRequestError, id="no-scheme"),
        pytest.param([""], InvalidRequestError, id="empty"),
        pytest.param(["Bearer"], InvalidRequestError, id="scheme-only"),
        pytest.param(["Bearer "], InvalidRequestError, id="scheme-and-space"),
        pytest.param(["Bearer a b"], InvalidRequestError, id="two-tokens"),
        pytest.param(["Bearer a,b"], InvalidRequestError, id="not-b64token"),
        pytest.param(["Bearer =abc"], InvalidRequestError, id="leading-padding"),
        pytest.param(["Bearer a", "Bearer b"], InvalidRequestError, id="two-headers"),
    ],
)
def test_malformed_or_missing_headers_are_refused(
    values: list[str], error: type[BearerTokenError]
) -> None:
    with pytest.raises(error):
        parse_authorization(values)


def test_a_missing_token_gets_a_bare_challenge() -> None:
    error = MissingTokenError()
    assert (error.status_code, error.headers()) == (401, {"WWW-Authenticate": "Bearer"})
    assert error.body() == {"error_description": "An access token is required."}


def test_invalid_request_is_400_and_invalid_token_401_with_their_codes() -> None:
    request, token = InvalidRequestError("detail"), InvalidTokenError("expired at 12:00")
    assert request.status_code == 400
    assert request.challenge() == (
        'Bearer error="invalid_request", error_description="The Authorization header is malformed."'
    )
    assert token.status_code == 401
    assert token.challenge() == (
        'Bearer error="invalid_token", error_description="The access token is invalid or expired."'
    )
    assert token.body() == {
        "error": "invalid_token",
        "error_description": "The access token is invalid or expired.",
    }


def test_the_reason_stays_in_detail_and_out_of_every_header() -> None:
    error = InvalidTokenError("kid abc unknown")
    assert error.detail == "kid abc unknown"
    assert "kid" not in str(error.challenge()) + str(error.body())


def test_insufficient_scope_is_403_and_names_the_scopes_needed() -> None:
    error = InsufficientScopeError(["read:messages", "write:messages"])
    assert error.status_code == 403
    assert error.challenge() == (
        'Bearer error="insufficient_scope", error_description="The access token does not'
        ' grant the scope this resource requires.", scope="read:messages write:messages"'
    )


def test_temporarily_unavailable_is_503_without_a_challenge() -> None:
    error = TemporarilyUnavailableError()
    assert (error.status_code, error.headers()) == (503, {})
    assert error.body()["error"] == "temporarily_unavailable"
