"""Key rotation that verifiers caching the JWKS never notice (OpenID Connect Core 10.1.1).

A new key is first `next`: published in the JWKS but not signing for `publish_ahead`
seconds, longer than any verifier caches the JWKS, so every cache holds it before a token
names its kid. Then it becomes `current`; the key it replaces stays `published` until
every token it signed has expired, and is then retired. The same checks take a disabled
algorithm's key out of signing (and, once its tokens have expired, out of the JWKS), and
schedule the next key when the operator set a rotation period.

Every node runs these checks when it rereads its keys. Each change is one conditional
statement (store.keys), so it is made, and audited, by exactly one node.

    next --publish_ahead--> current --(rotated)--> published --(tokens expired)--> retired
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.keyring import new_stored_key
from tessera.core.models import KeyState, KeySwitch, StoredKey, Timestamp
from tessera.core.ports import ApiRepo, AuditRepo, KeyRepo
from tessera.core.signing_algorithms import verify_enabled
from tessera.crypto.keys import Algorithm

# Verifiers accept a token a little past its `exp` for clock skew (tessera.resource: 30 s
# by default); a key stays published that much longer.
VERIFIER_LEEWAY = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPolicy:
    """The operator's key settings, in whole seconds."""

    algorithms: tuple[Algorithm, ...]
    publish_ahead: int
    rotation_period: int  # 0: keys rotate only when an operator says so.
    cache_ttl: int  # A node may sign with a replaced key for this long after the switch.
    token_lifetime: int  # The longest access or ID token lifetime of the settings.


class KeyRepos(Protocol):
    """What key maintenance touches: the keys, the APIs' token lifetimes (how long a
    replaced key stays published), and the audit log."""

    @property
    def keys(self) -> KeyRepo: ...
    @property
    def apis(self) -> ApiRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


class KeyRotationError(Exception):
    """A rotation cannot be made now; the message is one line for a person."""


class RotationPendingError(KeyRotationError):
    """A next key of that algorithm is already published; carries it."""

    def __init__(self, pending: StoredKey) -> None:
        super().__init__(f"{pending.alg.value} key {pending.kid} is already next")
        self.pending = pending


def is_maintenance_due(keys: Sequence[StoredKey], policy: KeyPolicy, now: Timestamp) -> bool:
    """Whether `maintain_keys` has anything to do: decided from the key list a node
    reads anyway, so that a node whose keys need nothing sends no further statement."""
    return any(_needs_change(key, policy, now) for key in keys) or bool(
        rotations_due(keys, policy, now)
    )


def _needs_change(key: StoredKey, policy: KeyPolicy, now: Timestamp) -> bool:
    enabled = key.alg in policy.algorithms
    if key.state is KeyState.NEXT:
        return not enabled or key.signs_from <= now
    if key.state is KeyState.CURRENT:
        return not enabled
    if key.state is KeyState.PUBLISHED:
        return key.retires_at is None or key.retires_at <= now
    return False


def rotations_due(
    keys: Sequence[StoredKey], policy: KeyPolicy, now: Timestamp
) -> tuple[Algorithm, ...]:
    """The enabled algorithms whose current key has signed for the rotation period and
    that have no next key yet; none when no period is set."""
    if not policy.rotation_period:
        return ()
    pending = {key.alg for key in keys if key.state is KeyState.NEXT}
    return tuple(
        key.alg
        for key in keys
        if key.state is KeyState.CURRENT
        and key.alg in policy.algorithms
        and key.alg not in pending
        and now - key.signs_from >= policy.rotation_period
    )


def build_next_key(alg: Algorithm, secret_key: str, policy: KeyPolicy, now: Timestamp) -> StoredKey:
    """A next key that signs `publish_ahead` seconds from now."""
    return new_stored_key(alg, secret_key, now, activates_at=now + policy.publish_ahead)


async def retirement_time(repos: KeyRepos, policy: KeyPolicy, now: Timestamp) -> Timestamp:
    """When a key that stops signing at `now` may leave the JWKS.

    Other nodes sign with it until they reread their keys (`cache_ttl`), and its last
    token lives as long as the longest lifetime any API or the settings give.
    """
    lifetimes = [api.access_token_lifetime for api in await repos.apis.list()]
    return now + policy.cache_ttl + max([policy.token_lifetime, *lifetimes]) + VERIFIER_LEEWAY


