"""Rotating a confidential client's secret, with an optional overlap.

Without an overlap the old secret stops at once (a secret that leaked). With one, the
old secret keeps working for that long beside the new one, so a deployment can roll
its new secret out without a failed request (core.client_auth compares both). A later
rotation replaces the kept secret: at most two ever work.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.models import Client, Timestamp
from tessera.core.ports import AuditRepo, ClientRepo
from tessera.core.registration import RegistrationError
from tessera.crypto.tokens import SecretKind, digest, new_secret

MAX_OVERLAP = 30 * 86400


class ClientNotFoundError(LookupError):
    """No client has this id; the message names it."""


class SecretRepos(Protocol):
    """What a rotation touches: the client, and the audit log."""

    @property
    def clients(self) -> ClientRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


@dataclass(frozen=True, slots=True)
class RotatedSecret:
    """The client as stored now, and its new secret, shown once."""

    client: Client
    secret: str = field(repr=False)


async def rotate_secret(
    repos: SecretRepos, client_id: str, *, overlap: int, actor: str, now: Timestamp
) -> RotatedSecret:
    """Give the client a new secret; the old one keeps working `overlap` seconds.

    Raises:
        ClientNotFoundError: no such client.
        RegistrationError: a public client (it has no secret), or an overlap outside 0
            to MAX_OVERLAP seconds.
    """
    if not 0 <= overlap <= MAX_OVERLAP:
        raise RegistrationError(f"the overlap must be 0 to {MAX_OVERLAP} seconds")
    client = await repos.clients.get(client_id)
    if client is None:
        raise ClientNotFoundError(f"no client {client_id!r}")
    if client.is_public:
        raise RegistrationError("a public client has no secret to rotate")
    secret = new_secret(SecretKind.CLIENT_SECRET)
    rotated = replace(
        client,
        secret_hash=digest(secret),
        previous_secret_hash=client.secret_hash if overlap else None,
        previous_secret_expires_at=now + overlap if overlap else None,
    )
    await repos.clients.update(rotated)
    await repos.audit.record(
        Event.CLIENT_SECRET_ROTATED,
        now,
        client_id=client.client_id,
        detail={"actor": actor, "overlap": str(overlap)},
    )
    return RotatedSecret(rotated, secret)
