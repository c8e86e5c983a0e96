"""Second factors: enrol a TOTP factor, list and reset a user's factors, and check a
code at sign-in (a TOTP code or a recovery code).

A TOTP code is accepted within one step either side of now (RFC 6238 5.2) and once
only: the factor keeps the last step used and `FactorRepo.use_step` moves it forward in
one conditional UPDATE, so a replayed code, or the same code in two parallel requests,
is refused. A recovery code is spent the same way. Each use case runs in the caller's
transaction and writes its audit event; the operator's name their `actor`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from tessera.core.accounts import get_user
from tessera.core.audit_events import Event
from tessera.core.models import AMR, TWO_FACTORS, Factor, FactorKind, Timestamp, User
from tessera.core.ports import AuditRepo, FactorRepo, UserRepo
from tessera.crypto import otp
from tessera.crypto.tokens import digest, new_id

RECOVERY_CODES = 10
TOTP_NAME = "authenticator app"


class MFAMode(StrEnum):
    """When a sign-in asks for a second factor (`TESSERA_MFA`): never; when the user has
    one; or always, a user without one enrolling first."""

    OFF = "off"
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True, slots=True, kw_only=True)
class MFAPolicy:
    """The sign-in's second-factor rule, and the key its TOTP secrets are sealed under."""

    mode: MFAMode
    secret_key: str = field(repr=False)


class MFARepos(Protocol):
    """What enrolling and checking second factors touches."""

    @property
    def users(self) -> UserRepo: ...
    @property
    def factors(self) -> FactorRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


@dataclass(frozen=True, slots=True)
class TOTPEnrolment:
    """A new TOTP factor and what an authenticator app needs: shown once, never stored
    in the clear."""

    factor: Factor
    secret: str
    otpauth_uri: str


@dataclass(frozen=True, slots=True)
class MFAStatus:
    """A user's second factors and how many unused recovery codes they have left."""

    factors: Sequence[Factor]
    recovery_codes_left: int


def issuer_label(issuer: str) -> str:
    """The name authenticator apps list a tessera account under: the issuer's host."""
    return urlsplit(issuer).hostname or issuer


def build_totp_factor(
    user: User,
    secret: str,
    *,
    secret_key: str,
    issuer: str,
    now: Timestamp,
    confirmed: bool = True,
) -> TOTPEnrolment:
    """A TOTP factor for the user holding `secret` (sealed), with its URI; confirmed
    now, or (`confirmed` False) an enrolment awaiting its first code."""
    factor_id = new_id()
    factor = Factor(
        id=factor_id,
        user_id=user.id,
        kind=FactorKind.TOTP,
        secret=otp.seal_totp_secret(secret, factor_id, secret_key),
        name=TOTP_NAME,
        created_at=now,
        confirmed_at=now if confirmed else None,
    )
    uri = otp.otpauth_uri(secret, user.username, issuer_label(issuer))
    return TOTPEnrolment(factor=factor, secret=secret, otpauth_uri=uri)


async def add_totp(
    repos: MFARepos,
    user_id: str,
    secret: str | None,
    *,
    secret_key: str,
    issuer: str,
    actor: str,
    now: Timestamp,
) -> TOTPEnrolment:
    """Give the user a TOTP factor, active at once (operator-assisted enrolment, for a
    migration from another system or for support): the imported `secret`, or a new one.

    Raises:
        UnknownUserError: no such user.
        TOTPSecretError (crypto.otp): the secret is not base32 or too short.
    """
    user = await get_user(repos, user_id)
    chosen = otp.new_totp_secret() if secret is None else otp.parse_totp_secret(secret)
    enrolment = build_totp_factor(user, chosen, secret_key=secret_key, issuer=issuer, now=now)
    await repos.factors.add(enrolment.factor)
    await _audit(repos, Event.MFA_ENROLLED, enrolment.factor, now, actor=actor)
    return enrolment


async def mfa_status(repos: MFARepos, user_id: str) -> MFAStatus:
    """The user's factors and unused recovery codes.

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    return MFAStatus(
        factors=await repos.factors.list_for_user(user.id),
        recovery_codes_left=await repos.factors.count_recovery_codes(user.id),
    )


async def reset_factors(repos: MFARepos, user_id: str, *, actor: str, now: Timestamp) -> int:
    """Remove every factor and recovery code of the user (a lost phone); how many factors.

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    removed = await repos.factors.delete_for_user(user.id)
    await repos.audit.record(
        Event.MFA_RESET, now, user_id=user.id, detail={"actor": actor, "factors": str(removed)}
    )
    return removed


