"""Key rotation: what is due, the switch-over, retirement after the tokens expired, the
automatic schedule, and the operator's two rotations, against both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from typing import Any

import pytest

from tessera.core.key_rotation import (
    VERIFIER_LEEWAY,
    KeyPolicy,
    KeyRotationError,
    RotationPendingError,
    build_next_key,
    is_maintenance_due,
    maintain_keys,
    rotate_now,
    rotations_due,
    schedule_rotation,
)
from tessera.core.keyring import new_stored_key
from tessera.core.models import KeyState, StoredKey
from tessera.core.signing_algorithms import AlgorithmNotEnabledError
from tessera.crypto.keys import Algorithm
from tessera.store import Store
from tests.conftest import TEST_SECRET_KEY
from tests.support.grants import add_api

NOW = 1_800_000_000
AHEAD = 86_400
TTL = 10
LIFETIME = 36_000
RS256, ES256, EDDSA = Algorithm.RS256, Algorithm.ES256, Algorithm.EDDSA
POLICY = KeyPolicy(
    algorithms=(RS256, ES256, EDDSA),
    publish_ahead=AHEAD,
    rotation_period=0,
    cache_ttl=TTL,
    token_lifetime=LIFETIME,
)
# Built once: generating keys is what costs here.
TEMPLATE = {alg: new_stored_key(alg, TEST_SECRET_KEY, NOW - 1000) for alg in Algorithm}


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """The test database, seeded with a current key per default algorithm (tests/conftest.py)."""
    opened = await Store.open(database_url, min_size=1, max_size=4)
    yield opened
    await opened.close()


@pytest.fixture
async def stores(database_url: str) -> AsyncIterator[tuple[Store, Store]]:
    """Two nodes on one database."""
    first = await Store.open(database_url, min_size=1, max_size=2)
    second = await Store.open(database_url, min_size=1, max_size=2)
    yield first, second
    await first.close()
    await second.close()


async def read(store: Store) -> Sequence[StoredKey]:
    async with store.read_transaction() as tx:
        return await tx.keys.list()


async def states(store: Store, alg: Algorithm = RS256) -> dict[KeyState, StoredKey]:
    return {key.state: key for key in await read(store) if key.alg is alg}


async def maintain(store: Store, at: int, policy: KeyPolicy = POLICY) -> None:
    """What a node does when it rereads its keys (web.runtime)."""
    keys = await read(store)
    if is_maintenance_due(keys, policy, at):
        built = [
            build_next_key(alg, TEST_SECRET_KEY, policy, at)
            for alg in rotations_due(keys, policy, at)
        ]
        async with store.transaction() as tx:
            await maintain_keys(tx, policy, keys, at, built)


async def events(store: Store, name: str) -> list[dict[str, str]]:
    async with store.read_transaction() as tx:
        return [event.detail for event in await tx.audit.tail(100) if event.event == name]


async def schedule(store: Store, alg: Algorithm = RS256, policy: KeyPolicy = POLICY) -> StoredKey:
    async with store.transaction() as tx:
        return await schedule_rotation(tx, policy, alg, TEST_SECRET_KEY, NOW, actor="test")


def test_current_keys_of_enabled_algorithms_need_nothing() -> None:
    keys = list(TEMPLATE.values())
    assert not is_maintenance_due(keys, POLICY, NOW)
    assert rotations_due(keys, POLICY, NOW) == ()


@pytest.mark.parametrize(
    "key",
    [
        replace(TEMPLATE[RS256], state=KeyState.NEXT, activates_at=NOW),
        replace(TEMPLATE[EDDSA], state=KeyState.NEXT, activates_at=NOW + 1),
        replace(TEMPLATE[EDDSA], state=KeyState.CURRENT),
        replace(TEMPLATE[RS256], state=KeyState.PUBLISHED, retires_at=NOW),
        replace(TEMPLATE[RS256], state=KeyState.PUBLISHED, retires_at=None),
    ],
    ids=["next-due", "next-of-disabled", "current-of-disabled", "published-expired", "undated"],
)
def test_maintenance_is_due_for(key: StoredKey) -> None:
    policy = replace(POLICY, algorithms=(RS256, ES256))
    assert is_maintenance_due([key], policy, NOW)


@pytest.mark.parametrize(
    "key",
    [
        replace(TEMPLATE[RS256], state=KeyState.NEXT, activates_at=NOW + 1),
        replace(TEMPLATE[RS256], state=KeyState.PUBLISHED, retires_at=NOW + 1),
        replace(TEMPLATE[RS256], state=KeyState.RETIRED, retired_at=NOW - 1),
    ],
    ids=["next-not-yet", "published-not-yet", "retired"],
)
def test_maintenance_is_not_due_for(key: StoredKey) -> None:
    assert not is_maintenance_due([key], POLICY, NOW)


def test_a_rotation_is_due_once_the_current_key_signed_for_the_period_without_a_next_key() -> None:
    policy = replace(POLICY, algorithms=(RS256, ES256), rotation_period=1000)
    current = [TEMPLATE[RS256], TEMPLATE[ES256], TEMPLATE[EDDSA]]  # Signing since NOW - 1000.
    assert rotations_due(current, policy, NOW - 1) == ()
    assert rotations_due(current, policy, NOW) == (RS256, ES256)  # EdDSA is not enabled.
    pending = replace(TEMPLATE[RS256], kid="next", state=KeyState.NEXT, activates_at=NOW + 1)
    assert rotations_due([pending, *current], policy, NOW) == (ES256,)
    assert is_maintenance_due(current[:2], policy, NOW)
    assert rotations_due(current, replace(policy, rotation_period=0), NOW + 10**9) == ()


async def test_a_next_key_signs_when_due_and_the_old_one_retires_once_its_tokens_expired(
    store: Store,
) -> None:
    old = (await states(store))[KeyState.CURRENT]
    await add_api(store, "https://short.test", lifetime=600)
    await add_api(store, "https://long.test", lifetime=200_000)
    upcoming = await schedule(store)
    assert upcoming.state is KeyState.NEXT and upcoming.activates_at == NOW + AHEAD
    assert await events(store, "key.scheduled") == [
        {
            "kid": upcoming.kid,
            "alg": "RS256",
            "reason": "operator",
            "actor": "test",
            "activates_at": str(NOW + AHEAD),
        }
    ]
    await maintain(store, NOW + AHEAD - 1)
    assert (await states(store))[KeyState.CURRENT] == old

    switched_at = NOW + AHEAD
    await maintain(store, switched_at)
    retires_at = switched_at + TTL + 200_000 + VERIFIER_LEEWAY  # The longest lifetime wins.
    keys = await states(store)
    assert keys[KeyState.CURRENT].kid == upcoming.kid
    assert keys[KeyState.PUBLISHED].kid == old.kid
    assert keys[KeyState.PUBLISHED].retires_at == retires_at
    assert await events(store, "key.activated") == [
        {
            "kid": upcoming.kid,
            "alg": "RS256",
            "replaced": old.kid,
            "replaced_retires_at": str(retires_at),
        }
    ]

    await maintain(store, retires_at - 1)
    assert KeyState.PUBLISHED in await states(store)
    await maintain(store, retires_at)
    assert KeyState.PUBLISHED not in await states(store)
    assert await events(store, "key.retired") == [
        {"kid": old.kid, "alg": "RS256", "reason": "its tokens have expired"}
    ]


async def test_without_apis_a_replaced_key_stays_for_the_settings_lifetime(store: Store) -> None:
    await schedule(store)
    await maintain(store, NOW + AHEAD)
    published = (await states(store))[KeyState.PUBLISHED]
    assert published.retires_at == NOW + AHEAD + TTL + LIFETIME + VERIFIER_LEEWAY


async def test_a_node_that_read_the_keys_before_another_switched_changes_and_records_nothing(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    await schedule(first)
    at = NOW + AHEAD
    seen_by_second = await read(second)
    await maintain(first, at)
    after_first = await read(first)
    assert is_maintenance_due(seen_by_second, POLICY, at)
    async with second.transaction() as tx:
        await maintain_keys(tx, POLICY, seen_by_second, at + 5)
    assert await read(first) == after_first
    assert len(await events(first, "key.activated")) == 1


async def test_a_disabled_algorithms_key_stops_signing_and_its_next_key_is_cancelled(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        assert await tx.keys.add(TEMPLATE[EDDSA])  # Made while EdDSA was enabled.
    old = (await states(store, EDDSA))[KeyState.CURRENT]
    upcoming = await schedule(store, EDDSA)
    policy = replace(POLICY, algorithms=(RS256, ES256))
    await maintain(store, NOW, policy)
    keys = await states(store, EDDSA)
    assert set(keys) == {KeyState.PUBLISHED} and keys[KeyState.PUBLISHED].kid == old.kid
    retires_at = NOW + TTL + LIFETIME + VERIFIER_LEEWAY
    assert keys[KeyState.PUBLISHED].retires_at == retires_at
    assert await events(store, "key.deactivated") == [
        {
            "kid": old.kid,
            "alg": "EdDSA",
            "reason": "algorithm disabled",
            "retires_at": str(retires_at),
        }
    ]
    assert await events(store, "key.retired") == [
        {"kid": upcoming.kid, "alg": "EdDSA", "reason": "algorithm disabled"}
    ]
    await maintain(store, retires_at, policy)
    assert await states(store, EDDSA) == {}
    assert (await states(store, RS256)).keys() == {KeyState.CURRENT}


async def test_the_rotation_period_schedules_one_next_key_per_algorithm_when_nodes_race(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    policy = replace(POLICY, algorithms=(RS256, ES256), rotation_period=30 * 86_400)
    seen = [await read(store) for store in stores]  # Seeded keys are years old: both see it due.
    for store, keys in zip(stores, seen, strict=True):
        built = [
            build_next_key(alg, TEST_SECRET_KEY, policy, NOW)
            for alg in rotations_due(keys, policy, NOW)
        ]
        assert len(built) == 2
        async with store.transaction() as tx:
            await maintain_keys(tx, policy, keys, NOW, built)
    scheduled = await events(first, "key.scheduled")
    assert sorted(detail["alg"] for detail in scheduled) == ["ES256", "RS256"]
    assert {detail["reason"] for detail in scheduled} == {"rotation period"}
    for alg in (RS256, ES256):
        assert (await states(first, alg))[KeyState.NEXT].activates_at == NOW + AHEAD
    assert rotations_due(await read(second), policy, NOW + 1) == ()


async def test_keys_rotated_out_before_they_had_a_retirement_time_get_one(store: Store) -> None:
    legacy = replace(TEMPLATE[RS256], state=KeyState.PUBLISHED, activates_at=None)
    async with store.transaction() as tx:
        assert await tx.keys.add(legacy)
    await maintain(store, NOW)
    (dated,) = [key for key in await read(store) if key.kid == legacy.kid]
    assert dated.retires_at == NOW + TTL + LIFETIME + VERIFIER_LEEWAY
    await maintain(store, NOW + 1)
    assert await events(store, "key.retired") == []


async def test_schedule_rotation_refuses_a_disabled_algorithm_and_a_second_next_key(
    store: Store,
) -> None:
    with pytest.raises(AlgorithmNotEnabledError, match="^EdDSA is not enabled"):
        await schedule(store, EDDSA, replace(POLICY, algorithms=(RS256, ES256)))
    first = await schedule(store)
    with pytest.raises(RotationPendingError) as refused:
        await schedule(store)
    assert refused.value.pending == first


async def test_schedule_rotation_without_a_current_key_makes_the_new_one_current(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        await tx.keys.stop_signing(ES256, NOW + 100)
    key = await schedule(store, ES256)
    assert key.state is KeyState.CURRENT and (await states(store, ES256))[KeyState.CURRENT] == key
    assert [detail["kid"] for detail in await events(store, "key.activated")] == [key.kid]


async def test_rotate_now_signs_at_once_keeps_the_old_key_and_cancels_the_next_one(
    store: Store,
) -> None:
    old = (await states(store))[KeyState.CURRENT]
    upcoming = await schedule(store)
    async with store.transaction() as tx:
        switch = await rotate_now(tx, POLICY, RS256, TEST_SECRET_KEY, NOW + 5, actor="test")
    keys = await states(store)
    assert keys[KeyState.CURRENT] == switch.activated and switch.activated.signs_from == NOW + 5
    assert switch.replaced is not None and switch.replaced.kid == old.kid
    assert keys[KeyState.PUBLISHED].retires_at == NOW + 5 + TTL + LIFETIME + VERIFIER_LEEWAY
    assert KeyState.NEXT not in keys
    assert await events(store, "key.retired") == [
        {"kid": upcoming.kid, "alg": "RS256", "reason": "superseded", "actor": "test"}
    ]
    assert [detail["replaced"] for detail in await events(store, "key.rotated")] == [old.kid]


async def test_rotate_now_refuses_a_disabled_algorithm(store: Store) -> None:
    with pytest.raises(AlgorithmNotEnabledError):
        async with store.transaction() as tx:
            await rotate_now(
                tx, replace(POLICY, algorithms=(RS256,)), ES256, TEST_SECRET_KEY, NOW, actor="test"
            )
    assert (await states(store, ES256)).keys() == {KeyState.CURRENT}


class ReadEarlier:
    """A transaction's repositories whose key list is one read before another node wrote."""

    def __init__(self, tx: Any, keys: Sequence[StoredKey]) -> None:
        self._tx, self._keys = tx, keys

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tx, name)

    @property
    def keys(self) -> Any:
        real, earlier = self._tx.keys, self._keys

        class Keys:
            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

            async def list(self) -> Sequence[StoredKey]:
                return earlier

        return Keys()


