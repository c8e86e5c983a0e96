"""Approving an authorization request: the grant, its one-time code, remembered consent.

A Grant row is the authorization itself. The code is 256-bit random, stored only as its
digest, and bound to everything the token endpoint must check or copy into tokens
(RFC 6749 4.1.2 and 10.5; RFC 7636 4.4: the challenge; OIDC Core 3.1.3.6: nonce,
auth_time and the session id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.authorize import AuthorizationRequest
from tessera.core.errors import AccessDeniedError
from tessera.core.models import Consent, Grant, Session, Timestamp
from tessera.core.outcomes import Refused
from tessera.core.ports import AuditRepo, ConsentRepo, GrantRepo
from tessera.core.scopes import format_scope
from tessera.core.tokens import RefreshPolicy
from tessera.crypto.tokens import SecretKind, digest, new_id, new_secret


@dataclass(frozen=True, slots=True, kw_only=True)
class CodePolicy:
    """A code is redeemable for `code_lifetime` seconds; the grant it makes ends the
    client's absolute refresh lifetime after it was made, refreshed or not."""

    code_lifetime: int
    refresh: RefreshPolicy


class ConsentRepos(Protocol):
    """What a consent decision touches: the remembered consents, and the audit log."""

    @property
    def consents(self) -> ConsentRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


async def issue_code(
    grants: GrantRepo,
    request: AuthorizationRequest,
    session: Session,
    *,
    now: Timestamp,
    policy: CodePolicy,
) -> str:
    """Store the grant for the session's user; return its authorization code."""
    code = new_secret(SecretKind.AUTHORIZATION_CODE)
    grant = Grant(
        id=new_id(),
        client_id=request.client.client_id,
        user_id=session.user_id,
        session_id=session.sid,
        redirect_uri=request.target.redirect_uri,
        scope=frozenset(request.scope),
        audience=request.audience,
        code_challenge=request.code_challenge,
        nonce=request.nonce,
        auth_time=session.auth_time,
        amr=session.amr,
        created_at=now,
        code_expires_at=now + policy.code_lifetime,
        expires_at=now + policy.refresh.for_client(request.client).absolute,
    )
    await grants.add(grant, digest(code))
    return code


async def grant_consent(
    repos: ConsentRepos, request: AuthorizationRequest, user_id: str, now: Timestamp
) -> None:
    """Remember that the person allowed these scopes for this client and audience."""
    await repos.consents.grant(
        Consent(
            user_id=user_id,
            client_id=request.client.client_id,
            audience=consent_audience(request),
            scope=frozenset(request.scope),
            updated_at=now,
        )
    )
    await _audit(repos.audit, Event.CONSENT_GRANTED, request, user_id, now)


async def deny_consent(
    audit: AuditRepo, request: AuthorizationRequest, user_id: str, now: Timestamp
) -> Refused:
    """Record the refusal.

    Refused (the audit event kept):
        AccessDeniedError: always; it is the client's answer (RFC 6749 4.1.2.1).
    """
    await _audit(audit, Event.CONSENT_DENIED, request, user_id, now)
    return Refused(AccessDeniedError(detail="the user denied the request"))


async def _audit(
    audit: AuditRepo, event: Event, request: AuthorizationRequest, user_id: str, now: Timestamp
) -> None:
    await audit.record(
        event,
        now,
        user_id=user_id,
        client_id=request.client.client_id,
        detail={"scope": format_scope(request.scope), "audience": consent_audience(request)},
    )


async def find_consent(
    consents: ConsentRepo, request: AuthorizationRequest, session: Session | None
) -> Consent | None:
    """The consent remembered for this request's person, client and audience; None when
    there is nobody signed in yet or the client is first-party (the policy ignores it)."""
    if session is None or request.client.first_party:
        return None
    return await consents.get(session.user_id, request.client.client_id, consent_audience(request))


def consent_audience(request: AuthorizationRequest) -> str:
    """The consent key's audience: the API identifier, or '' for none."""
    return request.audience or ""
