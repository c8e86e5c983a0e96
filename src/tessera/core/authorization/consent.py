"""The consent page: the person allows or denies what a parked request asks for.

Allow remembers the consent (per person, client and audience; scopes accumulate) and
issues the code; Deny is audited and answered access_denied (RFC 6749 4.1.2.1). Only
the person signed in for the request decides: the form carries the session's public
id, so a sign-in as someone else in another tab cannot turn into consent by the wrong
person, and a session that no longer satisfies the request's login policy sends the
person back to the login page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tessera.core.authorization.advance import (
    AuthorizationAnswer,
    CodeIssued,
    NeedsPage,
    approve,
    refuse_to_client,
)
from tessera.core.authorization.approval import ConsentRepos, deny_consent, grant_consent
from tessera.core.authorization.interaction import login_reason
from tessera.core.authorization.pending import (
    PendingRepos,
    PendingRequest,
    finish_interaction,
    load_pending,
)
from tessera.core.authorize import AuthorizationRequest, ResponseTarget
from tessera.core.errors import OAuthError
from tessera.core.id_token_hint import HintVerifier
from tessera.core.models import Prompt, Session, Timestamp, User
from tessera.core.outcomes import Refused, settle
from tessera.core.policy import AuthorizationPolicy
from tessera.core.ports import GrantRepo, SessionRepo, Transactions, UserRepo
from tessera.core.sessions import load_session


@dataclass(frozen=True, slots=True)
class ConsentForm:
    """The consent page for `pending`, asked of the signed-in `session` (and its user,
    unless deleted meanwhile)."""

    pending: PendingRequest
    session: Session
    user: User | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsentDecision:
    """What the consent form sent, and the browser's session cookie."""

    interaction_id: str | None
    sid: str | None
    allow: bool
    session_cookie: str | None = field(default=None, repr=False)


class ConsentPageRepos(PendingRepos, Protocol):
    """What showing the page reads: the parked request, the session and its user."""

    @property
    def sessions(self) -> SessionRepo: ...
    @property
    def users(self) -> UserRepo: ...


class ConsentDecisionRepos(PendingRepos, ConsentRepos, Protocol):
    """What a decision touches: the parked request, the session, the consent, a grant."""

    @property
    def sessions(self) -> SessionRepo: ...
    @property
    def grants(self) -> GrantRepo: ...


async def show_consent(
    store: Transactions[ConsentPageRepos],
    interaction_id: str | None,
    *,
    session_cookie: str | None,
    hints: HintVerifier,
    now: Timestamp,
) -> ConsentForm | NeedsPage:
    """The page to ask on, or the login page when nobody fit for the request is signed in.

    Raises:
        UnknownInteractionError, OAuthError: see `load_pending`.
    """
    async with store.transaction() as tx:
        pending = await load_pending(tx, interaction_id, now, hints)
        session = await signed_in_session(tx.sessions, pending, session_cookie, now)
        if session is None:
            return NeedsPage(Prompt.LOGIN, pending.interaction_id)
        user = await tx.users.get(session.user_id)
    return ConsentForm(pending, session, user)


async def decide_consent(
    store: Transactions[ConsentDecisionRepos],
    decision: ConsentDecision,
    *,
    hints: HintVerifier,
    policy: AuthorizationPolicy,
    now: Timestamp,
) -> AuthorizationAnswer:
    """Carry out the person's decision, once: the interaction is finished first. A form
    from another session than the one signed in for the request shows the page again.

    Raises:
        OAuthError: a refusal to show the person (the parked request is gone, finished
            or no longer valid); others, access_denied included, go to the client.
    """
    target: ResponseTarget | None = None
    try:
        async with store.transaction() as tx:
            pending = await load_pending(tx, decision.interaction_id, now, hints)
            target = pending.request.target
            session = await signed_in_session(tx.sessions, pending, decision.session_cookie, now)
            if session is None or decision.sid != session.sid:
                return NeedsPage(Prompt.CONSENT, pending.interaction_id)
            await finish_interaction(tx.interactions, pending)
            decided = await _carry_out(tx, pending.request, session, decision.allow, policy, now)
        return settle(decided)
    except OAuthError as err:
        return refuse_to_client(err, target, policy.issuer)


async def _carry_out(
    repos: ConsentDecisionRepos,
    request: AuthorizationRequest,
    session: Session,
    allow: bool,
    policy: AuthorizationPolicy,
    now: Timestamp,
) -> CodeIssued | Refused:
    if not allow:
        return await deny_consent(repos.audit, request, session.user_id, now)
    await grant_consent(repos, request, session.user_id, now)
    return await approve(repos.grants, request, session, policy=policy, now=now)


async def signed_in_session(
    sessions: SessionRepo, pending: PendingRequest, cookie: str | None, now: Timestamp
) -> Session | None:
    """The browser's session if it satisfies the parked request's login policy."""
    session = await load_session(sessions, cookie, now)
    reason = login_reason(pending.request, session, now=now, login_sid=pending.login_sid)
    return session if reason is None else None
