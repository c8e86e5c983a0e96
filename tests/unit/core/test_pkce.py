"""PKCE (RFC 7636): the challenge at /authorize, the verifier at the token endpoint."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from tessera.core.errors import InvalidGrantError, InvalidRequestError
from tessera.core.pkce import validate_code_challenge, verify_code_verifier
from tessera.crypto.tokens import s256

UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
verifiers = st.text(alphabet=UNRESERVED, min_size=43, max_size=128)


def test_rfc7636_appendix_b_vector_verifies() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert validate_code_challenge(challenge, "S256") == challenge
    verify_code_verifier(verifier, challenge)


@given(verifiers)
def test_every_well_formed_verifier_matches_its_own_challenge(verifier: str) -> None:
    challenge = validate_code_challenge(s256(verifier), "S256")
    verify_code_verifier(verifier, challenge)


@given(verifiers, verifiers)
def test_a_verifier_never_matches_another_verifiers_challenge(first: str, second: str) -> None:
    if first == second:
        return
    with pytest.raises(InvalidGrantError):
        verify_code_verifier(second, s256(first))


@pytest.mark.parametrize(
    "verifier",
    ["a" * 42, "a" * 129, "a" * 42 + " ", "a" * 42 + "+", "a" * 42 + "é"],
    ids=["too-short", "too-long", "space", "plus", "non-ascii"],
)
def test_malformed_verifier_is_invalid_grant(verifier: str) -> None:
    challenge = s256("a" * 43)
    with pytest.raises(InvalidGrantError) as raised:
        verify_code_verifier(verifier, challenge)
    assert "43-128" in (raised.value.detail or "")


def test_missing_verifier_is_invalid_request() -> None:
    with pytest.raises(InvalidRequestError):
        verify_code_verifier(None, s256("a" * 43))


@pytest.mark.parametrize(
    ("challenge", "method"),
    [
        (None, "S256"),
        ("a" * 43, "plain"),
        ("a" * 43, None),
        ("a" * 42, "S256"),
        ("a+" * 22, "S256"),
    ],
    ids=["no-challenge", "plain", "no-method", "short", "bad-characters"],
)
def test_unacceptable_challenge_is_invalid_request(
    challenge: str | None, method: str | None
) -> None:
    with pytest.raises(InvalidRequestError):
        validate_code_challenge(challenge, method)
