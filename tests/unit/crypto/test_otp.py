"""TOTP secrets and codes (RFC 6238) and recovery codes: what crypto.otp accepts."""

from __future__ import annotations

import pyotp
import pytest

from tessera.crypto.keys import KeyDecryptionError
from tessera.crypto.otp import (
    TOTPSecretError,
    matching_step,
    new_recovery_code,
    new_totp_secret,
    normalise_recovery_code,
    open_totp_secret,
    otpauth_uri,
    parse_totp_secret,
    seal_totp_secret,
)

KEY = "k" * 43
NOW = 1_800_000_010  # 10 s into step 60_000_000.
STEP = NOW // 30


def _code(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * 30)


def test_a_code_matches_its_step_and_one_either_side() -> None:
    secret = new_totp_secret()
    for step in (STEP - 1, STEP, STEP + 1):
        assert matching_step(secret, _code(secret, step), NOW) == step
    assert matching_step(secret, " ".join(_code(secret, STEP)), NOW) == STEP


def test_a_code_two_steps_away_or_malformed_matches_nothing() -> None:
    secret = new_totp_secret()
    assert matching_step(secret, _code(secret, STEP - 2), NOW) is None
    assert matching_step(secret, _code(secret, STEP + 2), NOW) is None
    for bad in ("", "12345", "1234567", "12345a", "١٢٣٤٥٦"):
        assert matching_step(secret, bad, NOW) is None


def test_the_rfc_6238_sha1_vector_is_what_an_app_shows() -> None:
    # RFC 6238 Appendix B: the ASCII secret "12345678901234567890", T = 59 s, SHA-1.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert matching_step(secret, "287082", 59) == 1


def test_an_imported_secret_is_canonical_base32_of_at_least_128_bits() -> None:
    assert parse_totp_secret("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp") == "JBSWY3DPEHPK3PXP" * 2
    assert parse_totp_secret("GEZDGNBVGY3TQOJQGEZDGNBVGY======") == "GEZDGNBVGY3TQOJQGEZDGNBVGY"
    with pytest.raises(TOTPSecretError, match="not base32"):
        parse_totp_secret("JBSWY3DPEHPK3PX1")
    with pytest.raises(TOTPSecretError, match="80 bits"):
        parse_totp_secret("JBSWY3DPEHPK3PXP")
    with pytest.raises(TOTPSecretError, match="0 bits"):
        parse_totp_secret("  ")


def test_a_sealed_secret_opens_only_for_its_factor_and_key() -> None:
    secret = new_totp_secret()
    sealed = seal_totp_secret(secret, "factor-1", KEY)
    assert secret.encode() not in sealed
    assert open_totp_secret(sealed, "factor-1", KEY) == secret
    with pytest.raises(KeyDecryptionError, match="factor-2"):
        open_totp_secret(sealed, "factor-2", KEY)
    with pytest.raises(KeyDecryptionError, match="TESSERA_SECRET_KEY"):
        open_totp_secret(sealed, "factor-1", "x" * 43)


def test_the_otpauth_uri_names_issuer_account_and_secret() -> None:
    uri = otpauth_uri("JBSWY3DPEHPK3PXP" * 2, "alice", "login.example.test")
    assert uri.startswith("otpauth://totp/login.example.test:alice?")
    assert "secret=" + "JBSWY3DPEHPK3PXP" * 2 in uri and "issuer=login.example.test" in uri


def test_recovery_codes_are_random_and_read_back_however_typed() -> None:
    codes = {new_recovery_code() for _ in range(50)}
    assert len(codes) == 50
    code = codes.pop()
    assert len(code) == 11 and code[5] == "-"
    assert normalise_recovery_code(f" {code.upper().replace('-', ' ')} ") == code
