"""Schema migrations with Alembic: upgrade, and check that a database is up to date.

Alembic runs through a synchronous SQLAlchemy engine (the stdlib `sqlite3`, or
asyncpg through SQLAlchemy's async bridge for PostgreSQL); migrations are rare, so the
cost that keeps SQLAlchemy off the hot path does not matter here. The async bridge
(and the greenlet it runs on) is imported only when a PostgreSQL schema is migrated:
the CLI and the embedded database never load it.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from tessera.store.engine import Database, sqlite_path
from tessera.store.errors import SchemaOutOfDateError, StoreUnavailableError
from tessera.store.files import create_private_database_file

_MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


@functools.cache
def head_revision() -> str:
    """The newest migration this version of tessera ships (read once: the readiness
    probe compares with it on every call)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # The package always ships at least the initial migration.
    return head


def _upgrade(connection: Connection, target: str) -> None:
    config = _config()
    config.attributes["connection"] = connection
    command.upgrade(config, target)


def _downgrade(connection: Connection, target: str) -> None:
    config = _config()
    config.attributes["connection"] = connection
    command.downgrade(config, target)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _sqlalchemy_url(url: str) -> str:
    if url.startswith("sqlite:"):
        path = sqlite_path(url)
        create_private_database_file(path)
        return f"sqlite:///{path}"
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


def _run(url: str, action: str, target: str = "head") -> str | None:
    """Run one Alembic action on a fresh connection and return the revision after it."""

    def work(connection: Connection) -> str | None:
        if action == "upgrade":
            _upgrade(connection, target)
        elif action == "downgrade":
            _downgrade(connection, target)
        return _current(connection)

    try:
        sa_url = _sqlalchemy_url(url)
        if sa_url.startswith("sqlite"):
            engine = create_engine(sa_url, poolclass=NullPool)
            with engine.begin() as connection:
                return work(connection)

        from sqlalchemy.ext.asyncio import create_async_engine

        async def run_async() -> str | None:
            async_engine = create_async_engine(sa_url, poolclass=NullPool)
            try:
                async with async_engine.begin() as connection:
                    return await connection.run_sync(work)
            finally:
                await async_engine.dispose()

        return asyncio.run(run_async())
    except (DBAPIError, OSError) as exc:
        # The driver's own message, without SQLAlchemy's "(dialect.Error)" prefix.
        cause = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise StoreUnavailableError(f"cannot reach the database: {cause}".splitlines()[0]) from None


def upgrade(url: str, target: str = "head") -> str | None:
    """Apply pending migrations; return the revision now current."""
    return _run(url, "upgrade", target)


def downgrade(url: str, target: str) -> str | None:
    """Roll the schema back to `target` (tests and emergencies)."""
    return _run(url, "downgrade", target)


def current_revision(url: str) -> str | None:
    """The database's schema revision, or None for an empty database."""
    return _run(url, "current")


async def verify_schema(database: Database) -> None:
    """Raises SchemaOutOfDateError unless the database is at this version's head."""
    current = await database.schema_revision()
    head = head_revision()
    if current != head:
        raise SchemaOutOfDateError(
            f"database schema is at {current or 'nothing'}, tessera needs {head}: "
            "run `tessera db upgrade`"
        )
