"""Signing in on the login page, for a parked authorization request.

`sign_in` runs three steps, each readable on its own so that another factor can be
added as a step of its own:

1. `identify`, one transaction: pick the parked request up, find the account, and
   begin the throttled attempt (core.login: a blocked attempt is refused here, before
   any password is checked).
2. `check_factor`: the password, in a worker thread outside any transaction, so that
   argon2 holds neither a database connection nor the event loop, and only while one
   of the process's password check slots is held (core.password_checks).
3. `finish_sign_in`, one transaction: a wrong password is recorded as the failure it
   was already counted as; a right one finishes the interaction, replaces the
   browser's session and advances the request (core.authorization.advance). A person
   with a second factor is asked for it first: the right password is kept with the
   request, and core.authorization.second_factor finishes the sign-in with the code.

What the page must show is the answer: the form again (`SignInForm`, and why), the
code's form (`CodeForm`), the enrolment's (`EnrolForm`, core.authorization.enrolment),
or the new session with what comes next (`SignedIn`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from tessera.core.authorization.advance import (
    AdvanceRepos,
    AuthorizationAnswer,
    CodeIssued,
    NeedsPage,
    RefusedToClient,
    advance,
)
from tessera.core.authorization.pending import (
    PasswordVerified,
    PendingRepos,
    PendingRequest,
    await_second_factor,
    finish_interaction,
    load_pending,
)
from tessera.core.id_token_hint import HintVerifier
from tessera.core.login import (
    LoginAttempt,
    LoginRepos,
    VerifiedPassword,
    begin_attempt,
    check_password,
    record_failure,
    record_success,
)
from tessera.core.mfa import (
    MFAMode,
    MFAPolicy,
    TOTPEnrolment,
    confirmed_factors,
    start_enrolment,
)
from tessera.core.models import AMR, PASSWORD_ONLY, Timestamp, User
from tessera.core.outcomes import Refused, settle
from tessera.core.password_checks import PasswordCheckSlots
from tessera.core.policy import AuthorizationPolicy
from tessera.core.ports import FactorRepo, Transactions
from tessera.core.sessions import load_session

# How long a sign-in waits, and how often it looks, while its login name is checked
# elsewhere (a double submit, two devices at once): the person waits a moment instead
# of reading that they are throttled.
LEASE_WAIT = 2.0
LEASE_PAUSE = 0.05
# When every password check slot is taken, the person may simply try again this soon.
BUSY_RETRY_AFTER = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInRequest:
    """What the login form sent, and the browser's session cookie."""

    interaction_id: str | None
    login: str = field(repr=False)
    password: str = field(repr=False)
    client_ip: str
    session_cookie: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignInForm:
    """The sign-in form to show, for `pending`, with `login` filled in. `failed`: the
    account or password was wrong (one message for both). `retry_after` > 0: the
    throttle refuses attempts for that long. `busy`: every password check slot of this
    process was taken, nothing was checked, and the person may try again at once.
    `disabled`: the password was right but an operator disabled the account; only who
    knows the password learns it (as Keycloak and Auth0 tell)."""

    pending: PendingRequest
    login: str = field(repr=False)
    failed: bool = False
    retry_after: int = 0
    busy: bool = False
    disabled: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeForm:
    """The second factor's form, for `pending` whose password was right. `failed`: the
    code was wrong, replayed or spent; `retry_after` > 0: the throttle refuses codes
    for that long."""

    pending: PendingRequest
    failed: bool = False
    retry_after: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrolForm:
    """The enrolment form for `pending`, whose password was right, under a policy that
    requires a second factor the person has not got: the new secret to show (as a QR
    code and as text), and, as for the code's form, `failed` and `retry_after`."""

    pending: PendingRequest
    enrolment: TOTPEnrolment = field(repr=False)
    failed: bool = False
    retry_after: int = 0


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The new session's cookie value, and what the request gets next."""

    session_cookie: str = field(repr=False)
    next: AuthorizationAnswer


