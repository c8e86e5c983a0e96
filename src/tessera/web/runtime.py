"""What every request needs, built once at start-up and reached through `runtime(request)`."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import Environment
from starlette.requests import Request

from tessera.core.key_rotation import (
    KeyPolicy,
    build_next_key,
    is_maintenance_due,
    maintain_keys,
    rotations_due,
)
from tessera.core.keyring import KeyRing
from tessera.core.pending import InteractionLimit
from tessera.core.rate_limits import RateLimits
from tessera.core.tokens import TokenPolicy
from tessera.settings import Settings
from tessera.store import Store
from tessera.web.password_checks import PasswordCheckSlots, available_cores


def build_key_policy(settings: Settings) -> KeyPolicy:
    """The key rotation settings (core.key_rotation), for the server and the CLI alike."""
    return KeyPolicy(
        algorithms=settings.enabled_algorithms,
        publish_ahead=settings.key_publish_ahead,
        rotation_period=settings.key_rotation_period,
        cache_ttl=math.ceil(settings.key_cache_ttl),
        token_lifetime=max(settings.access_token_lifetime, settings.id_token_lifetime),
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
    # Derived from the settings once, not on every token request.
    token_policy: TokenPolicy = field(init=False)
    token_rate_limits: RateLimits = field(init=False)
    key_policy: KeyPolicy = field(init=False)
    # Held while this process rereads its keys; other requests use the keys they have.
    _reloading_keys: asyncio.Lock = field(init=False, default_factory=asyncio.Lock)
    interaction_limit: InteractionLimit = field(init=False)

    def __post_init__(self) -> None:
        self.token_policy = TokenPolicy(
            issuer=self.settings.issuer,
            access_token_lifetime=self.settings.access_token_lifetime,
            id_token_lifetime=self.settings.id_token_lifetime,
            refresh_token_lifetime=self.settings.refresh_token_sliding_lifetime,
        )
        self.token_rate_limits = RateLimits(
            window=self.settings.token_rate_limit_window,
            per_client=self.settings.token_rate_limit_per_client,
            per_ip=self.settings.token_rate_limit_per_ip,
        )
        self.key_policy = build_key_policy(self.settings)
        self.interaction_limit = InteractionLimit(
            window=self.settings.interaction_rate_limit_window,
            per_ip=self.settings.interaction_rate_limit_per_ip,
        )

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
        if is_maintenance_due(stored, self.key_policy, at):
            secret_key = self.settings.secret_key
            next_keys = [
                await asyncio.to_thread(build_next_key, alg, secret_key, self.key_policy, at)
                for alg in rotations_due(stored, self.key_policy, at)
            ]
            async with self.store.transaction() as tx:
                await maintain_keys(tx, self.key_policy, stored, at, next_keys)
                stored = await tx.keys.list()
        self.keyring.use(stored, now)


def runtime(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    value: Runtime = request.app.state.runtime
    return value
