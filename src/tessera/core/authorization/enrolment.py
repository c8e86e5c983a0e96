"""Enrolling a second factor in the middle of a sign-in, when `TESSERA_MFA=required`
and the person has none.

After the right password (core.authorization.sign_in) the person gets a new TOTP
secret, unconfirmed. Two steps finish the sign-in:

1. `confirm_code`: the first code from their app confirms the factor (an attempt on
   the login throttle, as any code is: core.authorization.second_factor) and makes
   their ten recovery codes, shown once (`RecoveryCodes`).
2. `continue_sign_in`: once they have saved them, the sign-in finishes with two
   factors. The code is issued only now, so reading the recovery codes cannot outlast
   an authorization code's lifetime.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from tessera.core.authorization.pending import (
    PasswordVerified,
    PendingRequest,
    await_second_factor,
    load_pending,
)
from tessera.core.authorization.second_factor import awaited
from tessera.core.authorization.sign_in import (
    EnrolForm,
    SignedIn,
    SignInRepos,
    complete_sign_in,
)
from tessera.core.errors import UnknownInteractionError
from tessera.core.id_token_hint import HintVerifier
from tessera.core.login import (
    VerifiedPassword,
    begin_attempt,
    forgive_attempt,
    record_failure,
    resumed_attempt,
)
from tessera.core.mfa import confirm_enrolment, find_enrolment
from tessera.core.models import TWO_FACTORS, Timestamp, User
from tessera.core.policy import AuthorizationPolicy
from tessera.core.ports import Transactions


@dataclass(frozen=True, slots=True, kw_only=True)
class RecoveryCodes:
    """The recovery codes of a factor just enrolled, to show once, and the request
    whose sign-in continues after them."""

    pending: PendingRequest
    codes: list[str] = field(repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class EnrolmentStep:
    """What the enrolment's pages sent: the request, the code (the confirmation's
    only), the browser's address and session cookie."""

    interaction_id: str | None
    client_ip: str
    code: str = field(default="", repr=False)
    session_cookie: str | None = field(default=None, repr=False)


async def _account(repos: SignInRepos, verified: PasswordVerified) -> User:
    """The account whose password was right, still there and enabled.

    Raises:
        UnknownInteractionError: it was deleted or disabled meanwhile.
    """
    user = await repos.users.get(verified.user_id)
    if user is None or user.is_disabled:
        raise UnknownInteractionError(detail="the account changed during the sign-in")
    return user


async def confirm_code(
    store: Transactions[SignInRepos],
    step: EnrolmentStep,
    *,
    hints: HintVerifier,
    policy: AuthorizationPolicy,
    clock: Callable[[], Timestamp],
) -> RecoveryCodes | EnrolForm:
    """Confirm the enrolment with its first code, in one transaction; a wrong or
    throttled code is the enrolment form again, with the same secret.

    Raises:
        UnknownInteractionError: the request is gone, is not enrolling, or its account
            or enrolment changed meanwhile.
        OAuthError: the parked request no longer validates (see `load_pending`).
    """
    now = clock()
    async with store.transaction() as tx:
        pending = await load_pending(tx, step.interaction_id, now, hints)
        verified = awaited(pending)
        if verified.enrolling is None:
            raise UnknownInteractionError(detail="no enrolment under way for this interaction")
        user = await _account(tx, verified)
        enrolment = await find_enrolment(
            tx, user, verified.enrolling, secret_key=policy.mfa.secret_key, issuer=policy.issuer
        )
        if enrolment is None:
            raise UnknownInteractionError(detail="the enrolment was confirmed or removed")
        attempt = await begin_attempt(
            tx,
            verified.login,
            client_ip=step.client_ip,
            client_id=pending.request.client.client_id,
            now=now,
        )
        if attempt.retry_after:
            return EnrolForm(pending=pending, enrolment=enrolment, retry_after=attempt.retry_after)
        codes = await confirm_enrolment(tx, user, enrolment, step.code, now=now, ip=step.client_ip)
        if codes is None:
            wait = await record_failure(tx, attempt, now, reason="wrong_code")
            return EnrolForm(pending=pending, enrolment=enrolment, failed=True, retry_after=wait)
        await forgive_attempt(tx, attempt)
        done = replace(verified, enrolling=None, enrolled=True)
        await await_second_factor(tx.interactions, pending, done)
    return RecoveryCodes(pending=pending, codes=codes)


async def continue_sign_in(
    store: Transactions[SignInRepos],
    step: EnrolmentStep,
    *,
    hints: HintVerifier,
    policy: AuthorizationPolicy,
    clock: Callable[[], Timestamp],
) -> SignedIn:
    """Finish the sign-in of a person who just enrolled, with two factors.

    Raises:
        UnknownInteractionError: the request is gone, has not enrolled, or its account
            changed meanwhile; or another request finished it first.
        OAuthError: the parked request no longer validates (see `load_pending`).
        SignInLimitError: see core.authorization.sign_in.
    """
    now = clock()
    async with store.transaction() as tx:
        pending = await load_pending(tx, step.interaction_id, now, hints)
        verified = awaited(pending)
        if not verified.enrolled:
            raise UnknownInteractionError(detail="no enrolment confirmed for this interaction")
        user = await _account(tx, verified)
        attempt = resumed_attempt(
            user,
            verified.login,
            client_ip=step.client_ip,
            client_id=pending.request.client.client_id,
        )
        completed = await complete_sign_in(
            tx,
            pending,
            attempt,
            VerifiedPassword(user),
            TWO_FACTORS,
            session_cookie=step.session_cookie,
            client_ip=step.client_ip,
            policy=policy,
            now=now,
        )
    return completed.settled()
