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
   browser's session and advances the request (core.authorization.advance).

What the page must show is the answer: the form again (`SignInForm`, and why), or
the new session with what comes next (`SignedIn`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from tessera.core.authorization.advance import AdvanceRepos, AuthorizationAnswer, advance
from tessera.core.authorization.pending import (
    PendingRepos,
    PendingRequest,
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
from tessera.core.models import Timestamp
from tessera.core.outcomes import settle
from tessera.core.password_checks import PasswordCheckSlots
from tessera.core.policy import AuthorizationPolicy
from tessera.core.ports import Transactions
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


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The new session's cookie value, and what the request gets next."""

    session_cookie: str = field(repr=False)
    next: AuthorizationAnswer


class SignInRepos(LoginRepos, AdvanceRepos, PendingRepos, Protocol):
    """What a sign-in touches: the parked request, the attempt's account, throttle and
    session, then advancing the request."""


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
) -> SignedIn | SignInForm:
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
) -> SignedIn | SignInForm:
    """Record a failure; or finish the interaction, replace the browser's session, and
    advance the request with the new session as the one signed in for it.

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
        await finish_interaction(tx.interactions, pending)
        previous = await load_session(tx.sessions, request.session_cookie, now)
        cookie, session = await record_success(
            tx,
            attempt,
            verified,
            now=now,
            session_lifetime=policy.session_lifetime,
            replacing=previous,
        )
        advanced = await advance(
            tx,
            pending.request,
            session,
            policy=policy,
            client_ip=request.client_ip,
            now=now,
            login_sid=session.sid,
        )
    return SignedIn(cookie, settle(advanced))
