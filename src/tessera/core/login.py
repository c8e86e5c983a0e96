"""Signing in with a password, throttled per source, per login name and per client IP.

An attempt has three steps so that argon2's deliberately long check holds neither a
database transaction nor the SQLite lock:

1. `begin_attempt`, one transaction: refuse the attempt if a key is blocked; take the
   login name's lease, so that only one of its passwords is checked at a time across
   workers and nodes; count the attempt as a failure on every key, with the blocks
   that count sets. A burst of parallel attempts therefore meets the count of each one
   before it, and gets no more password checks than the same attempts one by one.
2. `check_password`, outside any transaction, off the event loop.
3. `record_failure` (the failure is already counted) or `record_success`, which
   clears the counts a success clears, refunds the address's count, and releases the
   lease; a lease its process never releases ends by itself.

Failures are counted in the database, so the limits hold across workers and nodes
(OWASP ASVS 2.2.1). After a few free failures each further one blocks the key for a
delay that doubles. A source (an address trying one login name) is locked for a while
after a few more; the login name itself is only ever delayed, a minute at most, so that
nobody can lock another person out (RFC 6819 5.1.4.2.3). A blocked attempt is refused
before any password is checked.

Every key is the login name as typed (normalised as the user lookup does), never the
account it names: a username and an email of one account are throttled apart, exactly
as two unknown names are, so the throttle does not tell which names belong together.
The cost is that an account with an email has two login names' budgets.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.models import AMR, PASSWORD_ONLY, Session, Timestamp, User
from tessera.core.ports import AuditRepo, SessionRepo, ThrottleRepo, UserRepo
from tessera.core.sessions import start_session
from tessera.crypto.passwords import (
    PasswordMismatchError,
    hash_password,
    needs_rehash,
    verify_password,
)
from tessera.crypto.tokens import digest

# Throttle keys: a login name (digested) from one address, and from anywhere; the
# lease held while one of its passwords is checked.
SOURCE_KEY = "login-source:"
NAME_KEY = "login-name:"
CHECK_KEY = "login-check:"


class LoginRepos(Protocol):
    """What a sign-in attempt touches: the account, the throttle's counters and lease,
    the session it starts, and the audit log."""

    @property
    def users(self) -> UserRepo: ...
    @property
    def throttles(self) -> ThrottleRepo: ...
    @property
    def sessions(self) -> SessionRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleRule:
    """Failures counted over `window` seconds: `free` cost nothing, then each blocks the
    key for a doubling delay (at most `max_delay`), and the `lock_after`-th (if set)
    locks it for `lock_for`."""

    window: int
    free: int
    lock_after: int | None = None
    lock_for: int = 0
    max_delay: int = 60

    def delay_after(self, failures: int) -> int:
        """Seconds the key is blocked after its `failures`-th failure."""
        if self.lock_after is not None and failures >= self.lock_after:
            return self.lock_for
        if failures <= self.free:
            return 0
        return min(1 << (failures - self.free), self.max_delay)


# One address trying one login name: 3 free tries, then 2, 4, ... 60 s, and a
# 15-minute lock from the 10th.
SOURCE_RULE = ThrottleRule(window=3600, free=3, lock_after=10, lock_for=900)
# One login name from anywhere: 10 free tries (a source is locked before they are
# spent), then 2, 4, ... 60 s, and never a lock.
LOGIN_NAME_RULE = ThrottleRule(window=3600, free=10)
# One address may be a whole office behind NAT: the limits are wider.
CLIENT_IP_RULE = ThrottleRule(window=3600, free=20, lock_after=100, lock_for=900)

# Longer than any password check takes; a dead process's lease is gone this soon.
LEASE_SECONDS = 10
# A login name whose password is being checked may be tried again this soon.
LEASE_RETRY_AFTER = 1


@dataclass(frozen=True, slots=True)
class Charge:
    """One key's count of an attempt, and the block that count set (0: none)."""

    key: str
    window_started_at: Timestamp
    blocked_until: Timestamp


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginAttempt:
    """One try at signing in; `retry_after` > 0 means it is refused unchecked, and
    `checking_elsewhere` that only the lease refused it (another of the login name's
    passwords is being checked: the caller may simply try again in a moment).

    An admitted attempt holds the lease until `lease_until`, and is already counted as
    the failure `charges` describe; `failure_wait` is what a wrong password then waits.
    """

    user: User | None = field(repr=False)
    name: str = field(repr=False)
    client_ip: str
    client_id: str
    retry_after: int = 0
    checking_elsewhere: bool = False
    lease_until: Timestamp = 0
    charges: tuple[Charge, ...] = ()
    failure_wait: int = 0

    @property
    def keys(self) -> tuple[tuple[str, ThrottleRule], ...]:
        return (
            (f"{SOURCE_KEY}{self.client_ip}:{self.name}", SOURCE_RULE),
            (self.ip_key, CLIENT_IP_RULE),
            (f"{NAME_KEY}{self.name}", LOGIN_NAME_RULE),
        )

    @property
    def ip_key(self) -> str:
        return f"login-ip:{self.client_ip}"

    @property
    def lease_key(self) -> str:
        return f"{CHECK_KEY}{self.name}"


