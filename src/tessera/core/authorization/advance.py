"""What an authorization request gets next: a code, a page for the person, or an error
for the client (RFC 6749 4.1.2, 4.1.2.1).

`advance` applies the interaction policy (core.authorization.interaction) to a valid
request and the browser's session: with nothing left to ask, the grant and its code;
otherwise the request is parked (core.authorization.pending) and the person is sent to
the page the policy asks for. `answer_authorization_request` is /authorize itself:
validate, then advance. The returning, consented user is its hot path: a few SELECTs
and the grant's INSERT, no parked request and no other write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from tessera.core.authorization.approval import find_consent, issue_code
from tessera.core.authorization.interaction import required_interaction
from tessera.core.authorization.pending import ParkingRepos, PendingRepos, park
from tessera.core.authorization_response import (
    AuthorizationResponse,
    build_code_response,
    build_error_response,
)
from tessera.core.authorize import (
    AuthorizationRequest,
    ResponseTarget,
    parse_authorization_request,
    resolve_target,
)
from tessera.core.errors import OAuthError, UnmetAuthenticationRequirementsError
from tessera.core.id_token_hint import HintVerifier
from tessera.core.models import Prompt, Session, Timestamp
from tessera.core.outcomes import Refused, settle
from tessera.core.policy import AuthorizationPolicy
from tessera.core.ports import ConsentRepo, GrantRepo, SessionRepo, Transactions
from tessera.core.sessions import load_session


class AuthorizationAnswer:
    """What an authorization request gets: `CodeIssued`, `NeedsPage` or
    `RefusedToClient`."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class CodeIssued(AuthorizationAnswer):
    """The code, to be delivered to the client."""

    response: AuthorizationResponse


@dataclass(frozen=True, slots=True)
class NeedsPage(AuthorizationAnswer):
    """The person must see the login or the consent page (`page`) for the request
    parked under `interaction_id`."""

    page: Prompt
    interaction_id: str


@dataclass(frozen=True, slots=True)
class RefusedToClient(AuthorizationAnswer):
    """A refusal sent to the client's trusted redirect URI; `error` says why, for the log."""

    error: OAuthError
    response: AuthorizationResponse


class AdvanceRepos(ParkingRepos, Protocol):
    """What advancing touches: the person's consent, then a grant or a parked request."""

    @property
    def consents(self) -> ConsentRepo: ...
    @property
    def grants(self) -> GrantRepo: ...


async def advance(
    repos: AdvanceRepos,
    request: AuthorizationRequest,
    session: Session | None,
    *,
    policy: AuthorizationPolicy,
    client_ip: str,
    now: Timestamp,
    login_sid: str | None = None,
) -> CodeIssued | NeedsPage | RefusedToClient | Refused:
    """Issue a code if the interaction policy allows it; otherwise park the request for
    the page the policy asks for (with no session, the login page). `login_sid` is the
    session signed in while handling this very request (core.authorization.interaction);
    when that sign-in is weaker than `acr_values` asked, the client gets
    `unmet_authentication_requirements`.

    Raises:
        LoginRequiredError, ConsentRequiredError: prompt=none and a page is needed.

    Refused (the count kept, nothing parked):
        SignInLimitError: the client address parked too many requests.
    """
    consent = await find_consent(repos.consents, request, session)
    try:
        needed = required_interaction(request, session, consent, now=now, login_sid=login_sid)
    except UnmetAuthenticationRequirementsError as err:
        # Only after a sign-in for this request: the person is signed in as well as
        # they can be, and the client learns it cannot have more.
        return refuse_to_client(err, request.target, policy.issuer)
    if needed is None and session is not None:
        return await approve(repos.grants, request, session, policy=policy, now=now)
    parked = await park(
        repos,
        request,
        now=now,
        policy=policy.interactions,
        client_ip=client_ip,
        login_sid=login_sid,
    )
    if isinstance(parked, Refused):
        return parked
    return NeedsPage(needed.prompt if needed else Prompt.LOGIN, parked)


async def approve(
    grants: GrantRepo,
    request: AuthorizationRequest,
    session: Session,
    *,
    policy: AuthorizationPolicy,
    now: Timestamp,
) -> CodeIssued:
    """Issue the code for the session's user (core.authorization.approval)."""
    code = await issue_code(grants, request, session, now=now, policy=policy.codes)
    return CodeIssued(build_code_response(request.target, code, policy.issuer))


def refuse_to_client(
    err: OAuthError, target: ResponseTarget | None, issuer: str
) -> RefusedToClient:
    """The refusal as the client's answer, when its redirect URI is trusted (`target`)
    and the error may go there.

    Raises:
        OAuthError: `err` itself, when it is for the person's eyes: the redirect URI is
            not known yet or not the client's, or the error is never redirected.
    """
    if target is None or not err.redirectable:
        raise err
    return RefusedToClient(err, build_error_response(target, err, issuer))


class AuthorizeRepos(AdvanceRepos, PendingRepos, Protocol):
    """What /authorize touches: the client and API it names, the session, then advancing."""

    @property
    def sessions(self) -> SessionRepo: ...


async def answer_authorization_request(
    store: Transactions[AuthorizeRepos],
    pairs: Iterable[tuple[str, str]],
    *,
    session_cookie: str | None,
    hints: HintVerifier,
    policy: AuthorizationPolicy,
    client_ip: str,
    now: Timestamp,
) -> AuthorizationAnswer:
    """Validate the request (core.authorize), then `advance` it for the browser's session.

    Raises:
        OAuthError: a refusal to show the person (see `refuse_to_client`); every other
            refusal is answered to the client.
    """
    pairs = list(pairs)
    target: ResponseTarget | None = None
    try:
        async with store.transaction() as tx:
            target = await resolve_target(pairs, tx.clients)
            request = await parse_authorization_request(target, pairs, tx.apis, hints, now=now)
            session = await load_session(tx.sessions, session_cookie, now)
            advanced = await advance(
                tx, request, session, policy=policy, client_ip=client_ip, now=now
            )
        return settle(advanced)
    except OAuthError as err:
        return refuse_to_client(err, target, policy.issuer)
