"""Changing a registered API after day 1: its name, scopes, access token lifetime and
signing algorithm (its identifier, the audience, stays: tokens and grants name it).

The new terms apply to tokens issued from then on; tokens already issued keep theirs
until they expire. A scope taken away is no longer granted by /authorize or client
credentials, but a grant made before keeps it in its refresh tokens until the grant
ends: revoke those (`consents revoke`, `users logout`) to take it away at once.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.models import Api, Timestamp
from tessera.core.ports import ApiRepo, AuditRepo
from tessera.core.registration import build_api_scopes, validate_api_terms
from tessera.crypto.keys import Algorithm


class UnknownApiError(LookupError):
    """No API has this identifier; the message names it."""


class ApiChangeRepos(Protocol):
    @property
    def apis(self) -> ApiRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiChange:
    """What to change; None leaves it. `scopes` replaces the whole list."""

    name: str | None = None
    scopes: Sequence[tuple[str, str]] | None = None
    access_token_lifetime: int | None = None
    signing_alg: Algorithm | None = None


async def update_api(
    repos: ApiChangeRepos,
    identifier: str,
    change: ApiChange,
    *,
    algorithms: Collection[Algorithm],
    actor: str,
    now: Timestamp,
) -> Api:
    """The API with the change made and stored.

    Raises:
        UnknownApiError: no such API.
        RegistrationError: a bad scope name, lifetime, or an algorithm not enabled.
    """
    api = await repos.apis.get_by_identifier(identifier)
    if api is None:
        raise UnknownApiError(f"no API {identifier!r}")
    updated = replace(
        api,
        name=api.name if change.name is None else (change.name.strip() or api.identifier),
        scopes=api.scopes if change.scopes is None else build_api_scopes(change.scopes),
        access_token_lifetime=api.access_token_lifetime
        if change.access_token_lifetime is None
        else change.access_token_lifetime,
        signing_alg=api.signing_alg if change.signing_alg is None else change.signing_alg,
    )
    validate_api_terms(updated.access_token_lifetime, updated.signing_alg, algorithms)
    await repos.apis.update(updated)
    fields = [f for f in ApiChange.__dataclass_fields__ if getattr(api, f) != getattr(updated, f)]
    await repos.audit.record(
        Event.API_UPDATED,
        now,
        detail={"identifier": identifier, "actor": actor, "fields": " ".join(fields)},
    )
    return updated
