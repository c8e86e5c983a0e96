"""What every request needs, built once at start-up and reached through `runtime(request)`."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from jinja2 import Environment
from starlette.requests import Request

from tessera.core.keyring import KeyRing
from tessera.core.rate_limits import RateLimits
from tessera.core.tokens import TokenPolicy
from tessera.settings import Settings
from tessera.store import Store
from tessera.web.password_checks import PasswordCheckSlots, available_cores


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

    def now(self) -> int:
        """Whole seconds since the epoch: the unit of every timestamp in tessera."""
        return int(self.clock())

    async def fresh_keyring(self) -> KeyRing:
        """The key ring, reread from the database when its TTL has passed."""
        now = self.clock()
        if self.keyring.is_stale(now):
            async with self.store.transaction() as tx:
                await self.keyring.load(tx.keys, now)
        return self.keyring


def runtime(request: Request) -> Runtime:
    """The runtime of the app serving this request."""
    value: Runtime = request.app.state.runtime
    return value