async def issue_recovery_codes(repos: MFARepos, user: User, now: Timestamp) -> list[str]:
    """Ten new recovery codes for the user, replacing any they had: the codes are
    returned to be shown once, and only their digests are stored."""
    codes = [otp.new_recovery_code() for _ in range(RECOVERY_CODES)]
    await repos.factors.replace_recovery_codes(user.id, [digest(c) for c in codes], now)
    return codes


async def start_enrolment(
    repos: MFARepos, user: User, *, secret_key: str, issuer: str, now: Timestamp
) -> TOTPEnrolment:
    """A new TOTP enrolment for the user, to be confirmed with its first code; any
    enrolment they left unconfirmed before is dropped."""
    await repos.factors.delete_unconfirmed(user.id)
    enrolment = build_totp_factor(
        user, otp.new_totp_secret(), secret_key=secret_key, issuer=issuer, now=now, confirmed=False
    )
    await repos.factors.add(enrolment.factor)
    return enrolment


async def find_enrolment(
    repos: MFARepos, user: User, factor_id: str, *, secret_key: str, issuer: str
) -> TOTPEnrolment | None:
    """The user's unconfirmed enrolment `factor_id` with its secret (to show it again),
    or None if it is gone or was confirmed."""
    for factor in await repos.factors.list_for_user(user.id):
        if factor.id == factor_id and not factor.is_confirmed:
            secret = otp.open_totp_secret(factor.secret, factor.id, secret_key)
            uri = otp.otpauth_uri(secret, user.username, issuer_label(issuer))
            return TOTPEnrolment(factor=factor, secret=secret, otpauth_uri=uri)
    return None


async def confirm_enrolment(
    repos: MFARepos,
    user: User,
    enrolment: TOTPEnrolment,
    code: str,
    *,
    now: Timestamp,
    ip: str | None = None,
) -> list[str] | None:
    """Confirm the enrolment with its first code (which is then spent) and issue the
    user's recovery codes, returned to be shown once; None for a wrong code, or an
    enrolment another request confirmed first. Audited either way."""
    step = otp.matching_step(enrolment.secret, code, now)
    if step is None or not await repos.factors.confirm(enrolment.factor.id, step, now):
        await repos.audit.record(Event.MFA_FAILED, now, user_id=user.id, ip=ip)
        return None
    await _audit(repos, Event.MFA_ENROLLED, enrolment.factor, now, ip=ip, actor="self")
    return await issue_recovery_codes(repos, user, now)


def confirmed_factors(factors: Sequence[Factor]) -> list[Factor]:
    """The factors a sign-in asks for (an unconfirmed enrolment is not one)."""
    return [factor for factor in factors if factor.is_confirmed]


async def check_second_factor(
    repos: MFARepos,
    user: User,
    code: str,
    *,
    secret_key: str,
    now: Timestamp,
    ip: str | None = None,
) -> tuple[AMR, ...] | None:
    """The methods a right code proves (a TOTP code or a recovery code, after the
    password), spending it; None for a wrong, replayed or spent code. Either way the
    attempt is audited; counting it against the sign-in throttle is the caller's.
    """
    for factor in confirmed_factors(await repos.factors.list_for_user(user.id)):
        secret = otp.open_totp_secret(factor.secret, factor.id, secret_key)
        step = otp.matching_step(secret, code, now)
        if step is not None and await repos.factors.use_step(factor.id, step):
            await _audit(repos, Event.MFA_SUCCEEDED, factor, now, ip=ip, method="totp")
            return TWO_FACTORS
    recovery = digest(otp.normalise_recovery_code(code))
    if await repos.factors.use_recovery_code(user.id, recovery, now):
        await repos.audit.record(
            Event.MFA_SUCCEEDED, now, user_id=user.id, ip=ip, detail={"method": "recovery_code"}
        )
        return TWO_FACTORS
    await repos.audit.record(Event.MFA_FAILED, now, user_id=user.id, ip=ip)
    return None


async def _audit(
    repos: MFARepos,
    event: Event,
    factor: Factor,
    now: Timestamp,
    *,
    ip: str | None = None,
    **detail: str,
) -> None:
    await repos.audit.record(
        event,
        now,
        user_id=factor.user_id,
        ip=ip,
        detail={"factor": factor.id, "kind": factor.kind.value, **detail},
    )
