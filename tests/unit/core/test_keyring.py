"""The key ring: current keys, JWKS, lazy parsing, TTL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from tessera.core.keyring import KeyRing, NoSigningKeyError, ensure_current_keys, new_stored_key
from tessera.core.models import KeyState, StoredKey
from tessera.crypto.keys import Algorithm, KeyDecryptionError

SECRET = "keyring-test-secret-key-0123456789abcdef"


class ListKeys:
    """A KeyRepo over a list, to test the key ring without a database."""

    def __init__(self) -> None:
        self.keys: list[StoredKey] = []

    async def list(self, *, include_retired: bool = False) -> Sequence[StoredKey]:
        return [k for k in self.keys if include_retired or k.state is not KeyState.RETIRED]

    async def add(self, key: StoredKey) -> bool:
        self.keys.insert(0, key)
        return True


async def test_ensure_current_keys_creates_one_per_missing_algorithm() -> None:
    repo = ListKeys()
    created = await ensure_current_keys(repo, Algorithm, SECRET, 1)
    assert sorted(k.alg for k in created) == sorted(Algorithm)
    assert await ensure_current_keys(repo, Algorithm, SECRET, 2) == []


async def test_keyring_serves_current_keys_and_publishes_all() -> None:
    repo = ListKeys()
    await ensure_current_keys(repo, [Algorithm.RS256, Algorithm.ES256], SECRET, 1)
    ring = KeyRing(SECRET, ttl=10)
    assert ring.is_stale(0)
    await ring.load(repo, now=100)
    assert not ring.is_stale(105) and ring.is_stale(110)
    assert ring.current(Algorithm.ES256).alg is Algorithm.ES256
    with pytest.raises(NoSigningKeyError, match="EdDSA"):
        ring.current(Algorithm.EDDSA)
    assert '"alg":"RS256"' in ring.jwks_json and '"alg":"ES256"' in ring.jwks_json


async def test_rotation_is_picked_up_and_old_keys_are_not_reparsed() -> None:
    repo = ListKeys()
    await ensure_current_keys(repo, [Algorithm.RS256], SECRET, 1)
    ring = KeyRing(SECRET, ttl=0)
    await ring.load(repo, now=1)
    old = ring.current(Algorithm.RS256)
    rotated = new_stored_key(Algorithm.RS256, SECRET, 2)
    repo.keys = [rotated, *(replace(k, state=KeyState.PUBLISHED) for k in repo.keys)]
    await ring.load(repo, now=2)
    assert ring.current(Algorithm.RS256).kid == rotated.kid
    assert old.kid in ring.jwks_json
    assert ring._parsed[old.kid] is old  # Parsed once, reused.


async def test_wrong_secret_key_cannot_open_keys() -> None:
    repo = ListKeys()
    await ensure_current_keys(repo, [Algorithm.ES256], SECRET, 1)
    with pytest.raises(KeyDecryptionError):
        await KeyRing("another-secret-key-0123456789abcdef", ttl=10).load(repo, now=1)


async def test_keyring_signs_only_with_enabled_algorithms() -> None:
    repo = ListKeys()
    await ensure_current_keys(repo, Algorithm, SECRET, 1)
    ring = KeyRing(SECRET, ttl=10, algorithms=[Algorithm.RS256, Algorithm.ES256])
    await ring.load(repo, now=1)
    with pytest.raises(NoSigningKeyError, match="EdDSA is not enabled"):
        ring.current(Algorithm.EDDSA)
    assert '"alg":"EdDSA"' in ring.jwks_json  # Its tokens still verify until it retires.


async def test_a_next_key_publishes_but_signs_only_once_current() -> None:
    repo = ListKeys()
    await ensure_current_keys(repo, [Algorithm.RS256], SECRET, 1)
    ring = KeyRing(SECRET, ttl=0)
    await ring.load(repo, now=1)
    old = ring.current(Algorithm.RS256)
    upcoming = new_stored_key(Algorithm.RS256, SECRET, 2, activates_at=10)
    repo.keys.insert(0, upcoming)
    await ring.load(repo, now=2)
    assert upcoming.kid in ring.jwks_json and ring.current(Algorithm.RS256).kid == old.kid
    # The same keys in new states: the switch alone must be picked up.
    repo.keys = [
        replace(upcoming, state=KeyState.CURRENT),
        *(replace(k, state=KeyState.PUBLISHED) for k in repo.keys[1:]),
    ]
    await ring.load(repo, now=10)
    assert ring.current(Algorithm.RS256).kid == upcoming.kid


class RacedKeys(ListKeys):
    """Another node adds every key first: each add of ours writes nothing."""

    async def add(self, key: StoredKey) -> bool:
        return False


async def test_keys_another_node_added_first_are_not_reported_as_created() -> None:
    assert await ensure_current_keys(RacedKeys(), [Algorithm.ES256], SECRET, 0) == []
