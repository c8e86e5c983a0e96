"""Migrations are real: empty -> head matches tables.py, and they roll back cleanly."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from tessera.core.keyring import new_stored_key
from tessera.core.models import AuthMethod, Client, RefreshToken, StoredKey
from tessera.crypto.keys import Algorithm
from tessera.settings import load_settings
from tessera.store import Store, migrate
from tessera.store.errors import SchemaOutOfDateError, StoreUnavailableError
from tessera.store.tables import metadata
from tessera.web.app import open_store
from tests.conftest import TEST_SECRET_KEY
from tests.support.grants import USER, RegisteredClient, add_api, add_grant
from tests.support.postgres import PostgresCluster

NOW = 1_800_000_000


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres: PostgresCluster | None
) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    if postgres is None:
        pytest.skip("PostgreSQL is not available")
    name = f"m_{uuid.uuid4().hex[:10]}"
    postgres.psql(f"CREATE DATABASE {name}")
    yield postgres.url(name)


def _sync_url(url: str) -> str:
    return url if url.startswith("sqlite") else "postgresql+asyncpg://" + url.split("://", 1)[1]


def _diff(url: str) -> list[object]:
    if url.startswith("sqlite"):
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), metadata))

    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> list[object]:
        engine = create_async_engine(_sync_url(url), poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda c: list(compare_metadata(MigrationContext.configure(c), metadata))
                )
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    if url.startswith("sqlite"):
        return set(inspect(create_engine(url, poolclass=NullPool)).get_table_names())

    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> set[str]:
        engine = create_async_engine(_sync_url(url), poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_upgrade_from_empty_matches_the_metadata_and_downgrades(empty_url: str) -> None:
    assert migrate.current_revision(empty_url) is None
    assert migrate.upgrade(empty_url) == migrate.head_revision()
    assert _diff(empty_url) == []
    assert migrate.upgrade(empty_url) == migrate.head_revision()  # Idempotent.
    assert migrate.downgrade(empty_url, "base") is None
    assert _tables(empty_url) <= {"alembic_version"}


async def test_out_of_date_postgresql_schema_is_refused_with_a_clear_message(
    postgres: PostgresCluster | None, tmp_path: Path
) -> None:
    if postgres is None:
        pytest.skip("PostgreSQL is not available")
    name = f"m_{uuid.uuid4().hex[:10]}"
    postgres.psql(f"CREATE DATABASE {name}")
    empty_url = postgres.url(name)
    settings = load_settings(data_dir=tmp_path, database_url=empty_url, secret_key=TEST_SECRET_KEY)
    with pytest.raises(SchemaOutOfDateError, match="run `tessera db upgrade`"):
        await open_store(settings)


async def test_embedded_database_is_migrated_on_open(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, secret_key=TEST_SECRET_KEY)
    store = await open_store(settings)
    try:
        assert await store.database.schema_revision() == migrate.head_revision()
    finally:
        await store.close()


def test_unreachable_database_is_one_clear_error() -> None:
    with pytest.raises(StoreUnavailableError, match="cannot reach the database"):
        migrate.upgrade("postgresql://nobody@127.0.0.1:1/none")


def test_0002_keeps_every_refresh_token_both_ways(empty_url: str) -> None:
    """0002 rebuilds refresh_tokens on SQLite: no row may be lost either way."""
    assert migrate.upgrade(empty_url, "0001") == "0001"
    token = asyncio.run(_add_refresh_token(empty_url))
    assert migrate.upgrade(empty_url) == migrate.head_revision()
    assert asyncio.run(_refresh_token(empty_url, token.token_hash)) == token
    assert _refresh_tokens_without_rowid(empty_url) in (True, None)
    assert migrate.downgrade(empty_url, "0001") == "0001"
    assert asyncio.run(_refresh_token(empty_url, token.token_hash)) == token
    assert _refresh_tokens_without_rowid(empty_url) in (False, None)


def test_0004_keeps_machine_access_and_gives_no_other_access(empty_url: str) -> None:
    """Every client_credentials client is granted every API of the time; nobody else,
    and nobody becomes a resource server or loses its one auth method. Downgrading
    keeps the clients and their grants."""
    assert migrate.upgrade(empty_url, "0003") == "0003"
    asyncio.run(_add_old_catalog(empty_url))
    assert migrate.upgrade(empty_url) == migrate.head_revision()
    machine, web = asyncio.run(_clients(empty_url))
    assert machine.apis == {"https://a.test", "https://b.test"} and web.apis == frozenset()
    assert machine.resource_server_for == web.resource_server_for == frozenset()
    assert machine.auth_methods == web.auth_methods == (AuthMethod.CLIENT_SECRET_BASIC,)
    assert migrate.downgrade(empty_url, "0003") == "0003"
    assert "client_api_access" not in _tables(empty_url)
    assert asyncio.run(_count(empty_url, "clients")) == 2
    assert asyncio.run(_count(empty_url, "grants")) == 1


async def _add_old_catalog(url: str) -> None:
    store = await Store.open(url, min_size=1, max_size=1)
    try:
        for identifier in ("https://a.test", "https://b.test"):
            await add_api(store, identifier)
        await _add_client_row(store, "machine", "client_credentials")
        await _add_user_row(store)
        await add_grant(store, await _add_client_row(store, "web"), now=NOW)
    finally:
        await store.close()


async def _clients(url: str) -> list[Client]:
    store = await Store.open(url, min_size=1, max_size=1)
    try:
        async with store.read_transaction() as tx:
            return list(await tx.clients.list())
    finally:
        await store.close()


async def _count(url: str, table: str) -> int:
    store = await Store.open(url, min_size=1, max_size=1)
    try:
        async with store.read_transaction() as tx:
            row = await tx.conn.fetch_one(f"SELECT count(*) AS n FROM {table}")
            assert row is not None
            return int(row["n"])
    finally:
        await store.close()


def _refresh_tokens_without_rowid(url: str) -> bool | None:
    """Whether SQLite stores refresh_tokens WITHOUT ROWID; None on PostgreSQL."""
    if not url.startswith("sqlite"):
        return None
    with create_engine(url, poolclass=NullPool).connect() as connection:
        sql = connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'refresh_tokens'"
        ).scalar_one()
    return "WITHOUT ROWID" in sql


async def _add_user_row(store: Store) -> None:
    """USER as schemas before 0008 hold it (today's repository writes more columns)."""
    async with store.transaction() as tx:
        await tx.conn.execute(
            "INSERT INTO users (id, username, email, email_verified, name, password_hash, "
            "created_at) VALUES (:id, :username, :email, :email_verified, :name, "
            ":password_hash, :created_at)",
            {
                "id": USER.id,
                "username": USER.username,
                "email": USER.email,
                "email_verified": USER.email_verified,
                "name": USER.name,
                "password_hash": USER.password_hash,
                "created_at": USER.created_at,
            },
        )


async def _add_client_row(
    store: Store, client_id: str, grant_types: str = "authorization_code refresh_token"
) -> RegisteredClient:
    """A client as schemas before 0004 hold it (today's repository writes more columns)."""
    async with store.transaction() as tx:
        await tx.conn.execute(
            "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, "
            "post_logout_redirect_uris, grant_types, auth_method, first_party, "
            "allowed_scopes, id_token_alg, refresh_grace_seconds, created_at) VALUES "
            "(:client_id, 'Old', NULL, '[]', '[]', :grant_types, 'client_secret_basic', "
            ":first_party, NULL, 'RS256', 0, :now)",
            {"client_id": client_id, "grant_types": grant_types, "first_party": False, "now": NOW},
        )
    return RegisteredClient(Client(client_id=client_id, name="Old", redirect_uris=()))


async def _add_refresh_token(url: str) -> RefreshToken:
    store = await Store.open(url, min_size=1, max_size=1)
    try:
        await _add_user_row(store)
        issued = await add_grant(store, await _add_client_row(store, "old-app"), now=NOW)
        token = RefreshToken(
            token_hash=b"r" * 32,
            grant_id=issued.grant.id,
            scope=frozenset({"offline_access"}),
            created_at=NOW,
            expires_at=NOW + 100,
        )
        async with store.transaction() as tx:
            await tx.refresh_tokens.add(token)
        return token
    finally:
        await store.close()


async def _refresh_token(url: str, token_hash: bytes) -> RefreshToken | None:
    store = await Store.open(url, min_size=1, max_size=1)
    try:
        async with store.read_transaction() as tx:
            return await tx.refresh_tokens.get(token_hash)
    finally:
        await store.close()


def test_0005_keeps_every_key_and_a_downgrade_drops_only_next_keys(empty_url: str) -> None:
    """0005 adds the next state: older code cannot read a next key, which never signed."""
    assert migrate.upgrade(empty_url, "0004") == "0004"
    current = new_stored_key(Algorithm.RS256, "s", NOW)
    asyncio.run(
        _execute(
            empty_url,
            "INSERT INTO signing_keys (kid, alg, sealed_private_key, public_jwk, state, "
            "created_at) VALUES (:kid, 'RS256', :sealed, '{}', 'current', :now)",
            {"kid": current.kid, "sealed": current.sealed_private_key, "now": NOW},
        )
    )
    assert migrate.upgrade(empty_url) == migrate.head_revision()
    upcoming = new_stored_key(Algorithm.RS256, "s", NOW, activates_at=NOW + 10)
    assert asyncio.run(_add_key(empty_url, upcoming))
    assert migrate.downgrade(empty_url, "0004") == "0004"
    rows = asyncio.run(_execute(empty_url, "SELECT kid, state FROM signing_keys"))
    assert [(row["kid"], row["state"]) for row in rows] == [(current.kid, "current")]


async def _add_key(url: str, key: StoredKey) -> bool:
    store = await Store.open(url, min_size=1, max_size=1)
    try:
        async with store.transaction() as tx:
            return await tx.keys.add(key)
    finally:
        await store.close()


async def _execute(url: str, sql: str, params: dict[str, object] | None = None) -> list[Any]:
    store = await Store.open(url, min_size=1, max_size=1)
    try:
        async with store.transaction() as tx:
            return list(await tx.conn.fetch_all(sql, params))
    finally:
        await store.close()


def test_0007_lets_existing_clients_keep_their_redirect_uris_origins(empty_url: str) -> None:
    """A client of before 0007 has no registered web origins: the origins of its
    redirect URIs are written for the preflight lookup, once each."""
    assert migrate.upgrade(empty_url, "0006") == "0006"
    uris = '["https://app.test/cb", "https://app.test/other", "com.example.app:/cb"]'
    asyncio.run(
        _execute(
            empty_url,
            "INSERT INTO clients (client_id, name, secret_hash, redirect_uris, "
            "post_logout_redirect_uris, grant_types, auth_method, first_party, "
            "allowed_scopes, id_token_alg, refresh_grace_seconds, created_at) VALUES "
            "('old', 'Old', NULL, :uris, '[]', 'authorization_code', 'none', :no, NULL, "
            "'RS256', 0, :now)",
            {"uris": uris, "no": False, "now": NOW},
        )
    )
    assert migrate.upgrade(empty_url) == migrate.head_revision()
    rows = asyncio.run(_execute(empty_url, "SELECT origin, client_id FROM client_web_origins"))
    assert [(row["origin"], row["client_id"]) for row in rows] == [("https://app.test", "old")]
    (old,) = asyncio.run(_clients(empty_url))
    assert old.web_origins is None and old.refresh_sliding_lifetime is None
    assert migrate.downgrade(empty_url, "0006") == "0006"
    assert "client_web_origins" not in _tables(empty_url)
