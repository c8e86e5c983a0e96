"""The Authorization header's Bearer credentials (RFC 6750 2.1), the grammar tessera's
userinfo endpoint and resource servers share."""

from __future__ import annotations

import pytest

from tessera.crypto.bearer import MalformedCredentialsError, bearer_credentials


@pytest.mark.parametrize(
    ("values", "token"),
    [
        (["Bearer abc.DEF-_~+/.ghi=="], "abc.DEF-_~+/.ghi=="),
        (["bearer abc"], "abc"),
        (["BEARER   abc  "], "abc"),
        ([], None),
        (["Basic dXNlcjpwYXNz"], None),
    ],
    ids=["b64token", "lower-case", "spaces", "absent", "another-scheme"],
)
def test_one_bearer_token_is_read_and_other_schemes_are_no_attempt(
    values: list[str], token: str | None
) -> None:
    assert bearer_credentials(values) == token


@pytest.mark.parametrize(
    "values",
    [
        ["abc.def.ghi"],
        [""],
        ["Bearer"],
        ["Bearer "],
        ["Bearer a b"],
        ["Bearer a,b"],
        ["Bearer =abc"],
        ["Bearer a", "Bearer b"],
    ],
    ids=[
        "no-scheme",
        "empty",
        "scheme-only",
        "scheme-and-space",
        "two-tokens",
        "not-b64token",
        "leading-padding",
        "two-headers",
    ],
)
def test_anything_else_is_malformed(values: list[str]) -> None:
    with pytest.raises(MalformedCredentialsError):
        bearer_credentials(values)
