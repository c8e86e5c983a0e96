"""Leases: a named job that one node at a time runs, decided by the database."""

from __future__ import annotations

from tessera.core.models import Timestamp
from tessera.store.engine import Connection


async def take_lease(
    conn: Connection, name: str, holder: str, *, now: Timestamp, until: Timestamp
) -> bool:
    """Take the lease until `until` if nobody holds it at `now`; True if this call did.

    One conditional statement: of several nodes asking at once, exactly one gets it.
    A lease is never given back; it runs out.
    """
    taken = await conn.fetch_one(
        "INSERT INTO leases (name, holder, expires_at) VALUES (:name, :holder, :until) "
        "ON CONFLICT (name) DO UPDATE SET holder = :holder, expires_at = :until "
        "WHERE leases.expires_at <= :now "
        "RETURNING name",
        {"name": name, "holder": holder, "now": now, "until": until},
    )
    return taken is not None
