"""The admin API's signing keys: list, rotate and retire (core.key_rotation)."""

from __future__ import annotations

from typing import Any

from tessera.core.admin.errors import NotFoundError
from tessera.core.admin.fields import Field, Kind, parse_choice, parse_fields
from tessera.core.key_rotation import KeyPolicy, KeyRepos, retire_key, rotate_now, schedule_rotation
from tessera.core.models import KeySwitch, StoredKey, Timestamp
from tessera.core.ports import Transactions
from tessera.crypto.keys import Algorithm

ROTATE_FIELDS = {"alg": Field(Kind.STRING), "immediately": Field(Kind.BOOLEAN)}


async def list_keys(store: Transactions[KeyRepos]) -> list[StoredKey]:
    """Every key that is not retired, newest first (a handful: no pages)."""
    async with store.read_transaction() as tx:
        return list(await tx.keys.list())


async def rotate_keys(
    store: Transactions[KeyRepos],
    body: Any,
    *,
    policy: KeyPolicy,
    secret_key: str,
    actor: str,
    now: Timestamp,
) -> KeySwitch | StoredKey:
    """Rotate the key of `alg` (default RS256): publish a next key, or with
    `immediately` sign with a new key at once (core.key_rotation).

    Raises:
        InvalidFieldsError: unknown fields, wrong types, an unknown algorithm.
        AlgorithmNotEnabledError, RotationPendingError, KeyRotationError: see
            schedule_rotation and rotate_now.
    """
    fields = parse_fields({} if body is None else body, ROTATE_FIELDS)
    alg = parse_choice(fields.get("alg", Algorithm.RS256.value), Algorithm, "/alg")
    async with store.transaction() as tx:
        if fields.get("immediately", False):
            return await rotate_now(tx, policy, alg, secret_key, now, actor=actor)
        return await schedule_rotation(tx, policy, alg, secret_key, now, actor=actor)


async def retire(
    store: Transactions[KeyRepos], kid: str, *, actor: str, now: Timestamp
) -> StoredKey:
    """Raises NotFoundError: no published or next key with this kid."""
    async with store.transaction() as tx:
        key = await retire_key(tx, kid, now, actor=actor)
    if key is None:
        raise NotFoundError(f"no published or next key {kid!r} (a current key cannot be retired)")
    return key