async def forget_failures(throttles: ThrottleRepo, logins: Iterable[str]) -> int:
    """Clear what the throttle holds against these login names, from every address:
    counts, blocks and the check lease (an operator's unlock). The counters of the
    addresses themselves stay: they are about an address, not an account. How many
    keys were cleared."""
    cleared = 0
    for login in logins:
        name = _login_name(login)
        cleared += await throttles.reset_matching(SOURCE_KEY, f":{name}")
        for key in (NAME_KEY, CHECK_KEY):
            cleared += await throttles.reset_matching(f"{key}{name}", "")
    return cleared


def _login_name(login: str) -> str:
    """A digest, not the text: what someone typed as a login may be their password.
    Normalised as UserRepo.find_by_login matches, so every spelling of a name counts
    on one key."""
    return digest(login.strip().lower()).hex()[:32]


async def begin_attempt(
    repos: LoginRepos, login: str, *, client_ip: str, client_id: str, now: Timestamp
) -> LoginAttempt:
    """Find the account; refuse the attempt if it is throttled or the login name's
    password is being checked right now; otherwise take the lease and count the attempt
    as a failure. Run it in one transaction: the check and the count are one decision.
    """
    user = await repos.users.find_by_login(login) if login else None
    attempt = LoginAttempt(
        user=user, name=_login_name(login), client_ip=client_ip, client_id=client_id
    )
    refusals = await _refusals(repos, attempt, now)
    if refusals:
        only_the_lease = refusals.keys() == {attempt.lease_key}
        wait = max(refusals.values())
        return replace(attempt, retry_after=wait, checking_elsewhere=only_the_lease)
    lease_until = now + LEASE_SECONDS
    if not await repos.throttles.lease(attempt.lease_key, now, lease_until):
        # Taken between the read above and now, on another node.
        return replace(attempt, retry_after=LEASE_RETRY_AFTER, checking_elsewhere=True)
    charges = await _charge(repos, attempt, now)
    waits = [charge.blocked_until - now for charge in charges if charge.blocked_until]
    return replace(
        attempt, lease_until=lease_until, charges=charges, failure_wait=max(waits, default=0)
    )


async def _refusals(repos: LoginRepos, attempt: LoginAttempt, now: Timestamp) -> dict[str, int]:
    """The keys that refuse the attempt, with the seconds each asks it to wait. The first
    refusal of each block is an audit event; later ones are not, so a burst writes one
    row per key and block."""
    waits = {}
    for key in (*(key for key, _ in attempt.keys), attempt.lease_key):
        until = await repos.throttles.blocked_until(key)
        if until <= now:
            continue
        if await repos.throttles.mark_refused(key, until):
            await _audit(repos, Event.LOGIN_THROTTLED, attempt, now, key=key.split(":", 1)[0])
        waits[key] = LEASE_RETRY_AFTER if key == attempt.lease_key else until - now
    return waits


