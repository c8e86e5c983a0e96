"""What an operator does to a person's account after day 1 (the CLI's `users` commands
and the admin API call these): change the profile or the password, disable and enable,
unlock a throttled login, sign out everywhere, delete, and see or revoke consents.

Each use case runs in the caller's transaction, names the `actor` who asked for it in
the audit event it writes (`cli:<os user>`, or `client:<client_id>` for the admin API),
and raises `UnknownUserError` for a user that does not exist. Disabling, signing out
and deleting end the user's sessions and revoke their grants, so their refresh tokens
and the access tokens of those grants stop working at once (core.access_tokens).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from tessera.core.audit_events import Event
from tessera.core.login import forget_failures
from tessera.core.models import Consent, Session, Timestamp, User
from tessera.core.ports import (
    AuditRepo,
    ConsentRepo,
    GrantRepo,
    SessionRepo,
    ThrottleRepo,
    UserRepo,
)
from tessera.core.registration import RegistrationError, hash_new_password, validate_email

PROFILE_FIELDS = ("email", "email_verified", "name")


class UnknownUserError(LookupError):
    """No user has this id; the message names it."""


class HasUsers(Protocol):
    """Whatever can look a user up."""

    @property
    def users(self) -> UserRepo: ...


class AccountRepos(Protocol):
    """What operating on an account touches."""

    @property
    def users(self) -> UserRepo: ...
    @property
    def sessions(self) -> SessionRepo: ...
    @property
    def grants(self) -> GrantRepo: ...
    @property
    def consents(self) -> ConsentRepo: ...
    @property
    def throttles(self) -> ThrottleRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


@dataclass(frozen=True, slots=True)
class SignedOut:
    """How many sessions ended and grants were revoked."""

    sessions: int
    grants: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileChange:
    """The profile fields to change; None leaves a field as it is, and `clear_email`
    removes the address (its `email_verified` goes with it)."""

    email: str | None = None
    clear_email: bool = False
    email_verified: bool | None = None
    name: str | None = None


async def get_user(repos: HasUsers, user_id: str) -> User:
    """The user with this id.

    Raises:
        UnknownUserError: there is none.
    """
    user = await repos.users.get(user_id)
    if user is None:
        raise UnknownUserError(f"no user has the id {user_id!r}")
    return user


async def update_profile(
    repos: AccountRepos, user_id: str, change: ProfileChange, *, actor: str, now: Timestamp
) -> User:
    """The user with the profile changed. A new email is unverified unless the change
    says otherwise.

    Raises:
        UnknownUserError: no such user.
        RegistrationError: a malformed email, or an email both given and cleared.
        DuplicateError (store): the email is another user's.
    """
    user = await get_user(repos, user_id)
    email, verified = user.email, user.email_verified
    if change.clear_email:
        if change.email is not None:
            raise RegistrationError("give an email or clear it, not both")
        email, verified = None, False
    elif change.email is not None:
        new = validate_email(change.email)
        verified = verified and new == email
        email = new
    if change.email_verified is not None:
        verified = change.email_verified and email is not None
    name = user.name if change.name is None else (change.name.strip() or None)
    updated = replace(user, email=email, email_verified=verified, name=name)
    await repos.users.update_profile(updated)
    fields = [f for f in PROFILE_FIELDS if getattr(user, f) != getattr(updated, f)]
    await _audit(repos, Event.USER_UPDATED, user, actor, now, fields=" ".join(fields))
    return updated


async def set_password(
    repos: AccountRepos, user_id: str, password: str, *, actor: str, now: Timestamp
) -> User:
    """Give the user a new password. Their sessions and grants stay: run
    `sign_out_everywhere` as well when the old password may be known to someone else.

    Raises:
        UnknownUserError: no such user.
        RegistrationError: too short or too long.
    """
    user = await get_user(repos, user_id)
    password_hash = hash_new_password(password)
    await repos.users.set_password_hash(user.id, password_hash)
    await _audit(repos, Event.USER_PASSWORD_SET, user, actor, now)
    return replace(user, password_hash=password_hash)


async def disable_user(
    repos: AccountRepos, user_id: str, *, actor: str, now: Timestamp
) -> SignedOut:
    """Disable the account: it can no longer sign in (the login page says so once the
    password is right), and its sessions and grants end now. Disabling a disabled user
    keeps the first time and signs out again.

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    if not user.is_disabled:
        await repos.users.set_disabled(user.id, now)
    ended = await _sign_out(repos, user.id, now)
    await _audit(repos, Event.USER_DISABLED, user, actor, now, **_counts(ended))
    return ended


