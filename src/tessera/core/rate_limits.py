"""Abuse limits where clients authenticate (the token, revocation and introspection
endpoints): requests per fixed window, per client and per address.

The counters are the login throttle's (core.login): rows of the throttles table behind
the `ThrottleRepo` port, so every worker and node counts into the same window. Once a
key is over its limit, every request until its window ends is refused with 429 and
`Retry-After` (RFC 6585 4). The three endpoints count into the same keys.

Each request is counted once, after client authentication, in a step of its own
(`authenticate_and_count`):

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
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.client_auth import ClientRequest, authenticate_client
from tessera.core.errors import InvalidClientError, SlowDownError
from tessera.core.models import Client, Timestamp
from tessera.core.outcomes import Refused, settle
from tessera.core.ports import AuditRepo, ClientRepo, Steps, ThrottleRepo

CLIENT_KEY = "token-client"
IP_KEY = "token-ip"


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimits:
    """At most `per_client` requests of an authenticated confidential client and
    `per_ip` other requests from one address each `window` seconds; 0 is no limit."""

    window: int
    per_client: int
    per_ip: int


class CountingRepos(Protocol):
    """What counting requests touches: the counters, and the audit log for the first
    refusal of a window."""

    @property
    def throttles(self) -> ThrottleRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


class AdmissionRepos(CountingRepos, Protocol):
    """What admitting a client's request touches: its registration, then the counters."""

    @property
    def clients(self) -> ClientRepo: ...


async def authenticate_and_count(
    steps: Steps[AdmissionRepos], request: ClientRequest, limits: RateLimits, now: Timestamp
) -> Client:
    """Authenticate the client, then count the request, in a step of its own: on
    PostgreSQL the counter's row stays locked until the step commits, and one address
    or client must not wait on another request's signing.

    Raises (once the count is committed):
        SlowDownError: the counter is over its limit (also when authentication failed).
        InvalidClientError: authentication failed.
    """
    async with steps.step() as tx:
        try:
            proven: Client | InvalidClientError = await authenticate_client(
                request.credentials, tx.clients, now=now
            )
        except InvalidClientError as failed:
            proven = failed
        admitted = await admit(tx, proven, limits, client_ip=request.client_ip, now=now)
    return settle(admitted)


async def admit(
    repos: CountingRepos,
    proven: Client | InvalidClientError,
    limits: RateLimits,
    *,
    client_ip: str,
    now: Timestamp,
) -> Client | Refused:
    """Count the request of an authenticated client, or of a failed authentication,
    and let the client through if it is under its limit; a refusal (over the limit, or
    the authentication failed) is returned so that the count is kept."""
    if isinstance(proven, InvalidClientError):
        over = await _count(repos, None, limits, client_ip=client_ip, now=now)
        return Refused(over or proven)
    over = await _count(repos, proven, limits, client_ip=client_ip, now=now)
    return proven if over is None else Refused(over)


async def _count(
    repos: CountingRepos,
    client: Client | None,
    limits: RateLimits,
    *,
    client_ip: str,
    now: Timestamp,
) -> SlowDownError | None:
    if client is not None and not client.is_public:
        key = (f"{CLIENT_KEY}:{client.client_id}", limits.per_client)
    else:
        key = (f"{IP_KEY}:{client_ip}", limits.per_ip)
    return await count_requests(
        repos, [key], limits.window, now, client_ip=client_ip, client=client
    )


async def count_requests(
    repos: CountingRepos,
    keys: Sequence[tuple[str, int]],
    window: int,
    now: Timestamp,
    *,
    client_ip: str,
    client: Client | None = None,
    event: Event = Event.TOKEN_RATE_LIMITED,
) -> SlowDownError | None:
    """Count one request on each (key, limit) whose limit is not 0; the refusal when a
    key is over its limit (retry_after: when its window ends), returned rather than
    raised because the count must be kept either way.

    The first refusal of a window is an audit `event`; later ones are not, so a flood
    writes one row per key and window, not one per request.
    """
    limit_of = {key: limit for key, limit in keys if limit}
    if not limit_of:
        return None
    counts = await repos.throttles.count_each(list(limit_of), now, window)
    over = [count for count in counts if count.hits > limit_of[count.key]]
    if not over:
        return None
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
    return SlowDownError(
        detail=f"over the limit: {', '.join(sorted(c.key for c in over))}",
        retry_after=resets_at - now,
    )
