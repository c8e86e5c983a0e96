"""What every request needs, built once at start-up and reached through `runtime(request)`:
the settings, the store, the key ring, the templates, and the policy core applies
(core.policy), derived from the settings once."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import Environment
from starlette.requests import Request

from tessera.core.authorization.approval import CodePolicy
from tessera.core.authorization.pending import InteractionPolicy
from tessera.core.id_token_hint import HintVerifier
from tessera.core.key_rotation import (
    KeyPolicy,
    build_next_key,
    is_maintenance_due,
    maintain_keys,
    rotations_due,
)
from tessera.core.keyring import KeyRing
from tessera.core.mfa import MFAMode, MFAPolicy
from tessera.core.password_checks import PasswordCheckSlots, available_cores
from tessera.core.policy import AuthorizationPolicy, ServerPolicy
from tessera.core.rate_limits import RateLimits
from tessera.core.tokens import RefreshLifetimes, RefreshPolicy, TokenPolicy
from tessera.settings import Settings
from tessera.store import Store


def build_key_policy(settings: Settings) -> KeyPolicy:
    """The key rotation settings (core.key_rotation), for the server and the CLI alike."""
    return KeyPolicy(
        algorithms=settings.enabled_algorithms,
        publish_ahead=settings.key_publish_ahead,
        rotation_period=settings.key_rotation_period,
        cache_ttl=math.ceil(settings.key_cache_ttl),
        token_lifetime=max(settings.access_token_lifetime, settings.id_token_lifetime),
    )


def build_server_policy(settings: Settings) -> ServerPolicy:
    """Everything core takes from the settings, derived once (core.policy)."""
    refresh = RefreshPolicy(
        confidential=RefreshLifetimes(
            sliding=settings.refresh_token_sliding_lifetime,
            absolute=settings.refresh_token_absolute_lifetime,
        ),
        public=RefreshLifetimes(
            sliding=settings.public_refresh_token_sliding_lifetime,
            absolute=settings.public_refresh_token_absolute_lifetime,
        ),
    )
    return ServerPolicy(
        tokens=TokenPolicy(
            issuer=settings.issuer,
            access_token_lifetime=settings.access_token_lifetime,
            id_token_lifetime=settings.id_token_lifetime,
            refresh=refresh,
        ),
        client_limits=RateLimits(
            window=settings.token_rate_limit_window,
            per_client=settings.token_rate_limit_per_client,
            per_ip=settings.token_rate_limit_per_ip,
        ),
        authorization=AuthorizationPolicy(
            issuer=settings.issuer,
            codes=CodePolicy(
                code_lifetime=settings.code_lifetime,
                refresh=refresh,
            ),
            interactions=InteractionPolicy(
                lifetime=settings.interaction_lifetime,
                window=settings.interaction_rate_limit_window,
                per_ip=settings.interaction_rate_limit_per_ip,
            ),
            session_lifetime=settings.session_lifetime,
            mfa=MFAPolicy(mode=MFAMode(settings.mfa), secret_key=settings.secret_key),
        ),
        keys=build_key_policy(settings),
    )


@dataclass(slots=True)
class Runtime:
    settings: Settings
    store: Store
    keyring: KeyRing
    templates: Environment
    clock: Callable[[], float] = field(default=time.time)
    password_checks: PasswordCheckSlots = field(
        default_factory=lambda: PasswordCheckSlots(available_cores())
    )
    policy: ServerPolicy = field(init=False)
    # Held while this process rereads its keys; other requests use the keys they have.
    _reloading_keys: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.policy = build_server_policy(self.settings)

    def now(self) -> int:
        """Whole seconds since the epoch: the unit of every timestamp in tessera."""
        return int(self.clock())

    async def fresh_keyring(self) -> KeyRing:
        """The key ring, reread from the database when its TTL has passed; while another
        request of this process rereads it, the ring as it is."""
        now = self.clock()
        if self.keyring.is_stale(now) and not self._reloading_keys.locked():
            async with self._reloading_keys:
                await self.reload_keys(now)
        return self.keyring

    async def hint_verifier(self) -> HintVerifier:
        """How this server checks an id_token_hint (core.id_token_hint). Call it before
        a transaction opens: the key ring may have to be reread in one of its own."""
        return HintVerifier(
            keys=(await self.fresh_keyring()).verification_keys,
            issuer=self.settings.issuer,
            max_age=self.policy.authorization.session_lifetime,
        )

    async def reload_keys(self, now: float) -> None:
        """Reread the keys, first making the changes that are due (a next key's switch,
        retirements, a scheduled rotation: core.key_rotation). Nothing being due, this
        is one SELECT; keys to schedule are generated off the event loop.

        Raises:
            KeyDecryptionError: a key cannot be opened with this secret key.
        """
        at = int(now)
        async with self.store.read_transaction() as tx:
            stored = await tx.keys.list()
        policy = self.policy.keys
        if is_maintenance_due(stored, policy, at):
            secret_key = self.settings.secret_key
            next_keys = [
                await asyncio.to_thread(build_next_key, alg, secret_key, policy, at)
                for alg in rotations_due(stored, policy, at)
            ]
            async with self.store.transaction() as tx:
                await maintain_keys(tx, policy, stored, at, next_keys)
                stored = await tx.keys.list()
        self.keyring.use(stored, now)


def runtime(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    value: Runtime = request.app.state.runtime
    return value
