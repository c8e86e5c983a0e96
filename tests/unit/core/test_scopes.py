"""Scope syntax (RFC 6749 3.3): one parser, one wire form."""

from __future__ import annotations

import pytest

from tessera.core.errors import InvalidScopeError
from tessera.core.scopes import MALFORMED, format_scope, is_scope_token, parse_scope


def test_names_come_back_in_request_order_without_repeats() -> None:
    assert parse_scope("openid read:x openid email") == ("openid", "read:x", "email")


def test_the_empty_value_is_the_empty_scope() -> None:
    assert parse_scope("") == ()


@pytest.mark.parametrize(
    "value",
    ["openid  email", " openid", "openid ", "openid\temail", 'read"x', "a\\b", "é", "x" * 129],
    ids=["double-space", "leading", "trailing", "tab", "quote", "backslash", "non-ascii", "long"],
)
def test_anything_but_single_spaced_scope_tokens_is_malformed(value: str) -> None:
    with pytest.raises(InvalidScopeError) as raised:
        parse_scope(value)
    assert raised.value.description == MALFORMED


@pytest.mark.parametrize(("name", "valid"), [("read:x", True), ("a b", False), ("", False)])
def test_a_scope_token_is_one_name_of_the_token_set(name: str, valid: bool) -> None:
    assert is_scope_token(name) is valid


def test_scope_is_formatted_sorted_and_parses_back() -> None:
    text = format_scope({"openid", "email", "read:x"})
    assert text == "email openid read:x"
    assert parse_scope(text) == ("email", "openid", "read:x")
    assert parse_scope(format_scope(())) == ()
