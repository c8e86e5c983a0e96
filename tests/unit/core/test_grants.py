"""The pure parts of the grants: dispatch, scope narrowing and the refresh grace window."""

from __future__ import annotations

import pytest

from tessera.core.errors import InvalidRequestError, InvalidScopeError, UnsupportedGrantTypeError
from tessera.core.grants import GRANTS, parse_grant_type
from tessera.core.grants.base import narrow_scope
from tessera.core.grants.refresh_token import is_within_grace
from tessera.core.models import GrantType

GRANTED = frozenset({"openid", "profile", "offline_access", "read:x"})


def test_every_grant_type_has_a_handler() -> None:
    assert set(GRANTS) == set(GrantType)


@pytest.mark.parametrize("grant_type", list(GrantType))
def test_known_grant_types_parse(grant_type: GrantType) -> None:
    assert parse_grant_type({"grant_type": grant_type.value}) is grant_type


def test_missing_grant_type_is_invalid_request() -> None:
    with pytest.raises(InvalidRequestError):
        parse_grant_type({})


@pytest.mark.parametrize(
    "value", ["password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer"]
)
def test_other_grant_types_are_unsupported(value: str) -> None:
    with pytest.raises(UnsupportedGrantTypeError):
        parse_grant_type({"grant_type": value})


def test_no_scope_asked_keeps_the_granted_scope() -> None:
    assert narrow_scope(GRANTED, None) == GRANTED


def test_a_narrower_scope_may_be_asked_for() -> None:
    assert narrow_scope(GRANTED, "openid read:x") == {"openid", "read:x"}


@pytest.mark.parametrize("requested", ["openid write:x", "email"], ids=["one-more", "other"])
def test_a_wider_scope_is_invalid_scope(requested: str) -> None:
    with pytest.raises(InvalidScopeError):
        narrow_scope(GRANTED, requested)


@pytest.mark.parametrize(
    ("rotated_ago", "grace", "expected"),
    [(0, 0, False), (5, 0, False), (0, 30, True), (30, 30, True), (31, 30, False)],
    ids=["no-window-same-second", "no-window", "just-rotated", "edge", "past"],
)
def test_grace_window(rotated_ago: int, grace: int, expected: bool) -> None:
    now = 1_800_000_000
    assert is_within_grace(now - rotated_ago, now, grace) is expected
