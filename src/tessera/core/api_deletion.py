"""Deleting an API, and with it everything that was granted for it.

What users granted for an API must not outlive it: an API deleted and created again
(with fewer scopes, or by someone else) would otherwise honour refresh tokens and
remembered consent given for the old one. So, in the caller's one transaction, every
grant whose audience is the API is revoked (its refresh and access tokens stop being
active), every consent for it is forgotten, clients lose their access to it (by
cascade), and one audit event says how much went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.models import Timestamp
from tessera.core.ports import ApiRepo, AuditRepo, ConsentRepo, GrantRepo


class ApiDeletionRepos(Protocol):
    """What deleting an API touches: it, the grants and consents given for it, the log."""

    @property
    def apis(self) -> ApiRepo: ...
    @property
    def grants(self) -> GrantRepo: ...
    @property
    def consents(self) -> ConsentRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


@dataclass(frozen=True, slots=True)
class DeletedApi:
    grants_revoked: int
    consents_deleted: int


async def delete_api(
    repos: ApiDeletionRepos, identifier: str, *, now: Timestamp, actor: str
) -> DeletedApi | None:
    """Delete the API with this identifier and revoke what was granted for it; None,
    and nothing changed, if there is no such API. `actor` names who asked, in the
    audit event."""
    if not await repos.apis.delete(identifier):
        return None
    deleted = DeletedApi(
        grants_revoked=await repos.grants.revoke_for_audience(identifier, now),
        consents_deleted=await repos.consents.delete_for_audience(identifier),
    )
    await repos.audit.record(
        Event.API_DELETED,
        now,
        detail={
            "identifier": identifier,
            "actor": actor,
            "grants_revoked": str(deleted.grants_revoked),
            "consents_deleted": str(deleted.consents_deleted),
        },
    )
    return deleted
