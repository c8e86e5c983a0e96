"""The admin API's users: list, show and create (`id` is the `sub` of their tokens)."""

from __future__ import annotations

from typing import Any, Protocol

from tessera.core.admin.errors import NotFoundError
from tessera.core.admin.fields import Field, Kind, parse_fields
from tessera.core.admin.pages import Page, PageRequest, build_page, created_key
from tessera.core.audit_events import Event
from tessera.core.models import Timestamp, User
from tessera.core.ports import AuditRepo, Transactions, UserRepo
from tessera.core.registration import build_user

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


async def list_users(store: Transactions[UserAdminRepos], request: PageRequest) -> Page[User]:
    """One page of users, oldest first.

    Raises:
        InvalidQueryError: the cursor is of another list.
    """
    after = created_key(request)
    async with store.read_transaction() as tx:
        rows = await tx.users.page(after, request.limit + 1)
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
