"""at_hash per signing algorithm (OIDC Core 3.1.3.6, OpenID token hash algorithms guide)."""

from __future__ import annotations

import hashlib

import pytest

from tessera.crypto.jwt import id_token_hash
from tessera.crypto.keys import Algorithm
from tessera.crypto.tokens import b64url, half_hash


@pytest.mark.parametrize("alg", [Algorithm.RS256, Algorithm.ES256])
def test_sha256_algorithms_take_the_left_half_of_sha256(alg: Algorithm) -> None:
    assert id_token_hash("token", alg) == b64url(hashlib.sha256(b"token").digest()[:16])


def test_eddsa_takes_the_left_half_of_sha512() -> None:
    expected = b64url(hashlib.sha512(b"token").digest()[:32])
    assert id_token_hash("token", Algorithm.EDDSA) == expected == half_hash("token", "sha512")
