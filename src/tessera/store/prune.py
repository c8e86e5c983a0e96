"""Deleting rows that can no longer change any answer, so that tables stop growing.

Expired sessions and sign-ins in progress are never read again (every read asks for
`expires_at > now`). A revoked access token's entry matters until the token itself has
expired; an hour's margin covers any clock-skew leeway a resource server allows. A
throttle row whose window and block are both over would start again from one at its
next count, which a missing row does too.

Grants and refresh tokens stay: a reused code or refresh token must still be recognised
as one. The audit log is the operator's to keep.
"""

from __future__ import annotations

from tessera.core.models import Timestamp
from tessera.store.engine import Connection

# No throttle counts over a longer window: login's rules use an hour and the token
# endpoint's window is capped at an hour (Settings.token_rate_limit_window).
LONGEST_THROTTLE_WINDOW = 3600
REVOCATION_MARGIN = 3600

_STATEMENTS = {
    "sessions": "DELETE FROM sessions WHERE expires_at <= :now",
    "interactions": "DELETE FROM interactions WHERE expires_at <= :now",
    "revoked_access_tokens": "DELETE FROM revoked_access_tokens WHERE expires_at <= :revoked_by",
    "throttles": (
        "DELETE FROM throttles WHERE window_started_at <= :window_start AND blocked_until <= :now"
    ),
}


async def prune_expired(conn: Connection, now: Timestamp) -> dict[str, int]:
    """Delete what has expired as of `now`; return how many rows went from each table."""
    params = {
        "now": now,
        "revoked_by": now - REVOCATION_MARGIN,
        "window_start": now - LONGEST_THROTTLE_WINDOW,
    }
    return {table: await conn.execute(sql, params) for table, sql in _STATEMENTS.items()}
