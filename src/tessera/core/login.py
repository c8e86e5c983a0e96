"""Signing in with a password, throttled per account and per client IP.

An attempt has three steps so that argon2's ~150 ms of CPU holds neither a database
transaction nor the SQLite lock: `begin_attempt` (look the account up, refuse if
throttled), `check_password` (outside any transaction, off the event loop), then
`record_failure` or `record_success`. Every attempt is an audit event.

Failures are counted in the database, so the limits hold across workers and nodes
(OWASP ASVS 2.2.1). After a few free failures each further one blocks the key for a
delay that doubles, and enough of them lock it for a while. A blocked attempt is refused
before any password is checked. Unknown logins get an account counter of their own, so
every answer is the same whether or not the account exists.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field, replace

from tessera.core.models import Session, Timestamp, User
from tessera.core.ports import Repos
from tessera.core.sessions import start_session
from tessera.crypto.passwords import (
    PasswordMismatchError,
    hash_password,
    needs_rehash,
    verify_password,
)
from tessera.crypto.tokens import digest


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottleRule:
    """Failures counted over `window` seconds: `free` cost nothing, then each blocks the
    key for a doubling delay (at most `max_delay`), and the `lock_after`-th locks it."""

    window: int
    free: int
    lock_after: int
    lock_for: int
    max_delay: int = 60

    def delay_after(self, failures: int) -> int:
        """Seconds the key is blocked after its `failures`-th failure."""
        if failures >= self.lock_after:
            return self.lock_for
        if failures <= self.free:
            return 0
        return min(1 << (failures - self.free), self.max_delay)


# One account: 3 free tries, then 2, 4, ... 60 s, and a 15-minute lock at the 10th.
ACCOUNT_RULE = ThrottleRule(window=3600, free=3, lock_after=10, lock_for=900)
# One address may be a whole office behind NAT: the limits are wider.
CLIENT_IP_RULE = ThrottleRule(window=3600, free=20, lock_after=100, lock_for=900)


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginAttempt:
    """One try at signing in; `retry_after` > 0 means it is refused unchecked."""

    user: User | None = field(repr=False)
    account_key: str
    ip_key: str
    client_ip: str
    client_id: str
    retry_after: int = 0

    @property
    def keys(self) -> tuple[tuple[str, ThrottleRule], ...]:
        return ((self.account_key, ACCOUNT_RULE), (self.ip_key, CLIENT_IP_RULE))


def _unknown_account_key(login: str) -> str:
    """A digest, not the text: what someone typed as a login may be their password."""
    return "login-name:" + digest(login.strip().lower()).hex()[:32]


async def begin_attempt(
    repos: Repos, login: str, *, client_ip: str, client_id: str, now: Timestamp
) -> LoginAttempt:
    """Find the account and check the throttle (a refused attempt is audited here)."""
    user = await repos.users.find_by_login(login) if login else None
    attempt = LoginAttempt(
        user=user,
        account_key=f"login-user:{user.id}" if user else _unknown_account_key(login),
        ip_key=f"login-ip:{client_ip}",
        client_ip=client_ip,
        client_id=client_id,
    )
    until = max([await repos.throttles.blocked_until(key) for key, _ in attempt.keys])
    if until <= now:
        return attempt
    await _audit(repos, "login.throttled", attempt, now)
    return replace(attempt, retry_after=until - now)


@dataclass(frozen=True, slots=True)
class VerifiedPassword:
    """The user whose password matched, and a new hash when the stored one uses
    outdated parameters."""

    user: User = field(repr=False)
    new_hash: str | None = field(default=None, repr=False)


def check_password(user: User | None, password: str) -> VerifiedPassword | None:
    """Verify a password in constant work (an unknown user costs a dummy verification);
    None when the account or the password is wrong.

    Argon2 costs ~150 ms of CPU by design: call this outside any transaction and off
    the event loop.
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


async def record_failure(repos: Repos, attempt: LoginAttempt, now: Timestamp) -> int:
    """Count a failed attempt; return how many seconds the next one must wait (0: none)."""
    wait = 0
    for key, rule in attempt.keys:
        delay = rule.delay_after(await repos.throttles.count(key, now, rule.window))
        if delay:
            await repos.throttles.block(key, now + delay)
            wait = max(wait, delay)
    reason = "unknown_login" if attempt.user is None else "wrong_password"
    await _audit(repos, "login.failed", attempt, now, reason=reason)
    return wait


async def record_success(
    repos: Repos,
    attempt: LoginAttempt,
    check: VerifiedPassword,
    *,
    now: Timestamp,
    session_lifetime: int,
    replacing: Session | None,
) -> tuple[str, Session]:
    """Clear the account's failures and start a session; return its cookie and itself.

    The address keeps its count: one valid account must not let an attacker reset the
    limit between guesses at others.
    """
    await repos.throttles.reset(attempt.account_key)
    if check.new_hash is not None:
        await repos.users.set_password_hash(check.user.id, check.new_hash)
    cookie, session = await start_session(
        repos.sessions, check.user, now=now, lifetime=session_lifetime, replacing=replacing
    )
    await _audit(repos, "login.succeeded", attempt, now, sid=session.sid)
    return cookie, session


async def _audit(
    repos: Repos, event: str, attempt: LoginAttempt, now: Timestamp, **detail: str
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
