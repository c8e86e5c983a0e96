"""Abuse limits where clients authenticate (the token, revocation and introspection
endpoints): requests per fixed window, per client and per address.

The counters are the login throttle's (core.login): rows of the throttles table behind
the `ThrottleRepo` port, so every worker and node counts into the same window. Once a
key is over its limit, every request until its window ends is refused with 429 and
`Retry-After` (RFC 6585 4). The three endpoints count into the same keys.

Each request is counted once, after client authentication (`authenticate`, then
`admit`):

- an authenticated confidential client against itself, from any address: one back end
  (one egress address) exchanges codes and refreshes for all of its users;
- a public client, or a request whose client authentication failed, against its
  address. Naming a public client proves nothing, so a counter of its own could be
  spent by anybody and would shut out every user of the app; each of its users spends
  the allowance of the address they come from.

So nobody can spend another client's allowance by naming it. (Requests refused before
the client lookup, for a malformed body or Basic header or no client_id, cost no
database work and are not counted.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tessera.core.client_auth import ClientCredentials, authenticate_client
from tessera.core.errors import InvalidClientError, SlowDownError
from tessera.core.models import Client, Timestamp
from tessera.core.ports import ClientRepo, Repos

CLIENT_KEY = "token-client"
IP_KEY = "token-ip"

TOKEN_RATE_LIMITED_EVENT = "token.rate_limited"


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """At most `per_client` requests of an authenticated confidential client and
    `per_ip` other requests from one address each `window` seconds; 0 is no limit."""

    window: int
    per_client: int
    per_ip: int


async def authenticate(
    credentials: ClientCredentials, clients: ClientRepo
) -> Client | InvalidClientError:
    """The client the credentials prove, or the refusal that says why they prove none:
    returned, not raised, so that `admit` counts the attempt before refusing it."""
    try:
        return await authenticate_client(credentials, clients)
    except InvalidClientError as refused:
        return refused


async def admit(
    repos: Repos,
    authenticated: Client | InvalidClientError,
    limits: RateLimits,
    *,
    client_ip: str,
    now: Timestamp,
) -> Client:
    """Count the request against the authenticated confidential client, or else against
    its address, and let the client through.

    On PostgreSQL run it in a short transaction of its own: the counter's row stays
    locked until the commit, and one address or client must not wait on another
    request's signing. (SQLite's one writer serialises every transaction anyway.)

    Raises:
        SlowDownError: the counter is over its limit (also when authentication failed).
        InvalidClientError: authentication failed: `authenticated`, once counted.
    """
    client = None if isinstance(authenticated, InvalidClientError) else authenticated
    if client is not None and not client.is_public:
        key = (f"{CLIENT_KEY}:{client.client_id}", limits.per_client)
    else:
        key = (f"{IP_KEY}:{client_ip}", limits.per_ip)
    await enforce(repos, [key], limits.window, now, client_ip=client_ip, client=client)
    if isinstance(authenticated, InvalidClientError):
        raise authenticated
    return authenticated


async def enforce(
    repos: Repos,
    keys: Sequence[tuple[str, int]],
    window: int,
    now: Timestamp,
    *,
    client_ip: str,
    client: Client | None = None,
    event: str = TOKEN_RATE_LIMITED_EVENT,
) -> None:
    """Count one request on each (key, limit) whose limit is not 0.

    The first refusal of a window is an audit `event`; later ones are not, so a flood
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
                event,
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