async def enable_user(repos: AccountRepos, user_id: str, *, actor: str, now: Timestamp) -> User:
    """Let a disabled user sign in again (what disabling revoked stays revoked).

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    await repos.users.set_disabled(user.id, None)
    await _audit(repos, Event.USER_ENABLED, user, actor, now)
    return replace(user, disabled_at=None)


async def unlock_user(repos: AccountRepos, user_id: str, *, actor: str, now: Timestamp) -> int:
    """Clear the sign-in throttle of the user's username and email, from every address
    (core.login.forget_failures); how many throttle keys were cleared.

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    logins = [user.username] + ([user.email] if user.email else [])
    cleared = await forget_failures(repos.throttles, logins)
    await _audit(repos, Event.USER_UNLOCKED, user, actor, now, keys=str(cleared))
    return cleared


async def sign_out_everywhere(
    repos: AccountRepos, user_id: str, *, actor: str, now: Timestamp
) -> SignedOut:
    """End every session of the user and revoke every grant (with its tokens).

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    ended = await _sign_out(repos, user.id, now)
    await _audit(repos, Event.USER_SIGNED_OUT, user, actor, now, **_counts(ended))
    return ended


async def delete_user(repos: AccountRepos, user_id: str, *, actor: str, now: Timestamp) -> None:
    """Delete the user with their sessions, grants, tokens and consents. Their access
    tokens stop at once: the grants they name are gone, and a token of a grant that
    does not exist is dead (core.access_tokens).

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    await repos.users.delete(user.id)
    await _audit(repos, Event.USER_DELETED, user, actor, now, username=user.username)


async def list_sessions(repos: AccountRepos, user_id: str, now: Timestamp) -> Sequence[Session]:
    """Where the user is signed in now (unexpired sessions), newest first.

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    return await repos.sessions.list_for_user(user.id, now)


async def list_consents(repos: AccountRepos, user_id: str) -> Sequence[Consent]:
    """What the user has consented to, per client and audience.

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    return await repos.consents.list_for_user(user.id)


async def revoke_consent(
    repos: AccountRepos, user_id: str, client_id: str, *, actor: str, now: Timestamp
) -> int:
    """Forget what the user consented to for the client and revoke the client's grants
    for them, so that its refresh tokens stop working and the next sign-in asks again;
    how many grants were revoked.

    Raises:
        UnknownUserError: no such user.
    """
    user = await get_user(repos, user_id)
    forgotten = await repos.consents.delete_for_client(user.id, client_id)
    revoked = await repos.grants.revoke_for_user(user.id, now, client_id=client_id)
    await repos.audit.record(
        Event.CONSENT_REVOKED,
        now,
        user_id=user.id,
        client_id=client_id,
        detail={"actor": actor, "consents": str(forgotten), "grants": str(revoked)},
    )
    return revoked


async def _sign_out(repos: AccountRepos, user_id: str, now: Timestamp) -> SignedOut:
    return SignedOut(
        sessions=await repos.sessions.delete_for_user(user_id),
        grants=await repos.grants.revoke_for_user(user_id, now),
    )


def _counts(ended: SignedOut) -> Mapping[str, str]:
    return {"sessions": str(ended.sessions), "grants": str(ended.grants)}


async def _audit(
    repos: AccountRepos, event: Event, user: User, actor: str, now: Timestamp, **detail: str
) -> None:
    await repos.audit.record(event, now, user_id=user.id, detail={"actor": actor, **detail})
