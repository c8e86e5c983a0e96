"""crypto.jws.JWSVerifier accepts and refuses exactly what joserfc's deserialize_compact
does, with the same header and payload, on generated good and bad tokens.

Tokens are built from headers (plain, with extra members, malformed, not JSON at all),
payloads, signers (the right key, another key, HMAC keyed with the public key, none,
random bytes) and then mutated character by character; they are checked against key
sets as tessera publishes them and against odd ones (no alg or use, one key without a
kid, a duplicate kid, enc-only and verify-less keys, other curves, a symmetric key).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given, settings, strategies as st
from joserfc import jws
from joserfc.jwk import ECKey, KeySet, OctKey, OKPKey, RSAKey

from tessera.crypto.jws import JWSVerifier, b64url_decode_strict
from tessera.crypto.jwt import JWTError
from tessera.crypto.tokens import b64url

Outcome = tuple[dict[str, Any], bytes] | None


@dataclass(frozen=True)
class Keys:
    """Private keys by name, each with the public JWK the issuer would publish."""

    private: dict[str, Any]
    public: dict[str, dict[str, Any]]


def _make_keys() -> Keys:
    generated: dict[str, RSAKey | ECKey | OKPKey] = {
        "rsa": RSAKey.generate_key(2048),
        "rsa2": RSAKey.generate_key(2048),
        "p256": ECKey.generate_key("P-256"),
        "p384": ECKey.generate_key("P-384"),
        "ed25519": OKPKey.generate_key("Ed25519"),
        "ed448": OKPKey.generate_key("Ed448"),
        "x25519": OKPKey.generate_key("X25519"),
    }
    public = {name: dict(key.as_dict(private=False)) for name, key in generated.items()}
    private: dict[str, Any] = {name: key.private_key for name, key in generated.items()}
    public["oct"] = dict(OctKey.generate_key(256).as_dict(private=True))
    private["oct"] = b"oct-secret"
    return Keys(private, public)


KEYS = _make_keys()


def _jwk(name: str, **members: Any) -> dict[str, Any]:
    jwk = {**KEYS.public[name], **members}
    return {k: v for k, v in jwk.items() if v is not None}


KEY_SETS: dict[str, list[dict[str, Any]]] = {
    "as-tessera-publishes": [
        _jwk("rsa", kid="k-rsa", use="sig", alg="RS256"),
        _jwk("p256", kid="k-p256", use="sig", alg="ES256"),
        _jwk("ed25519", kid="k-ed", use="sig", alg="EdDSA"),
    ],
    "no-alg-no-use": [
        _jwk("rsa", kid="k-rsa"),
        _jwk("p256", kid="k-p256"),
        _jwk("ed25519", kid="k-ed"),
    ],
    "one-key-without-kid": [_jwk("rsa")],
    "odd": [
        _jwk("rsa", kid="dup"),
        _jwk("p256", kid="dup", alg="ES256"),
        _jwk("rsa2", kid="k-enc", use="enc"),
        _jwk("p256", kid="k-sign-only", key_ops=["sign"]),
        _jwk("p384", kid="k-p384"),
        _jwk("ed448", kid="k-ed448"),
        _jwk("x25519", kid="k-x25519"),
        _jwk("oct", kid="k-oct"),
        _jwk("ed25519", kid="k-ed", alg="Ed25519"),
        _jwk("rsa2", kid="", alg="RS256"),
    ],
}
# Per key set, (kid, signing key, alg) triples that verify: the base of most generated
# tokens, so that acceptances are common and each change has something to break.
_THUMBPRINT = KeySet.import_key_set({"keys": KEY_SETS["one-key-without-kid"]}).keys[0].kid
COHERENT: dict[str, list[tuple[str | None, str, str]]] = {
    "as-tessera-publishes": [
        ("k-rsa", "rsa", "RS256"),
        ("k-p256", "p256", "ES256"),
        ("k-ed", "ed25519", "EdDSA"),
    ],
    "no-alg-no-use": [
        ("k-rsa", "rsa", "RS256"),
        ("k-p256", "p256", "ES256"),
        ("k-ed", "ed25519", "EdDSA"),
    ],
    "one-key-without-kid": [(None, "rsa", "RS256"), (_THUMBPRINT, "rsa", "RS256")],
    "odd": [
        ("dup", "rsa", "RS256"),
        ("dup", "p256", "ES256"),
        ("k-p384", "p384", "ES256"),
        ("k-ed448", "ed448", "EdDSA"),
        ("k-ed", "ed25519", "EdDSA"),
        ("k-sign-only", "p256", "ES256"),
        ("k-enc", "rsa2", "RS256"),
        ("", "rsa2", "RS256"),
    ],
}
ALGORITHM_LISTS = [["EdDSA", "ES256", "RS256"], ["RS256"], ["ES256", "EdDSA"]]
KIDS = ["k-rsa", "k-p256", "k-ed", "dup", "k-enc", "k-sign-only", "k-p384", "k-ed448",
        "k-x25519", "k-oct", "", "unknown"]  # fmt: skip
ALGS = ["RS256", "ES256", "EdDSA", "none", "HS256", "RS384", "PS256", "ES384", "Ed25519", "rs256"]


def _sign(name: str, data: bytes) -> bytes:
    key = KEYS.private[name]
    if isinstance(key, bytes):
        return hmac.new(key, data, hashlib.sha256).digest()
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if isinstance(key, ec.EllipticCurvePrivateKey):
        size = (key.curve.key_size + 7) // 8
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    signed: bytes = key.sign(data)
    return signed


def _public_pem(name: str) -> bytes:
    pem: bytes = (
        KEYS.private[name]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return pem


def _compact(header: bytes, payload: bytes, signer: str, *, b64: bool = True) -> str:
    header_segment = b64url(header)
    payload_segment = b64url(payload) if b64 else payload.decode("latin-1")
    signing_input = f"{header_segment}.{payload_segment}".encode("latin-1")
    if signer == "empty":
        signature = b""
    elif signer.startswith("hmac-public:"):
        secret = _public_pem(signer.split(":")[1])
        signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    elif signer.startswith("bytes:"):
        signature = bytes.fromhex(signer.split(":")[1])
    else:
        signature = _sign(signer, signing_input)
    return f"{header_segment}.{payload_segment}.{b64url(signature)}"


def reference(token: str, key_set: KeySet, algorithms: list[str]) -> Outcome:
    try:
        result = jws.deserialize_compact(token, key_set, algorithms=algorithms)
    except Exception:
        return None
    return result.protected, result.payload


def fast(token: str, verifier: JWSVerifier) -> Outcome:
    try:
        return verifier.verify(token)
    except JWTError:
        return None


CLAIMS = json.dumps({"iss": "https://as.test", "sub": "u", "exp": 1_900_000_000}).encode()

extra_members = st.fixed_dictionaries(
    {},
    optional={
        "typ": st.sampled_from(["at+jwt", "JWT", 1]),
        "cty": st.just("JWT"),
        "crit": st.sampled_from([["b64"], ["exp"], [], "b64", 1, [["b64"]]]),
        "b64": st.sampled_from([True, False, "false"]),
        "jku": st.sampled_from(["https://as.test/jwks", "ftp://x"]),
        "x5c": st.sampled_from([["abc"], "abc"]),
        "foo": st.just("bar"),
        "kid": st.sampled_from([*KIDS, 7, None]),
        "alg": st.sampled_from([*ALGS, None, 1, ["RS256"]]),
    },
)
raw_headers = st.sampled_from(
    [b"[]", b'"alg"', b"{}", b"null", b"not json", b"\xff\xfe", b'{"alg":"RS256","alg":"none"}',
     b'{"alg":"RS256","kid":"k-rsa"}'.decode().encode("utf-16"), b'\xef\xbb\xbf{"alg":"RS256"}']
) | st.binary(max_size=40)  # fmt: skip
signers = st.sampled_from(
    ["rsa", "rsa2", "p256", "p384", "ed25519", "ed448", "oct", "empty", "hmac-public:rsa",
     "hmac-public:p256", "bytes:00", "bytes:" + "11" * 64]
)  # fmt: skip
payloads = st.sampled_from([CLAIMS, b"", b"{}", b"\x00\xff"]) | st.binary(max_size=32)


def _sometimes(draw: st.DrawFn) -> bool:
    return draw(st.integers(0, 4)) == 0


@st.composite
def tokens(draw: st.DrawFn, coherent: list[tuple[str | None, str, str]]) -> str:
    kid, signer, alg = draw(st.sampled_from(coherent))
    fields: dict[str, Any] = {"alg": alg} if kid is None else {"alg": alg, "kid": kid}
    if draw(st.booleans()):
        fields["typ"] = "at+jwt"
    if _sometimes(draw):
        fields.update(draw(extra_members))
    if _sometimes(draw):
        signer = draw(signers)
    header = draw(raw_headers) if _sometimes(draw) else json.dumps(fields).encode()
    b64 = fields.get("b64") is not False
    payload = draw(payloads) if b64 else draw(st.sampled_from([b"{}", b"", b"raw-text"]))
    token = _compact(header, payload, signer, b64=b64)
    return draw(mutated(token)) if _sometimes(draw) else token


@st.composite
def mutated(draw: st.DrawFn, token: str) -> str:
    kind = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "append"]))
    at = draw(st.integers(0, len(token) - 1))
    if kind == "flip":
        return token[:at] + draw(st.sampled_from("AaQw09-_")) + token[at + 1 :]
    if kind == "delete":
        return token[:at] + token[at + 1 :]
    if kind == "insert":
        return token[:at] + draw(st.sampled_from(["=", "+", "/", " ", "é", ".", "A"])) + token[at:]
    if kind == "truncate":
        return token[:at]
    return token + draw(st.sampled_from([".", ".x", "=", "==", "\n"]))


@pytest.mark.parametrize("name", list(KEY_SETS))
@pytest.mark.parametrize("algorithms", ALGORITHM_LISTS, ids=",".join)
def test_fast_verifier_agrees_with_joserfc(name: str, algorithms: list[str]) -> None:
    key_set = KeySet.import_key_set({"keys": KEY_SETS[name]})
    verifier = JWSVerifier(key_set, algorithms)

    @settings(max_examples=200, deadline=None)
    @given(token=tokens(COHERENT[name]))
    def agrees(token: str) -> None:
        expected = reference(token, key_set, algorithms)
        assert fast(token, verifier) == expected
        assert fast(token, verifier) == expected  # Again, with the header cache warm.

    agrees()


TESSERA = KeySet.import_key_set({"keys": KEY_SETS["as-tessera-publishes"]})


def _h(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


def _es256_with_zero_padded_s() -> str:
    """A good ES256 signature with S written in 34 bytes: the same integers, the wrong length."""
    header, payload, signature = _compact(_h(alg="ES256", kid="k-p256"), CLAIMS, "p256").split(".")
    raw = b64url_decode_strict(signature)
    return f"{header}.{payload}.{b64url(raw[:32] + bytes(2) + raw[32:])}"


NAMED_CASES = {
    # name: (token, accepted by both)
    "rs256": (_compact(_h(alg="RS256", kid="k-rsa", typ="at+jwt"), CLAIMS, "rsa"), True),
    "es256": (_compact(_h(alg="ES256", kid="k-p256"), CLAIMS, "p256"), True),
    "eddsa": (_compact(_h(alg="EdDSA", kid="k-ed"), CLAIMS, "ed25519"), True),
    "wrong-key": (_compact(_h(alg="RS256", kid="k-rsa"), CLAIMS, "rsa2"), False),
    "wrong-alg-for-key": (_compact(_h(alg="ES256", kid="k-rsa"), CLAIMS, "p256"), False),
    "alg-none": (_compact(_h(alg="none", kid="k-rsa"), CLAIMS, "empty"), False),
    "alg-none-no-kid": (_compact(_h(alg="none"), CLAIMS, "empty"), False),
    "hs256-public-pem": (_compact(_h(alg="HS256", kid="k-rsa"), CLAIMS, "hmac-public:rsa"), False),
    "hs256-no-kid": (_compact(_h(alg="HS256"), CLAIMS, "hmac-public:rsa"), False),
    "no-kid-several-keys": (_compact(_h(alg="RS256"), CLAIMS, "rsa"), False),
    "unknown-kid": (_compact(_h(alg="RS256", kid="unknown"), CLAIMS, "rsa"), False),
    "crit-unknown": (
        _compact(_h(alg="RS256", kid="k-rsa", crit=["exp"], exp=1), CLAIMS, "rsa"),
        False,
    ),
    "crit-b64-false": (
        _compact(_h(alg="RS256", kid="k-rsa", b64=False, crit=["b64"]), b"{}", "rsa", b64=False),
        True,
    ),
    "b64-false-without-crit": (
        _compact(_h(alg="RS256", kid="k-rsa", b64=False), b"{}", "rsa", b64=False),
        False,
    ),
    "cty-extra-member": (_compact(_h(alg="RS256", kid="k-rsa", cty="JWT"), CLAIMS, "rsa"), True),
    "unknown-member": (_compact(_h(alg="RS256", kid="k-rsa", foo="bar"), CLAIMS, "rsa"), False),
    "header-not-json": (_compact(b"nope", CLAIMS, "rsa"), False),
    "header-a-list": (_compact(b'["alg"]', CLAIMS, "rsa"), False),
    "payload-not-json": (_compact(_h(alg="RS256", kid="k-rsa"), b"\xff", "rsa"), True),
    "extra-segment": (_compact(_h(alg="RS256", kid="k-rsa"), CLAIMS, "rsa") + ".AA", False),
    "padding": (_compact(_h(alg="RS256", kid="k-rsa"), CLAIMS, "rsa") + "==", False),
    "es256-short-signature": (_compact(_h(alg="ES256", kid="k-p256"), CLAIMS, "bytes:00"), False),
    "es256-zero-padded-s": (_es256_with_zero_padded_s(), False),
    "header-over-512": (
        _compact(_h(alg="RS256", kid="k-rsa", typ="x" * 400), CLAIMS, "rsa"),
        False,
    ),
    "payload-over-128000": (_compact(_h(alg="RS256", kid="k-rsa"), b"x" * 96_100, "rsa"), False),
    "payload-at-the-limit": (_compact(_h(alg="RS256", kid="k-rsa"), b"x" * 96_000, "rsa"), True),
    "too-large": ("A" * 200_000 + "..", False),
    "huge-header": ("A" * 600 + "." + "A" * 4 + ".", False),
}


@pytest.mark.parametrize(("token", "accepted"), NAMED_CASES.values(), ids=list(NAMED_CASES))
def test_named_cases_agree_with_joserfc(token: str, accepted: bool) -> None:
    algorithms = ["EdDSA", "ES256", "RS256"]
    expected = reference(token, TESSERA, algorithms)
    assert fast(token, JWSVerifier(TESSERA, algorithms)) == expected
    assert (expected is not None) is accepted


@given(st.binary(max_size=40))
def test_base64url_decoding_is_the_canonical_inverse(data: bytes) -> None:
    assert b64url_decode_strict(b64url(data)) == data


@pytest.mark.parametrize("segment", ["QQ==", "QR", "Q", "Q+", "Q/", "Q Q", "QQ\n", "é"])
def test_non_canonical_base64url_is_refused(segment: str) -> None:
    with pytest.raises(JWTError):
        b64url_decode_strict(segment)


def test_only_rs256_es256_and_eddsa_may_be_allowed() -> None:
    for algorithms in ([], ["HS256"], ["RS256", "none"], ["PS256"]):
        with pytest.raises(ValueError):
            JWSVerifier(TESSERA, algorithms)


def test_the_header_cache_stays_bounded_and_correct() -> None:
    verifier = JWSVerifier(TESSERA)
    for n in range(70):
        token = _compact(_h(alg="ES256", kid="k-p256", typ=f"t{n}"), CLAIMS, "p256")
        assert verifier.verify(token) == ({"alg": "ES256", "kid": "k-p256", "typ": f"t{n}"}, CLAIMS)
    assert len(verifier._plain_headers) <= 64