async def test_a_key_another_node_added_at_the_same_moment_is_one_line(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.keys.stop_signing(ES256, NOW + 100)
    earlier = await read(store)
    async with store.transaction() as tx:  # The other node.
        assert await tx.keys.add(new_stored_key(ES256, TEST_SECRET_KEY, NOW))
    with pytest.raises(KeyRotationError, match="^another ES256 key was added at the same moment"):
        async with store.transaction() as tx:
            await schedule_rotation(
                ReadEarlier(tx, earlier), POLICY, ES256, TEST_SECRET_KEY, NOW, actor="test"
            )


async def test_a_node_late_to_disable_an_algorithm_changes_and_records_nothing(
    stores: tuple[Store, Store],
) -> None:
    first, second = stores
    async with first.transaction() as tx:
        assert await tx.keys.add(TEMPLATE[EDDSA])
    await schedule(first, EDDSA)
    policy = replace(POLICY, algorithms=(RS256, ES256))
    seen_by_second = await read(second)
    await maintain(first, NOW, policy)
    after_first = await read(first)
    async with second.transaction() as tx:
        await maintain_keys(tx, policy, seen_by_second, NOW + 5)
    assert await read(first) == after_first
    assert len(await events(first, "key.deactivated")) == 1
    assert len(await events(first, "key.retired")) == 1


async def test_a_next_key_due_where_no_key_signs_becomes_current_replacing_nothing(
    store: Store,
) -> None:
    """A node whose list was stale stopped the current key but left the next one: the
    next activation replaces no key, and says so by naming none."""
    upcoming = await schedule(store)
    async with store.transaction() as tx:
        assert await tx.keys.stop_signing(RS256, NOW + 100) is not None
    await maintain(store, NOW + AHEAD)
    assert (await states(store))[KeyState.CURRENT].kid == upcoming.kid
    (activated,) = await events(store, "key.activated")
    assert activated["kid"] == upcoming.kid and "replaced" not in activated


async def test_rotate_now_that_finds_the_next_key_already_retired_records_nothing_for_it(
    store: Store,
) -> None:
    """Between rotate_now's read and its retire, another node retired the next key."""
    await schedule(store)

    class Raced:
        def __init__(self, tx: Any) -> None:
            self._tx = tx

        def __getattr__(self, name: str) -> Any:
            return getattr(self._tx, name)

        @property
        def keys(self) -> Any:
            keys = self._tx.keys

            class RetiredElsewhere:
                def __getattr__(self, name: str) -> Any:
                    return getattr(keys, name)

                async def retire(self, kid: str, now: int) -> None:
                    await keys.retire(kid, now)  # The other node's retirement...
                    return None  # ...so this node's statement changes nothing.

            return RetiredElsewhere()

    async with store.transaction() as tx:
        await rotate_now(Raced(tx), POLICY, RS256, TEST_SECRET_KEY, NOW + 5, actor="test")
    assert await events(store, "key.retired") == []
    assert KeyState.NEXT not in await states(store)
