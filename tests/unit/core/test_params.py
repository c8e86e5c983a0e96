"""Shared parameter rules (RFC 6749 3.1, 3.2): duplicates, empty values, bounds."""

from __future__ import annotations

import pytest

from tessera.core.errors import InvalidRequestError
from tessera.core.params import MAX_PARAMETERS, parse_params, require


def test_empty_values_count_as_omitted_and_unknown_names_are_kept() -> None:
    params = parse_params([("grant_type", "x"), ("scope", ""), ("scope", "a"), ("extra", "1")])
    assert params == {"grant_type": "x", "scope": "a", "extra": "1"}


@pytest.mark.parametrize(
    "pairs",
    [
        [("code", "a"), ("code", "b")],
        [("code", "a" * 2049)],
        [("code", "a\x00b")],
        [(f"p{i}", "v") for i in range(MAX_PARAMETERS + 1)],
    ],
    ids=["repeated", "too-long", "nul", "too-many"],
)
def test_malformed_parameters_are_invalid_request(pairs: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidRequestError):
        parse_params(pairs)


def test_long_values_are_allowed_where_expected() -> None:
    assert parse_params([("token", "t" * 8192)])["token"] == "t" * 8192


@pytest.mark.parametrize(
    ("pairs", "description"),
    [
        ([("scope", "a"), ("scope", "b")], "The scope parameter is repeated."),
        ([("Visit_evil.test", "a"), ("Visit_evil.test", "b")], "A parameter is repeated."),
        ([("Visit_evil.test", "a" * 2049)], "A parameter is too long."),
        ([("Visit_evil.test", "a\x00")], "A parameter is malformed."),
        ([('"\\\x01', "a"), ('"\\\x01', "b")], "A parameter is repeated."),
    ],
    ids=["known", "unknown-repeated", "unknown-too-long", "unknown-nul", "control-characters"],
)
def test_error_descriptions_name_only_known_parameters(
    pairs: list[tuple[str, str]], description: str
) -> None:
    with pytest.raises(InvalidRequestError) as raised:
        parse_params(pairs)
    assert raised.value.description == description


def test_require_names_the_missing_parameter() -> None:
    assert require({"code": "x"}, "code") == "x"
    with pytest.raises(InvalidRequestError) as raised:
        require({}, "code")
    assert "code" in raised.value.description
