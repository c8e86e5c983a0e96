"""Deleting rows that can no longer change any answer, a short batch at a time.

What goes, and why it no longer matters:

- Sessions and sign-ins in progress (interactions) past `expires_at`: every read asks
  for `expires_at > now`.
- A revoked access token's entry, MARGIN after the token itself expired: until then a
  resource server's clock-skew leeway might still accept the token.
- A throttle row whose window and block are both over: its next count would start
  again from one, which a missing row does too.
- A grant with its refresh tokens, once nothing it issued can be live and it can issue
  nothing more. While it matters, a code exchange or a refresh needs it unrevoked and
  unended, and a reused code or refresh token revokes it, which ends its access tokens
  at userinfo and introspection. After that, a missing grant reads as a revoked one
  (`verify_access_token`: a token whose grant is gone is invalid) and a missing code or
  refresh token as an unknown one (`invalid_grant`, the answer a reused one gets too),
  so deleting it changes no answer; the audit log is only spared a `code.reused` or
  `refresh_token.reused` event about a family that was already dead. That is the case
  for:
  1. a code never redeemed, past its code lifetime: it issued nothing and can no
     longer be redeemed;
  2. a grant past its absolute end (`expires_at`): no refresh is accepted after it,
     and its refresh and access tokens expire by then (core.grants.base caps them);
  3. a revoked grant once every access token it issued has expired: it issued none
     after its revocation, and none lives longer than the longest lifetime configured
     (`TESSERA_ACCESS_TOKEN_LIFETIME` or an API's own).
  Each waits MARGIN longer, for the clocks of the other nodes.
  Refresh tokens go only with their grant, never on their own `expires_at`: while the
  family may be live, a rotated token, expired or not, is what recognises a thief's
  reuse and revokes the family (RFC 9700 4.14.2), and the family's last token is what
  a client revokes it with (RFC 7009 2.1).
- Audit events older than the retention (`TESSERA_AUDIT_RETENTION_DAYS`; 0 keeps all).

How: each table is walked in primary-key order, BATCH_SIZE keys at a time, and each
batch's dead rows are deleted by one statement bounded by those keys, in a transaction
of its own (a grant's refresh tokens first, in bounded statements too). No transaction
holds SQLite's write lock or PostgreSQL's row locks for long, and no index is needed,
so no insert on the serving path pays for pruning; a run reads each row once. The audit
log is walked from its oldest event only until a batch has nothing old enough: its ids
grow with time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from tessera.core.models import Timestamp
from tessera.store.engine import Database, Params

BATCH_SIZE = 200
# No throttle counts over a longer window: login's rules use an hour and the token and
# /authorize windows are capped at an hour (Settings.*_rate_limit_window).
LONGEST_THROTTLE_WINDOW = 3600
# Past any expiry, the leeway of another node's clock or of a resource server's.
MARGIN = 3600
DAY = 86400


@dataclass(frozen=True, slots=True, kw_only=True)
class PrunePolicy:
    """What the settings decide: how long audit events are kept (seconds; 0 keeps
    them all) and the lifetime of access tokens issued without an API."""

    audit_retention: int
    access_token_lifetime: int
    batch_size: int = BATCH_SIZE


@dataclass(frozen=True, slots=True)
class _Walk:
    table: str
    key: str
    first: object  # Sorts before every key of the table.
    dead: str  # A row that can go.
    # Dependent rows to delete (bounded by :batch) before the batch's own.
    dependants: tuple[tuple[str, str], ...] = ()
    oldest_first: bool = False  # Stop at the first batch with nothing to delete.


_DEAD_GRANT = (
    "(redeemed_at IS NULL AND code_expires_at <= :settled) OR expires_at <= :settled "
    "OR (revoked_at IS NOT NULL AND revoked_at <= :tokens_expired)"
)

_WALKS = (
    _Walk("sessions", "id_hash", b"", "expires_at <= :now"),
    _Walk("interactions", "id_hash", b"", "expires_at <= :now"),
    _Walk("revoked_access_tokens", "jti", "", "expires_at <= :settled"),
    _Walk("throttles", "key", "", "window_started_at <= :window_start AND blocked_until <= :now"),
    _Walk(
        "grants",
        "id",
        "",
        _DEAD_GRANT,
        dependants=(
            (
                "refresh_tokens",
                "DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash "
                "FROM refresh_tokens WHERE grant_id IN (SELECT id FROM grants "
                f"WHERE id > :after AND id <= :upto AND ({_DEAD_GRANT})) LIMIT :batch)",
            ),
        ),
    ),
)
_AUDIT = _Walk("audit_events", "id", 0, "at < :audit_cutoff", oldest_first=True)


async def prune(database: Database, now: Timestamp, policy: PrunePolicy) -> dict[str, int]:
    """Delete what can no longer change an answer as of `now`, batch by batch; return
    how many rows went from each table.

    Raises:
        StoreUnavailableError: the database failed; the batches before stay deleted.
    """
    async with database.read_transaction() as conn:
        row = await conn.fetch_one("SELECT MAX(access_token_lifetime) AS longest FROM apis")
    longest = max(policy.access_token_lifetime, (row["longest"] if row else None) or 0)
    params = {
        "now": now,
        "settled": now - MARGIN,
        "window_start": now - LONGEST_THROTTLE_WINDOW,
        "tokens_expired": now - MARGIN - longest,
        "audit_cutoff": now - policy.audit_retention,
        "batch": policy.batch_size,
    }
    walks = _WALKS + ((_AUDIT,) if policy.audit_retention else ())
    deleted: dict[str, int] = {}
    for walk in walks:
        deleted |= await _walk(database, walk, params, policy.batch_size)
    return deleted


async def _walk(database: Database, walk: _Walk, params: Params, batch: int) -> dict[str, int]:
    """Delete the table's dead rows (and their dependants), one batch of keys at a time."""
    deleted = dict.fromkeys([*(table for table, _ in walk.dependants), walk.table], 0)
    after = walk.first
    select = (
        f"SELECT {walk.key} FROM {walk.table} WHERE {walk.key} > :after "
        f"ORDER BY {walk.key} LIMIT :batch"
    )
    delete = (
        f"DELETE FROM {walk.table} WHERE {walk.key} > :after AND {walk.key} <= :upto "
        f"AND ({walk.dead})"
    )
    while True:
        async with database.read_transaction() as conn:
            keys = await conn.fetch_all(select, {"after": after, "batch": batch})
        if not keys:
            return deleted
        bounds = {**params, "after": after, "upto": keys[-1][walk.key]}
        for table, statement in walk.dependants:
            gone = batch
            while gone == batch:
                gone = await _execute(database, statement, bounds)
                deleted[table] += gone
        gone = await _execute(database, delete, bounds)
        deleted[walk.table] += gone
        if len(keys) < batch or (walk.oldest_first and gone == 0):
            return deleted
        after = bounds["upto"]


async def _execute(database: Database, sql: str, params: Params) -> int:
    """One statement in a transaction of its own; then requests go first."""
    async with database.transaction() as conn:
        count: int = await conn.execute(sql, params)
    # Taking a free lock never yields: without this, a whole table would be walked
    # before any request waiting on the event loop could run.
    await asyncio.sleep(0)
    return count