async def _charge(repos: LoginRepos, attempt: LoginAttempt, now: Timestamp) -> tuple[Charge, ...]:
    """Count the attempt as a failure on every key, with the blocks that sets.

    Keys are counted in the same order by every attempt, so that concurrent ones on
    PostgreSQL wait for each other's rows without deadlocking.
    """
    charges = []
    for key, rule in attempt.keys:
        (counted,) = await repos.throttles.count_each([key], now, rule.window)
        delay = rule.delay_after(counted.hits)
        if delay:
            await repos.throttles.block(key, now + delay)
        charges.append(Charge(key, counted.window_started_at, now + delay if delay else 0))
    return tuple(charges)


@dataclass(frozen=True, slots=True)
class VerifiedPassword:
    """The user whose password matched, and a new hash when the stored one uses
    outdated parameters."""

    user: User = field(repr=False)
    new_hash: str | None = field(default=None, repr=False)


def check_password(user: User | None, password: str) -> VerifiedPassword | None:
    """Verify a password in constant work (an unknown user costs a dummy verification);
    None when the account or the password is wrong.

    Argon2 is slow by design: call this outside any transaction and off the event loop.
    """
    if user is None:
        with suppress(PasswordMismatchError):
            verify_password(None, password)
        return None
    try:
        verify_password(user.password_hash, password)
    except PasswordMismatchError:
        return None
    rehash = hash_password(password) if needs_rehash(user.password_hash) else None
    return VerifiedPassword(user, rehash)


async def record_failure(
    repos: LoginRepos, attempt: LoginAttempt, now: Timestamp, *, reason: str | None = None
) -> int:
    """Finish a failed attempt (begin_attempt has counted it); return how many seconds
    the next one must wait (0: none). `reason` is for the audit log, which otherwise
    tells an unknown login from a wrong password."""
    await repos.throttles.release(attempt.lease_key, attempt.lease_until)
    if reason is None:
        reason = "unknown_login" if attempt.user is None else "wrong_password"
    await _audit(repos, Event.LOGIN_FAILED, attempt, now, reason=reason)
    return attempt.failure_wait


async def record_success(
    repos: LoginRepos,
    attempt: LoginAttempt,
    check: VerifiedPassword,
    *,
    now: Timestamp,
    session_lifetime: int,
    replacing: Session | None,
    amr: tuple[AMR, ...] = PASSWORD_ONLY,
) -> tuple[str, Session]:
    """Clear the login name's failures and start a session signed in by the methods
    `amr`; return its cookie and itself.

    The address only gets this attempt's count back: one valid account must not let an
    attacker reset the limit between guesses at others.
    """
    await forgive_attempt(repos, attempt)
    if check.new_hash is not None:
        await repos.users.set_password_hash(check.user.id, check.new_hash)
    cookie, session = await start_session(
        repos.sessions,
        check.user,
        now=now,
        lifetime=session_lifetime,
        replacing=replacing,
        amr=amr,
    )
    await _audit(repos, Event.LOGIN_SUCCEEDED, attempt, now, sid=session.sid)
    return cookie, session


async def forgive_attempt(repos: LoginRepos, attempt: LoginAttempt) -> None:
    """Clear what a right attempt counted, as a success does (`record_success`), and
    release its lease: the source's and login name's counts go, the address gets this
    attempt's count back."""
    for charge in attempt.charges:
        if charge.key == attempt.ip_key:
            await repos.throttles.refund(charge.key, charge.window_started_at, charge.blocked_until)
        else:
            await repos.throttles.reset(charge.key)
    await repos.throttles.release(attempt.lease_key, attempt.lease_until)


def resumed_attempt(user: User, login: str, *, client_ip: str, client_id: str) -> LoginAttempt:
    """An attempt that counts nothing, to finish a sign-in whose every factor was
    already checked (and forgiven) in earlier requests."""
    return LoginAttempt(
        user=user, name=_login_name(login), client_ip=client_ip, client_id=client_id
    )


async def _audit(
    repos: LoginRepos, event: Event, attempt: LoginAttempt, now: Timestamp, **detail: str
) -> None:
    # Never the login string of an unknown account: it is often a password typed into
    # the wrong field.
    await repos.audit.record(
        event,
        now,
        user_id=attempt.user.id if attempt.user else None,
        client_id=attempt.client_id,
        ip=attempt.client_ip,
        detail=detail,
    )
