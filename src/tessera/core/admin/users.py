"""The admin API's users: list, show and create (`id` is the `sub` of their tokens);
the day-2 operations are core.accounts', run here in one transaction each with the
version check and a 404 for an unknown user."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any, Protocol, TypeVar

from tessera.core import accounts
from tessera.core.accounts import AccountRepos, ProfileChange
from tessera.core.admin.errors import InvalidQueryError, NotFoundError
from tessera.core.admin.fields import Field, Kind, parse_fields
from tessera.core.admin.pages import Page, PageRequest, build_page, created_key
from tessera.core.admin.versions import verify_version
from tessera.core.audit_events import Event
from tessera.core.models import Consent, Session, Timestamp, User
from tessera.core.ports import AuditRepo, Transactions, UserRepo
from tessera.core.registration import build_user

T = TypeVar("T")
MAX_SEARCH_LENGTH = 320
CREATE_FIELDS = {
    "username": Field(Kind.STRING, required=True),
    "password": Field(Kind.STRING, required=True),
    "email": Field(Kind.STRING, nullable=True),
    "email_verified": Field(Kind.BOOLEAN),
    "name": Field(Kind.STRING, nullable=True),
}


class UserAdminRepos(Protocol):
    @property
    def users(self) -> UserRepo: ...
    @property
    def audit(self) -> AuditRepo: ...


async def list_users(
    store: Transactions[UserAdminRepos], request: PageRequest, *, search: str | None = None
) -> Page[User]:
    """One page of users, oldest first; with `search`, those whose username or email
    starts with it (a cursor holds for the same search only).

    Raises:
        InvalidQueryError: the cursor is of another list, or the search is empty or
            longer than MAX_SEARCH_LENGTH.
    """
    after = created_key(request)
    if search is not None and not 1 <= len(search) <= MAX_SEARCH_LENGTH:
        raise InvalidQueryError(f"search must be 1 to {MAX_SEARCH_LENGTH} characters")
    async with store.read_transaction() as tx:
        rows = await tx.users.page(after, request.limit + 1, search=search)
    return build_page(rows, request, lambda user: (user.created_at, user.id))


async def show_user(store: Transactions[UserAdminRepos], user_id: str) -> User:
    """Raises NotFoundError: no such user."""
    async with store.read_transaction() as tx:
        user = await tx.users.get(user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id!r}")
    return user


def parse_new_user(body: Any, *, now: Timestamp) -> User:
    """The user a create request describes, its password hashed (argon2id: call it off
    the event loop).

    Raises:
        InvalidFieldsError: unknown fields, wrong types, a missing username or password.
        RegistrationError: what build_user refuses.
    """
    fields = parse_fields(body, CREATE_FIELDS)
    return build_user(
        username=fields["username"],
        password=fields["password"],
        now=now,
        email=fields.get("email"),
        name=fields.get("name"),
        email_verified=fields.get("email_verified", False),
    )


async def create_user(
    store: Transactions[UserAdminRepos], user: User, *, actor: str, now: Timestamp
) -> User:
    """Store a user `parse_new_user` built, and audit it.

    Raises:
        DuplicateError: the username or email is taken (the store's error).
    """
    async with store.transaction() as tx:
        await tx.users.add(user)
        await tx.audit.record(Event.USER_CREATED, now, user_id=user.id, detail={"actor": actor})
    return user


PROFILE_FIELDS = {
    "email": Field(Kind.STRING, nullable=True),
    "email_verified": Field(Kind.BOOLEAN),
    "name": Field(Kind.STRING, nullable=True),
}
PASSWORD_FIELDS = {"password": Field(Kind.STRING, required=True)}


async def _existing(repos: AccountRepos, user_id: str) -> User:
    try:
        return await accounts.get_user(repos, user_id)
    except accounts.UnknownUserError:
        raise NotFoundError(f"no user {user_id!r}") from None


def parse_profile_change(body: Any) -> ProfileChange:
    """A PATCH of a user: `email` (null removes it), `email_verified`, `name` (null or
    empty removes it); what is not given stays.

    Raises:
        InvalidFieldsError: unknown fields or wrong types.
    """
    fields = parse_fields(body, PROFILE_FIELDS)
    return ProfileChange(
        email=fields.get("email"),
        clear_email="email" in fields and fields["email"] is None,
        email_verified=fields.get("email_verified"),
        name="" if "name" in fields and fields["name"] is None else fields.get("name"),
    )


async def change_user(
    store: Transactions[AccountRepos],
    user_id: str,
    change: ProfileChange,
    *,
    if_match: Collection[str] | None,
    actor: str,
    now: Timestamp,
) -> User:
    """Apply a profile change (core.accounts.update_profile) to the version read.

    Raises:
        NotFoundError: no such user.
        StaleVersionError: the user is not at a version `if_match` names.
        RegistrationError: a malformed email.
        DuplicateError: the email is another user's (the store's error).
    """
    async with store.transaction() as tx:
        verify_version(await _existing(tx, user_id), if_match)
        return await accounts.update_profile(tx, user_id, change, actor=actor, now=now)


def parse_password(body: Any) -> str:
    """Raises InvalidFieldsError: no `password` string, or other fields."""
    password: str = parse_fields(body, PASSWORD_FIELDS)["password"]
    return password


async def operate(
    store: Transactions[AccountRepos],
    user_id: str,
    use_case: Callable[..., Awaitable[T]],
    *args: object,
    if_match: Collection[str] | None = None,
    actor: str,
    now: Timestamp,
) -> T:
    """Run a core.accounts use case on the user (with `args` after the id) in one
    transaction, if the user is at a version `if_match` names.

    Raises:
        NotFoundError: no such user.
        StaleVersionError: the user is not at a version `if_match` names.
        RegistrationError: what the use case refuses (a password too short).
    """
    async with store.transaction() as tx:
        verify_version(await _existing(tx, user_id), if_match)
        return await use_case(tx, user_id, *args, actor=actor, now=now)


async def list_user_consents(store: Transactions[AccountRepos], user_id: str) -> Sequence[Consent]:
    """Raises NotFoundError: no such user."""
    async with store.read_transaction() as tx:
        await _existing(tx, user_id)
        return await accounts.list_consents(tx, user_id)


async def list_user_sessions(
    store: Transactions[AccountRepos], user_id: str, now: Timestamp
) -> Sequence[Session]:
    """Raises NotFoundError: no such user."""
    async with store.read_transaction() as tx:
        await _existing(tx, user_id)
        return await accounts.list_sessions(tx, user_id, now)
