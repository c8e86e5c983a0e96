"""Compact JWS verification on `cryptography` for the per-request path (RFC 7515 3.1, 5.2).

joserfc spends more per verification around the signature than the signature itself
costs (measured: see bench/resource_verify.py), which would cap a resource server well
below what the signature allows. `JWSVerifier` keeps joserfc for every decision about
*which* key may verify *which* algorithm: it imports the JWK set with joserfc and
resolves each (kid, alg) pair once, through joserfc's own key selection and key
checks. Per token it does only what must happen per token: split, strict base64url
(RFC 7515 2), the header, one `cryptography` verify. A header of any shape other than
the plain {alg, kid, typ} that tessera issues (crit, b64, jku, x5c, unknown members,
non-string values) is handed to joserfc unchanged.
tests/unit/crypto/test_jws_differential.py checks that the result is exactly
`joserfc.jws.deserialize_compact`'s on generated good and bad tokens.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Callable, Collection
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, guess_key

from tessera.crypto.jwt import (
    ALLOWED_ALGORITHMS,
    ECDSA_SHA256,
    PKCS1V15,
    SHA256,
    Claims,
    JWTError,
    verified_claims,
)
from tessera.crypto.keys import Algorithm

Header = dict[str, Any]
SignatureCheck = Callable[[bytes, bytes], None]
"""Verifies (signature, signing input); raises InvalidSignature."""

_PLAIN_HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
_MAX_HEADER = jws.JWSRegistry.max_header_length
_MAX_PAYLOAD = jws.JWSRegistry.max_payload_length
_MAX_SIGNATURE = jws.JWSRegistry.max_signature_length
_MAX_TOKEN = _MAX_HEADER + _MAX_PAYLOAD + _MAX_SIGNATURE
_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
_PADDING = {0: b"", 2: b"==", 3: b"="}
# The last character may carry only data bits: 4 spare bits after 1 byte, 2 after 2.
_CANONICAL_LAST = {2: frozenset("AQgw"), 3: frozenset("AEIMQUYcgkosw048")}
_HEADER_CACHE_SIZE = 64


def check_algorithms(algorithms: Collection[str]) -> list[str]:
    """The allow-list, sorted, if every member is one tessera verifies.

    Raises:
        ValueError: an empty list, or another algorithm (`none` and the HMAC family can
            never be allowed: with a public key as the secret they are alg confusion).
    """
    if not algorithms or not set(algorithms) <= ALLOWED_ALGORITHMS:
        raise ValueError(f"algorithms must be a non-empty subset of {sorted(ALLOWED_ALGORITHMS)}")
    return sorted(algorithms)


class UnknownKeyError(JWTError):
    """The token names a kid the key set does not hold: a refetch of the set may help."""


def b64url_decode_strict(segment: str) -> bytes:
    """Decode base64url without padding, accepting only the canonical encoding (RFC 7515
    2, RFC 4648 3.5): no `=`, `+`, `/` or whitespace, and zero bits after the last byte.

    Raises:
        JWTError: the segment is not canonical base64url.
    """
    remainder = len(segment) % 4
    if (
        "+" in segment
        or "/" in segment
        or "=" in segment
        or remainder == 1
        or (remainder and segment[-1] not in _CANONICAL_LAST[remainder])
    ):
        raise JWTError("bad base64url")
    try:
        standard = segment.encode("ascii").translate(_TO_STANDARD) + _PADDING[remainder]
        return binascii.a2b_base64(standard, strict_mode=True)
    except ValueError:
        raise JWTError("bad base64url") from None


def _check_rs256(key: rsa.RSAPublicKey) -> SignatureCheck:
    def check(signature: bytes, signing_input: bytes) -> None:
        key.verify(signature, signing_input, PKCS1V15, SHA256)

    return check


def _check_es256(key: ec.EllipticCurvePublicKey) -> SignatureCheck:
    def check(signature: bytes, signing_input: bytes) -> None:
        # RFC 7518 3.4: R and S as 32-byte big-endian integers, concatenated.
        if len(signature) != 64:
            raise InvalidSignature
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:], "big")
        key.verify(encode_dss_signature(r, s), signing_input, ECDSA_SHA256)

    return check


def _check_eddsa(key: ed25519.Ed25519PublicKey | ed448.Ed448PublicKey) -> SignatureCheck:
    def check(signature: bytes, signing_input: bytes) -> None:
        key.verify(signature, signing_input)

    return check


def _signature_check(alg: str, public_key: object) -> SignatureCheck | None:
    if alg == Algorithm.RS256 and isinstance(public_key, rsa.RSAPublicKey):
        return _check_rs256(public_key)
    if alg == Algorithm.ES256 and isinstance(public_key, ec.EllipticCurvePublicKey):
        return _check_es256(public_key)
    if alg == Algorithm.EDDSA and isinstance(
        public_key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
    ):
        return _check_eddsa(public_key)
    return None


def _resolve(key_set: KeySet, registry: jws.JWSRegistry, kid: str | None, alg: str) -> object:
    """The public key joserfc would verify a token with this kid and alg with, or None."""
    header: Header = {"alg": alg} if kid is None else {"alg": alg, "kid": kid}
    try:
        key = guess_key(key_set, jws.CompactSignature(header, b""), use="sig")
        registry.get_alg(alg).check_key(key)
        return key.get_op_key("verify")
    except (JoseError, ValueError):
        return None


def _is_plain(header: object) -> bool:
    return (
        type(header) is dict
        and "alg" in header
        and header.keys() <= _PLAIN_HEADER_MEMBERS
        and all(type(value) is str for value in header.values())
    )


class JWSVerifier:
    """Verifies compact JWS against one key set and an algorithm allow-list.

    Built once per fetched key set; `verify` is safe to call concurrently.
    """

    def __init__(self, key_set: KeySet, algorithms: Collection[str] = ALLOWED_ALGORITHMS) -> None:
        """Raises:
        ValueError: see `check_algorithms`.
        """
        self._key_set = key_set
        self._algorithms = check_algorithms(algorithms)
        registry = jws.JWSRegistry(algorithms=self._algorithms)
        self.kids = frozenset(key.kid for key in key_set if key.kid is not None)
        self._checks: dict[tuple[str | None, str], SignatureCheck] = {}
        for kid in [*self.kids, None]:
            for alg in self._algorithms:
                check = _signature_check(alg, _resolve(key_set, registry, kid, alg))
                if check is not None:
                    self._checks[kid, alg] = check
        # Tokens from one issuer share a handful of header segments: parsing each once
        # saves a base64 and a JSON decode per token. Only headers that resolved to a key
        # are kept, and the cache is emptied when full, so junk cannot pin it.
        self._plain_headers: dict[str, tuple[Header, SignatureCheck]] = {}

    def verify(self, token: str) -> tuple[Header, bytes]:
        """Check the signature; return the protected header and the payload bytes.

        Raises:
            UnknownKeyError: an allowed alg with a kid this key set does not hold.
            JWTError: anything else that is not a valid signature by one of the keys.
        """
        if len(token) > _MAX_TOKEN:
            raise JWTError("token too large")
        segments = token.split(".")
        if len(segments) != 3:
            raise JWTError("not a compact JWS")
        header_segment, payload_segment, signature_segment = segments
        if (
            len(header_segment) > _MAX_HEADER
            or len(payload_segment) > _MAX_PAYLOAD
            or len(signature_segment) > _MAX_SIGNATURE
        ):
            raise JWTError("segment too large")
        plain = self._plain_headers.get(header_segment)
        if plain is None:
            try:
                header = json.loads(b64url_decode_strict(header_segment))
            except ValueError:
                raise JWTError("header is not JSON") from None
            if not _is_plain(header):
                return self._verify_with_joserfc(token)
            plain = (header, self._signature_check(header))
            if len(self._plain_headers) >= _HEADER_CACHE_SIZE:
                self._plain_headers.clear()
            self._plain_headers[header_segment] = plain
        header, check = plain
        signature = b64url_decode_strict(signature_segment)
        payload = b64url_decode_strict(payload_segment)
        try:
            check(signature, f"{header_segment}.{payload_segment}".encode("ascii"))
        except InvalidSignature:
            raise JWTError("bad signature") from None
        return dict(header), payload

    def verify_jwt(
        self,
        token: str,
        *,
        issuer: str,
        audience: str | None,
        typ: str | None,
        now: int,
        leeway: int = 0,
    ) -> Claims:
        """`crypto.jwt.verify_jwt` on this verifier: signature, header type and claims.

        Raises:
            JWTError: as `verify` and `crypto.jwt.verified_claims`.
        """
        header, payload = self.verify(token)
        return verified_claims(
            header, payload, issuer=issuer, audience=audience, typ=typ, now=now, leeway=leeway
        )

    def _signature_check(self, header: Header) -> SignatureCheck:
        alg, kid = header["alg"], header.get("kid")
        check = self._checks.get((kid, alg))
        if check is None:
            if kid is not None and kid not in self.kids and alg in self._algorithms:
                raise UnknownKeyError("unknown kid")
            raise JWTError("no key for this kid and algorithm")
        return check

    def _verify_with_joserfc(self, token: str) -> tuple[Header, bytes]:
        try:
            result = jws.deserialize_compact(token, self._key_set, algorithms=self._algorithms)
        # joserfc answers some malformed headers (crit as a string, a list for a header)
        # with built-in errors rather than JoseError; any failure refuses the token.
        except Exception:
            raise JWTError("refused by joserfc") from None
        return result.protected, result.payload
