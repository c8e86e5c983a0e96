from __future__ import annotations

import hashlib

from hypothesis import given, strategies as st

from tessera.crypto.tokens import (
    SecretKind,
    b64url,
    constant_time_equals,
    digest,
    half_hash,
    new_id,
    new_secret,
    s256,
)


def test_secrets_carry_their_prefix_and_256_bits() -> None:
    for kind in SecretKind:
        secret = new_secret(kind)
        assert secret.startswith(kind.value)
        assert len(secret) - len(kind.value) == 43  # 32 bytes, base64url without padding


def test_secrets_and_ids_are_unique() -> None:
    assert len({new_secret(SecretKind.REFRESH_TOKEN) for _ in range(1000)}) == 1000
    assert len({new_id() for _ in range(1000)}) == 1000


def test_digest_is_sha256_of_the_secret() -> None:
    assert digest("tsr_ac_x") == hashlib.sha256(b"tsr_ac_x").digest()


def test_constant_time_equals_accepts_str_and_bytes() -> None:
    assert constant_time_equals("abc", b"abc")
    assert not constant_time_equals("abc", "abd")
    assert not constant_time_equals(b"abc", "abcd")


def test_s256_matches_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_half_hash_is_left_half_of_sha256() -> None:
    assert half_hash("token") == b64url(hashlib.sha256(b"token").digest()[:16])


@given(st.binary(max_size=64))
def test_b64url_has_no_padding_and_url_safe_alphabet(data: bytes) -> None:
    encoded = b64url(data)
    assert "=" not in encoded and "+" not in encoded and "/" not in encoded