async def maintain_keys(
    repos: KeyRepos,
    policy: KeyPolicy,
    keys: Sequence[StoredKey],
    now: Timestamp,
    next_keys: Sequence[StoredKey] = (),
) -> None:
    """Make the changes that are due, each audited by the node that makes it.

    `keys` is the list the caller read: it says which conditional statements to send,
    and the statements themselves decide. `next_keys` are the keys `build_next_key` made
    for `rotations_due` before the transaction began (an RSA key takes a while to
    generate); when two nodes race, one of them is added.
    """
    retires_at: Timestamp | None = None

    async def retirement() -> Timestamp:
        nonlocal retires_at
        if retires_at is None:
            retires_at = await retirement_time(repos, policy, now)
        return retires_at

    for key in keys:
        enabled = key.alg in policy.algorithms
        if key.state is KeyState.NEXT and not enabled:
            cancelled = await repos.keys.retire(key.kid, now)
            if cancelled:
                await _record(repos, Event.KEY_RETIRED, cancelled, now, reason="algorithm disabled")
        elif key.state is KeyState.NEXT and key.signs_from <= now:
            switch = await repos.keys.activate_due(key.alg, now, await retirement())
            if switch:
                await _record_switch(repos, Event.KEY_ACTIVATED, switch, now)
        elif key.state is KeyState.CURRENT and not enabled:
            stopped = await repos.keys.stop_signing(key.alg, await retirement())
            if stopped:
                await _record(
                    repos, Event.KEY_DEACTIVATED, stopped, now, reason="algorithm disabled"
                )
    if any(key.state is KeyState.PUBLISHED and key.retires_at is None for key in keys):
        await repos.keys.date_retirements(await retirement())
    for retired in await repos.keys.retire_due(now):
        await _record(repos, Event.KEY_RETIRED, retired, now, reason="its tokens have expired")
    for key in next_keys:
        if await repos.keys.add(key):
            await _record(repos, Event.KEY_SCHEDULED, key, now, reason="rotation period")


async def schedule_rotation(
    repos: KeyRepos,
    policy: KeyPolicy,
    alg: Algorithm,
    secret_key: str,
    now: Timestamp,
    *,
    actor: str,
) -> StoredKey:
    """Publish a next key of `alg` that signs `publish_ahead` seconds from now. Without
    a current key of `alg` there is no one to warn: the new key is current at once.
    `actor` names the operator in the audit event.

    Raises:
        AlgorithmNotEnabledError: `alg` is not enabled.
        RotationPendingError: a next key of `alg` exists already.
        KeyRotationError: another node added a key of `alg` at the same moment.
    """
    verify_enabled(alg, policy.algorithms)
    states = {key.state: key for key in await repos.keys.list() if key.alg is alg}
    if KeyState.NEXT in states:
        raise RotationPendingError(states[KeyState.NEXT])
    if KeyState.CURRENT in states:
        key = build_next_key(alg, secret_key, policy, now)
    else:
        key = new_stored_key(alg, secret_key, now)
    await _add(repos, key)
    event = Event.KEY_SCHEDULED if key.state is KeyState.NEXT else Event.KEY_ACTIVATED
    await _record(repos, event, key, now, reason="operator", actor=actor)
    return key


async def rotate_now(
    repos: KeyRepos,
    policy: KeyPolicy,
    alg: Algorithm,
    secret_key: str,
    now: Timestamp,
    *,
    actor: str,
) -> KeySwitch:
    """The emergency path: a new key of `alg` signs at once. The key it replaces stays
    published until its tokens have expired (`keys retire` takes it out sooner); a next
    key waiting to sign is retired, so it cannot take over from the new key.

    Raises:
        AlgorithmNotEnabledError: `alg` is not enabled.
        KeyRotationError: another node added a key of `alg` at the same moment.
    """
    verify_enabled(alg, policy.algorithms)
    for pending in await repos.keys.list():
        if pending.alg is alg and pending.state is KeyState.NEXT:
            cancelled = await repos.keys.retire(pending.kid, now)
            if cancelled:
                await _record(
                    repos, Event.KEY_RETIRED, cancelled, now, reason="superseded", actor=actor
                )
    replaced = await repos.keys.stop_signing(alg, await retirement_time(repos, policy, now))
    key = new_stored_key(alg, secret_key, now)
    await _add(repos, key)
    switch = KeySwitch(activated=key, replaced=replaced)
    await _record_switch(repos, Event.KEY_ROTATED, switch, now, actor=actor)
    return switch


async def _add(repos: KeyRepos, key: StoredKey) -> None:
    if not await repos.keys.add(key):
        raise KeyRotationError(
            f"another {key.alg.value} key was added at the same moment: run the command again"
        )


async def _record(
    repos: KeyRepos,
    event: Event,
    key: StoredKey,
    now: Timestamp,
    *,
    reason: str,
    actor: str | None = None,
) -> None:
    detail = {"kid": key.kid, "alg": key.alg.value, "reason": reason}
    if actor is not None:
        detail["actor"] = actor
    if key.state is KeyState.NEXT:
        detail["activates_at"] = str(key.signs_from)
    if key.retires_at is not None and key.state is KeyState.PUBLISHED:
        detail["retires_at"] = str(key.retires_at)
    await repos.audit.record(event, now, detail=detail)


async def _record_switch(
    repos: KeyRepos, event: Event, switch: KeySwitch, now: Timestamp, *, actor: str | None = None
) -> None:
    detail = {"kid": switch.activated.kid, "alg": switch.activated.alg.value}
    if actor is not None:
        detail["actor"] = actor
    if switch.replaced is not None:
        detail["replaced"] = switch.replaced.kid
        detail["replaced_retires_at"] = str(switch.replaced.retires_at)
    await repos.audit.record(event, now, detail=detail)


async def retire_key(repos: KeyRepos, kid: str, now: Timestamp, *, actor: str) -> StoredKey | None:
    """An operator takes a published or next key out of the JWKS (tokens it signed
    stop verifying); None if there is no such key, or it is current or retired."""
    key = await repos.keys.retire(kid, now)
    if key is not None:
        await _record(repos, Event.KEY_RETIRED, key, now, reason="operator", actor=actor)
    return key
