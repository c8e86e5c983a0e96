"""Who may call the admin API: tessera's own access tokens for the built-in admin API.

The admin API is an API like any other (`{issuer}/admin`, scopes `admin:read` and
`admin:write`), so a machine client gets it as it gets any API: `clients create --api
{issuer}/admin --allowed-scope ...` and a client_credentials token (core.grants). A
request is let in when its token is live (core.access_tokens), names the admin API in
`aud`, and carries the scope the operation needs: reads `admin:read`, changes
`admin:write` (RFC 6750 3.1: invalid_token 401, insufficient_scope 403).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from tessera.core.access_tokens import RevocationListRepos, verify_access_token
from tessera.core.audit_events import Event
from tessera.core.errors import InsufficientScopeError, InvalidTokenError
from tessera.core.models import Api, ApiScope, Timestamp
from tessera.core.ports import ApiRepo, AuditRepo, Transactions
from tessera.crypto.jws import JWSVerifier
from tessera.crypto.keys import Algorithm
from tessera.crypto.tokens import new_id

READ_SCOPE = "admin:read"
WRITE_SCOPE = "admin:write"
# An admin token is for scripts and pipelines: short-lived, whatever the server default.
ADMIN_TOKEN_LIFETIME = 3600
# Who provisions the admin API, in its audit event.
SYSTEM_ACTOR = "tessera"


def admin_identifier(issuer: str) -> str:
    """The admin API's identifier, the `aud` its tokens carry: `{issuer}/admin`."""
    return f"{issuer.rstrip('/')}/admin"


def required_scope(*, changes: bool) -> str:
    """The scope an operation needs: `admin:write` for a change, else `admin:read`."""
    return WRITE_SCOPE if changes else READ_SCOPE


def client_actor(client_id: str) -> str:
    """How the audit log names an admin API caller: `client:<client_id>`."""
    return f"client:{client_id}"


@dataclass(frozen=True, slots=True)
class AdminCaller:
    """The machine client an admin request comes from, as its token proved."""

    client_id: str

    @property
    def actor(self) -> str:
        return client_actor(self.client_id)


def build_admin_api(issuer: str, now: Timestamp, algorithms: Collection[Algorithm]) -> Api:
    """The built-in admin API, signed with the first enabled algorithm (RS256 when
    enabled) so it never names a disabled one."""
    alg = Algorithm.RS256 if Algorithm.RS256 in algorithms else next(iter(algorithms))
    return Api(
        id=new_id(16),
        identifier=admin_identifier(issuer),
        name="tessera admin API",
        scopes=(
            ApiScope(name=READ_SCOPE, description="Read clients, users, APIs, keys and audit"),
            ApiScope(name=WRITE_SCOPE, description="Change clients, users, APIs and keys"),
        ),
        access_token_lifetime=ADMIN_TOKEN_LIFETIME,
        signing_alg=alg,
        created_at=now,
    )


class ProvisionRepos(Protocol):
    @property
    def apis(self) -> ApiRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


async def ensure_admin_api(
    repos: ProvisionRepos, issuer: str, now: Timestamp, algorithms: Collection[Algorithm]
) -> Api | None:
    """Create the admin API for this issuer unless it exists; the new API, or None when
    there was one already (an operator's changes to it are kept)."""
    if await repos.apis.get_by_identifier(admin_identifier(issuer)) is not None:
        return None
    api = build_admin_api(issuer, now, algorithms)
    await repos.apis.add(api)
    await repos.audit.record(
        Event.API_CREATED, now, detail={"identifier": api.identifier, "actor": SYSTEM_ACTOR}
    )
    return api


def _audiences(claims: dict[str, object]) -> tuple[str, ...]:
    aud = claims.get("aud")
    if isinstance(aud, str):
        return (aud,)
    if isinstance(aud, list):
        return tuple(item for item in aud if isinstance(item, str))
    return ()


async def authorize_admin_request(
    store: Transactions[RevocationListRepos],
    token: str,
    *,
    keys: JWSVerifier,
    issuer: str,
    now: Timestamp,
    changes: bool,
) -> AdminCaller:
    """The caller of an admin operation, if its token may make it.

    Raises:
        InvalidTokenError: the token is invalid, expired or revoked, or not for the
            admin API (another API's token is no admin token, whatever its scopes).
        InsufficientScopeError: the token lacks the scope the operation needs
            (`required_scope`).
    """
    async with store.read_transaction() as tx:
        access = await verify_access_token(token, keys, issuer=issuer, now=now, repos=tx)
    if admin_identifier(issuer) not in _audiences(access.claims):
        raise InvalidTokenError(
            "The access token is not for the admin API.",
            detail=f"access token {access.jti} is for {_audiences(access.claims)}",
        )
    scope = required_scope(changes=changes)
    if scope not in access.scope:
        raise InsufficientScopeError(detail=f"admin operation needs {scope}")
    return AdminCaller(access.client_id)
