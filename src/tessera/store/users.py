"""Users: the people who sign in. Usernames and emails are stored lower-case."""

from __future__ import annotations

from collections.abc import Sequence

from tessera.core.models import Timestamp, User
from tessera.store.engine import Connection, Row
from tessera.store.pages import after_created as _after

_COLUMNS = "id, username, email, email_verified, name, password_hash, created_at, disabled_at"


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        email=row["email"],
        email_verified=bool(row["email_verified"]),
        name=row["name"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        disabled_at=row["disabled_at"],
    )


class SQLUserRepo:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, user_id: str) -> User | None:
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM users WHERE id = :id", {"id": user_id}
        )
        return None if row is None else _user(row)

    async def find_by_login(self, login: str) -> User | None:
        row = await self._conn.fetch_one(
            f"SELECT {_COLUMNS} FROM users WHERE username = :login OR email = :login",
            {"login": login.strip().lower()},
        )
        return None if row is None else _user(row)

    async def add(self, user: User) -> None:
        await self._conn.execute(
            f"INSERT INTO users ({_COLUMNS}) VALUES "
            "(:id, :username, :email, :email_verified, :name, :password_hash, :created_at, "
            ":disabled_at)",
            {
                "id": user.id,
                "username": user.username.lower(),
                "email": user.email.lower() if user.email else None,
                "email_verified": user.email_verified,
                "name": user.name,
                "password_hash": user.password_hash,
                "created_at": user.created_at,
                "disabled_at": user.disabled_at,
            },
        )

    async def list(self) -> Sequence[User]:
        rows = await self._conn.fetch_all(f"SELECT {_COLUMNS} FROM users ORDER BY created_at, id")
        return [_user(row) for row in rows]

    async def page(
        self, after: tuple[int, str] | None, limit: int, *, search: str | None = None
    ) -> Sequence[User]:
        where, params = _after(after)
        if search is not None:
            # A prefix compared with substr, not LIKE: the search text holds no pattern.
            matches = (
                "(substr(username, 1, :length) = :search OR substr(email, 1, :length) = :search)"
            )
            where = f"{where} AND {matches}" if where else f"WHERE {matches}"
            params.update(search=search.lower(), length=len(search))
        rows = await self._conn.fetch_all(
            f"SELECT {_COLUMNS} FROM users {where} ORDER BY created_at, id LIMIT :limit",
            {**params, "limit": limit},
        )
        return [_user(row) for row in rows]

    async def set_password_hash(self, user_id: str, password_hash: str) -> None:
        await self._conn.execute(
            "UPDATE users SET password_hash = :password_hash WHERE id = :id",
            {"id": user_id, "password_hash": password_hash},
        )

    async def update_profile(self, user: User) -> bool:
        count = await self._conn.execute(
            "UPDATE users SET email = :email, email_verified = :email_verified, name = :name "
            "WHERE id = :id",
            {
                "id": user.id,
                "email": user.email.lower() if user.email else None,
                "email_verified": user.email_verified,
                "name": user.name,
            },
        )
        return count > 0

    async def set_disabled(self, user_id: str, disabled_at: Timestamp | None) -> bool:
        count = await self._conn.execute(
            "UPDATE users SET disabled_at = :disabled_at WHERE id = :id",
            {"id": user_id, "disabled_at": disabled_at},
        )
        return count > 0

    async def delete(self, user_id: str) -> bool:
        count = await self._conn.execute("DELETE FROM users WHERE id = :id", {"id": user_id})
        return count > 0
