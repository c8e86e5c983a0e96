"""Which API a request is for (RFC 8707 resource, Auth0's audience), and the aud claim."""

from __future__ import annotations

import pytest

from tessera.core.audience import (
    DIFFERENT,
    REQUIRED,
    build_audience,
    check_grant_audience,
    requested_audience,
    require_audience,
    resolve_api,
)
from tessera.core.errors import InvalidRequestError, InvalidTargetError
from tessera.core.models import Api

API = Api(id="api-1", identifier="https://api.test", name="API")
USERINFO = "https://as.test/userinfo"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, None),
        ({"audience": API.identifier}, API.identifier),
        ({"resource": API.identifier}, API.identifier),
        ({"audience": API.identifier, "resource": API.identifier}, API.identifier),
    ],
    ids=["none", "audience", "resource", "both-equal"],
)
def test_either_parameter_names_the_api(params: dict[str, str], expected: str | None) -> None:
    assert requested_audience(params) == expected


def test_two_different_names_are_invalid_request_everywhere() -> None:
    params = {"audience": API.identifier, "resource": "https://other.test"}
    for check in (requested_audience, require_audience, lambda p: check_grant_audience(p, None)):
        with pytest.raises(InvalidRequestError) as raised:
            check(params)
        assert raised.value.description == DIFFERENT


def test_a_machine_token_request_must_name_an_api() -> None:
    with pytest.raises(InvalidRequestError) as raised:
        require_audience({})
    assert raised.value.description == REQUIRED
    assert require_audience({"resource": API.identifier}) == API.identifier


def test_a_name_resolves_only_to_the_api_that_has_it() -> None:
    assert resolve_api(API.identifier, API) is API
    with pytest.raises(InvalidTargetError):
        resolve_api(API.identifier, None)
    with pytest.raises(InvalidTargetError):
        resolve_api("https://other.test", API)


@pytest.mark.parametrize(
    ("params", "granted"),
    [({}, API.identifier), ({"resource": API.identifier}, API.identifier), ({}, None)],
    ids=["nothing-asked", "the-grants-api", "grant-without-api"],
)
def test_a_grant_request_may_repeat_its_own_api(params: dict[str, str], granted: str) -> None:
    check_grant_audience(params, granted)


@pytest.mark.parametrize("granted", [API.identifier, None], ids=["other-api", "grant-without-api"])
def test_a_grant_request_naming_another_api_is_invalid_target(granted: str | None) -> None:
    with pytest.raises(InvalidTargetError):
        check_grant_audience({"audience": "https://other.test"}, granted)


@pytest.mark.parametrize(
    ("api", "scope", "expected"),
    [
        ("https://api.test", {"openid"}, ["https://api.test", USERINFO]),
        ("https://api.test", {"read"}, "https://api.test"),
        (None, {"openid"}, USERINFO),
    ],
    ids=["api-and-openid", "api-only", "openid-only"],
)
def test_audience_is_the_api_plus_userinfo_under_openid(
    api: str | None, scope: set[str], expected: str | list[str]
) -> None:
    assert build_audience(api, frozenset(scope), USERINFO) == expected