class SignInRepos(LoginRepos, AdvanceRepos, PendingRepos, Protocol):
    """What a sign-in touches: the parked request, the attempt's account, throttle and
    session, the account's second factors, then advancing the request."""

    @property
    def factors(self) -> FactorRepo: ...


async def show_sign_in(
    store: Transactions[PendingRepos],
    interaction_id: str | None,
    *,
    hints: HintVerifier,
    now: Timestamp,
) -> SignInForm:
    """The empty form for a parked request, with its login_hint filled in.

    Raises:
        UnknownInteractionError, OAuthError: see `load_pending`.
    """
    async with store.transaction() as tx:
        pending = await load_pending(tx, interaction_id, now, hints)
    return SignInForm(pending=pending, login=pending.request.login_hint or "")


async def sign_in(
    store: Transactions[SignInRepos],
    request: SignInRequest,
    *,
    checks: PasswordCheckSlots,
    hints: HintVerifier,
    policy: AuthorizationPolicy,
    clock: Callable[[], Timestamp],
) -> SignedIn | SignInForm | CodeForm | EnrolForm:
    """Identify the person, check their password, finish (see the module docstring).

    Raises:
        UnknownInteractionError, OAuthError: the parked request is gone or no longer
            valid (see `load_pending`).
        SignInLimitError: signed in, the request needs a page and its address parked
            too many requests (the session is kept; core.authorization.advance).
    """
    now = clock()
    async with checks.slot() as free:
        if not free:
            async with store.read_transaction() as tx:
                pending = await load_pending(tx, request.interaction_id, now, hints)
            return SignInForm(
                pending=pending, login=request.login, busy=True, retry_after=BUSY_RETRY_AFTER
            )
        pending, attempt = await identify(store, request, hints=hints, clock=clock)
        if attempt.retry_after:
            return SignInForm(pending=pending, login=request.login, retry_after=attempt.retry_after)
        verified = await check_factor(attempt, request.password)
        return await finish_sign_in(
            store, request, pending, attempt, verified, policy=policy, now=now
        )


async def identify(
    store: Transactions[SignInRepos],
    request: SignInRequest,
    *,
    hints: HintVerifier,
    clock: Callable[[], Timestamp],
) -> tuple[PendingRequest, LoginAttempt]:
    """Pick the parked request up and begin the attempt (core.login), one transaction.

    While another request checks a password for the same login name, try again after
    short pauses, LEASE_WAIT seconds at most.
    """
    deadline = time.monotonic() + LEASE_WAIT
    while True:
        async with store.transaction() as tx:
            pending = await load_pending(tx, request.interaction_id, clock(), hints)
            attempt = await begin_attempt(
                tx,
                request.login,
                client_ip=request.client_ip,
                client_id=pending.request.client.client_id,
                now=clock(),
            )
        if not attempt.checking_elsewhere or time.monotonic() >= deadline:
            return pending, attempt
        await asyncio.sleep(LEASE_PAUSE)


async def check_factor(attempt: LoginAttempt, password: str) -> VerifiedPassword | None:
    """The password check, off the event loop; None when the account or password is
    wrong. Call it outside any transaction."""
    return await asyncio.to_thread(check_password, attempt.user, password)


