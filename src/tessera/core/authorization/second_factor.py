"""The second step of a sign-in: the code of a person whose password was right.

The login page (core.authorization.sign_in) kept the right password with the parked
request; this step takes a TOTP code or a recovery code for it (core.mfa) and finishes
the sign-in as the password alone would have, with a session signed in by two factors.
A code is an attempt on the same throttle keys as the password (core.login): it is
counted before it is checked, a blocked one is refused unchecked, and a wrong one is
recorded as a failure, so guessing codes costs what guessing passwords does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tessera.core.authorization.pending import PasswordVerified, PendingRequest, load_pending
from tessera.core.authorization.sign_in import (
    CodeForm,
    SignedIn,
    SignInRepos,
    complete_sign_in,
)
from tessera.core.errors import UnknownInteractionError
from tessera.core.id_token_hint import HintVerifier
from tessera.core.login import VerifiedPassword, begin_attempt, record_failure
from tessera.core.mfa import check_second_factor
from tessera.core.models import Timestamp
from tessera.core.policy import AuthorizationPolicy
from tessera.core.ports import Transactions


@dataclass(frozen=True, slots=True, kw_only=True)
class CodeRequest:
    """What the code form sent, and the browser's session cookie."""

    interaction_id: str | None
    code: str = field(repr=False)
    client_ip: str
    session_cookie: str | None = field(default=None, repr=False)


def awaited(pending: PendingRequest) -> PasswordVerified:
    """The right password the request keeps.

    Raises:
        UnknownInteractionError: no password was verified for it (the code form was
            posted before the login form, or for another request).
    """
    if pending.verified is None:
        raise UnknownInteractionError(detail="no password verified for this interaction")
    return pending.verified


async def submit_code(
    store: Transactions[SignInRepos],
    request: CodeRequest,
    *,
    hints: HintVerifier,
    policy: AuthorizationPolicy,
    clock: Callable[[], Timestamp],
) -> SignedIn | CodeForm:
    """Check the code and finish the sign-in, in one transaction (a TOTP check is a
    few HMACs, nothing to take out of it); a wrong or throttled code is the form again.

    Raises:
        UnknownInteractionError: the request is gone, awaits no code, or its account
            is not the one whose password was right any more (renamed, deleted,
            disabled meanwhile).
        OAuthError: the parked request no longer validates (see `load_pending`).
        SignInLimitError: see core.authorization.sign_in.
    """
    now = clock()
    async with store.transaction() as tx:
        pending = await load_pending(tx, request.interaction_id, now, hints)
        verified = awaited(pending)
        attempt = await begin_attempt(
            tx,
            verified.login,
            client_ip=request.client_ip,
            client_id=pending.request.client.client_id,
            now=now,
        )
        if attempt.retry_after:
            return CodeForm(pending=pending, retry_after=attempt.retry_after)
        user = attempt.user
        if user is None or user.id != verified.user_id or user.is_disabled:
            raise UnknownInteractionError(detail="the account changed during the sign-in")
        amr = await check_second_factor(
            tx, user, request.code, secret_key=policy.mfa.secret_key, now=now, ip=request.client_ip
        )
        if amr is None:
            wait = await record_failure(tx, attempt, now, reason="wrong_code")
            return CodeForm(pending=pending, failed=True, retry_after=wait)
        completed = await complete_sign_in(
            tx,
            pending,
            attempt,
            VerifiedPassword(user),
            amr,
            session_cookie=request.session_cookie,
            client_ip=request.client_ip,
            policy=policy,
            now=now,
        )
    return completed.settled()
