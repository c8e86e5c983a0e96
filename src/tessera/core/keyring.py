"""The signing keys a process signs and verifies with, parsed once and reread on a TTL.

Parsing and decrypting a key is slow (RSA key validation above all), so keys stay in
memory; a node notices keys added or rotated by another node within `ttl` seconds, the
bound DESIGN.md's scale section promises. How keys change state is core.key_rotation.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol

from joserfc.jwk import KeySet

from tessera.core.models import KeyState, StoredKey, Timestamp
from tessera.core.signing_algorithms import not_enabled
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.jwt import build_key_set
from tessera.crypto.keys import (
    Algorithm,
    SigningKey,
    build_signing_key,
    generate_private_key,
    jwks_document,
    open_private_key,
    seal_private_key,
)


class KeyLister(Protocol):
    """What reading the keys needs of core.ports.KeyRepo."""

    async def list(self, *, include_retired: bool = False) -> Sequence[StoredKey]:
        """Keys, newest first; retired ones only when asked."""


class KeyAdder(KeyLister, Protocol):
    """What creating missing keys needs of core.ports.KeyRepo."""

    async def add(self, key: StoredKey) -> bool:
        """Insert a key; False if its algorithm already has one in that state."""


class NoSigningKeyError(Exception):
    """No current key exists for an algorithm (run `tessera keys rotate --alg ALG`)."""


def new_stored_key(
    alg: Algorithm, secret_key: str, now: Timestamp, *, activates_at: Timestamp | None = None
) -> StoredKey:
    """Generate a key pair and seal its private half for storage: a key that is current
    from `now`, or, given `activates_at`, a next key that signs from then on."""
    key = build_signing_key(generate_private_key(alg), alg)
    return StoredKey(
        kid=key.kid,
        alg=alg,
        sealed_private_key=seal_private_key(key, secret_key),
        public_jwk=key.public_jwk,
        state=KeyState.CURRENT if activates_at is None else KeyState.NEXT,
        created_at=now,
        activates_at=now if activates_at is None else activates_at,
    )


async def ensure_current_keys(
    keys: KeyAdder, algorithms: Iterable[Algorithm], secret_key: str, now: Timestamp
) -> list[StoredKey]:
    """Create a current key for every algorithm that lacks one; return the keys this
    call created (not those another node, starting at the same moment, added first)."""
    existing = {key.alg for key in await keys.list() if key.state is KeyState.CURRENT}
    created = []
    for alg in algorithms:
        if alg not in existing:
            stored = new_stored_key(alg, secret_key, now)
            if await keys.add(stored):
                created.append(stored)
    return created


class KeyRing:
    """Current signing keys by algorithm, the published JWKS, and a verification key set
    with its `JWSVerifier` (tessera's own access tokens are checked on every userinfo,
    introspection and revocation request: the verifier halves joserfc's cost there).

    It signs only with `algorithms` (the enabled ones), whatever the database holds; it
    publishes and verifies with every key that is not retired.
    """

    def __init__(
        self, secret_key: str, ttl: float, algorithms: Collection[Algorithm] = tuple(Algorithm)
    ) -> None:
        self._secret_key = secret_key
        self._ttl = ttl
        self._algorithms = tuple(algorithms)
        self._loaded_at: float | None = None
        self._seen: tuple[tuple[str, KeyState], ...] = ()
        # The keys as last read, for what reports on them (key ages in /metrics).
        self.stored_keys: tuple[StoredKey, ...] = ()
        self._parsed: dict[str, SigningKey] = {}
        self._current: dict[Algorithm, SigningKey] = {}
        self.jwks_json = jwks_document([])
        self.verification_keys: KeySet = build_key_set([])
        self.verifier = JWSVerifier(self.verification_keys)

    def is_stale(self, now: float) -> bool:
        return self._loaded_at is None or now - self._loaded_at >= self._ttl

    async def load(self, keys: KeyLister, now: float) -> None:
        """Reread the key list; only keys not seen before are decrypted and parsed.

        Raises:
            KeyDecryptionError: a key cannot be opened with this secret key.
        """
        self.use(await keys.list(), now)

    def use(self, stored: Sequence[StoredKey], now: float) -> None:
        """Adopt a key list read by the caller (see `load`)."""
        self._loaded_at = now
        self.stored_keys = tuple(stored)
        seen = tuple((key.kid, key.state) for key in stored)
        if seen == self._seen:
            return
        parsed = {
            key.kid: self._parsed.get(key.kid)
            or open_private_key(key.sealed_private_key, key.kid, key.alg, self._secret_key)
            for key in stored
        }
        self._parsed = parsed
        self._seen = seen
        self._current = {
            key.alg: parsed[key.kid]
            for key in stored
            if key.state is KeyState.CURRENT and key.alg in self._algorithms
        }
        public = [parsed[key.kid].public_jwk for key in stored]
        self.jwks_json = jwks_document(public)
        self.verification_keys = build_key_set(public)
        self.verifier = JWSVerifier(self.verification_keys)

    def unsigned_algorithms(self) -> tuple[Algorithm, ...]:
        """The enabled algorithms this ring has no current key for: a node that cannot
        sign one of them is not ready to serve (the readiness probe)."""
        return tuple(alg for alg in self._algorithms if alg not in self._current)

    def current(self, alg: Algorithm) -> SigningKey:
        """The key that signs new tokens with `alg`.

        Raises:
            NoSigningKeyError: the algorithm is not enabled, or no key is current for it.
        """
        try:
            return self._current[alg]
        except KeyError:
            if alg not in self._algorithms:
                raise NoSigningKeyError(not_enabled(alg, self._algorithms)) from None
            raise NoSigningKeyError(f"no current {alg.value} signing key") from None