async def finish_sign_in(
    store: Transactions[SignInRepos],
    request: SignInRequest,
    pending: PendingRequest,
    attempt: LoginAttempt,
    verified: VerifiedPassword | None,
    *,
    policy: AuthorizationPolicy,
    now: Timestamp,
) -> SignedIn | SignInForm | CodeForm | EnrolForm:
    """Record a failure; or, for a person with a second factor the policy asks for, keep
    the right password with the request and ask for the code (`CodeForm`), or, when the
    policy requires one they have not got, have them enrol (`EnrolForm`); or finish
    the interaction, replace the browser's session, and advance the request with the
    new session as the one signed in for it.

    Raises:
        UnknownInteractionError: another request finished the interaction first.
        SignInLimitError: see `sign_in`.
    """
    async with store.transaction() as tx:
        if verified is None:
            wait = await record_failure(tx, attempt, now)
            return SignInForm(pending=pending, login=request.login, failed=True, retry_after=wait)
        if verified.user.is_disabled:
            await record_failure(tx, attempt, now, reason="disabled")
            return SignInForm(pending=pending, login=request.login, disabled=True)
        held = PasswordVerified(user_id=verified.user.id, login=request.login)
        if await asks_second_factor(tx, verified.user, policy.mfa):
            await hold_for_second_factor(tx, pending, attempt, verified, held)
            return CodeForm(pending=pending)
        if may_enrol(pending, policy.mfa):
            enrolment = await start_enrolment(
                tx, verified.user, secret_key=policy.mfa.secret_key, issuer=policy.issuer, now=now
            )
            held = replace(held, enrolling=enrolment.factor.id)
            await hold_for_second_factor(tx, pending, attempt, verified, held)
            return EnrolForm(pending=pending, enrolment=enrolment)
        advanced = await complete_sign_in(
            tx,
            pending,
            attempt,
            verified,
            PASSWORD_ONLY,
            session_cookie=request.session_cookie,
            client_ip=request.client_ip,
            policy=policy,
            now=now,
        )
    return advanced.settled()


async def asks_second_factor(repos: SignInRepos, user: User, policy: MFAPolicy) -> bool:
    """Whether this sign-in needs a code after the password: the user has a confirmed
    factor and the policy is not `off`."""
    if policy.mode is MFAMode.OFF:
        return False
    return bool(confirmed_factors(await repos.factors.list_for_user(user.id)))


def may_enrol(pending: PendingRequest, policy: MFAPolicy) -> bool:
    """Whether a person without a factor enrols one now: the policy requires it, or the
    request asks for two factors (`acr_values`) and the policy allows them."""
    if policy.mode is MFAMode.REQUIRED:
        return True
    return pending.request.wants_two_factors and policy.mode is MFAMode.OPTIONAL


async def hold_for_second_factor(
    repos: SignInRepos,
    pending: PendingRequest,
    attempt: LoginAttempt,
    verified: VerifiedPassword,
    held: PasswordVerified,
) -> None:
    """Park the right password with the request (as `held`) until the code comes. The
    attempt stays counted as a failure on the throttle's keys until then: only the
    code's success clears them (core.login.forgive_attempt), so guessing codes is
    throttled as guessing passwords is. The lease is released, and a new password hash
    kept now."""
    await repos.throttles.release(attempt.lease_key, attempt.lease_until)
    if verified.new_hash is not None:
        await repos.users.set_password_hash(verified.user.id, verified.new_hash)
    await await_second_factor(repos.interactions, pending, held)


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished sign-in inside its transaction: the cookie, and the request's next
    step, to settle once the transaction has committed."""

    session_cookie: str = field(repr=False)
    advanced: CodeIssued | NeedsPage | RefusedToClient | Refused

    def settled(self) -> SignedIn:
        """Raises the refusal `advanced` holds (see core.outcomes.settle)."""
        return SignedIn(self.session_cookie, settle(self.advanced))


async def complete_sign_in(
    repos: SignInRepos,
    pending: PendingRequest,
    attempt: LoginAttempt,
    verified: VerifiedPassword,
    amr: tuple[AMR, ...],
    *,
    session_cookie: str | None,
    client_ip: str,
    policy: AuthorizationPolicy,
    now: Timestamp,
) -> Completed:
    """Finish the interaction, replace the browser's session with one signed in by the
    methods `amr`, and advance the request.

    Raises:
        UnknownInteractionError: another request finished the interaction first.
    """
    await finish_interaction(repos.interactions, pending)
    previous = await load_session(repos.sessions, session_cookie, now)
    cookie, session = await record_success(
        repos,
        attempt,
        verified,
        now=now,
        session_lifetime=policy.session_lifetime,
        replacing=previous,
        amr=amr,
    )
    advanced = await advance(
        repos,
        pending.request,
        session,
        policy=policy,
        client_ip=client_ip,
        now=now,
        login_sid=session.sid,
    )
    return Completed(cookie, advanced)
