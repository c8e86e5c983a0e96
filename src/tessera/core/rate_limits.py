"""Abuse limits at the token endpoint: requests per fixed window, per client and per address.

The counters are the login throttle's (core.login): rows of the throttles table behind
the `ThrottleRepo` port, so every worker and node counts into the same window. One
upsert counts a request against all of its keys. Once a key is over its limit, every
request until its window ends is refused with 429 and `Retry-After` (RFC 6585 4).

A client is counted once it has authenticated, so nobody can spend another client's
allowance by naming it; its address is counted for every request that gets as far as
the client lookup. (Requests refused before it, for a malformed body or Basic header or
no client_id, cost no database work and are not counted.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.core.client_auth import ClientCredentials, authenticate_client
from tessera.core.errors import InvalidClientError, SlowDownError
from tessera.core.models import Client, Timestamp
from tessera.core.ports import Repos


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """At most `per_client` and `per_ip` requests each `window` seconds; 0 is no limit."""

    window: int
    per_client: int
    per_ip: int


async def admit_client(
    repos: Repos,
    credentials: ClientCredentials,
    limits: RateLimits,
    *,
    client_ip: str,
    now: Timestamp,
) -> Client:
    """Authenticate the client and count the request against its address and itself.

    On PostgreSQL run it in a short transaction of its own: the counters' rows stay
    locked until the commit, and one address or client must not wait on another
    request's signing. (SQLite's one writer serialises every transaction anyway.)

    Raises:
        SlowDownError: the address or the client is over its limit.
        InvalidClientError: see authenticate_client (the address is counted before it
            propagates).
    """
    ip_key = (f"token-ip:{client_ip}", limits.per_ip)
    try:
        client = await authenticate_client(credentials, repos.clients)
    except InvalidClientError:
        await enforce(repos, [ip_key], limits.window, now, client_ip=client_ip)
        raise
    client_key = (f"token-client:{client.client_id}", limits.per_client)
    await enforce(
        repos, [ip_key, client_key], limits.window, now, client_ip=client_ip, client=client
    )
    return client


async def enforce(
    repos: Repos,
    keys: Sequence[tuple[str, int]],
    window: int,
    now: Timestamp,
    *,
    client_ip: str,
    client: Client | None = None,
) -> None:
    """Count one request on each (key, limit) whose limit is not 0.

    The first refusal of a window is an audit event; later ones are not, so a flood
    writes one row per key and window, not one per request.

    Raises:
        SlowDownError: a key is over its limit; retry_after is when its window ends.
    """
    limit_of = {key: limit for key, limit in keys if limit}
    if not limit_of:
        return
    counts = await repos.throttles.count_each(list(limit_of), now, window)
    over = [count for count in counts if count.hits > limit_of[count.key]]
    if not over:
        return
    for count in over:
        if count.hits == limit_of[count.key] + 1:
            await repos.audit.record(
                "token.rate_limited",
                now,
                client_id=client.client_id if client else None,
                ip=client_ip,
                detail={"key": count.key.split(":", 1)[0]},
            )
    resets_at = max(count.window_started_at + window for count in over)
    raise SlowDownError(
        detail=f"over the limit: {', '.join(sorted(c.key for c in over))}",
        retry_after=resets_at - now,
    )
