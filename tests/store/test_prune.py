"""`prune` deletes exactly what can no longer change an answer, in bounded batches of
their own transaction each, on both engines."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tessera.core.audit_events import Event
from tessera.core.login import CLIENT_IP_RULE, LOGIN_NAME_RULE, SOURCE_RULE
from tessera.core.models import RefreshToken, Session
from tessera.crypto.tokens import SecretKind, digest, new_secret
from tessera.settings import Settings
from tessera.store import Store
from tessera.store.engine import Connection
from tessera.store.prune import DAY, LONGEST_THROTTLE_WINDOW, MARGIN, PrunePolicy, prune
from tests.support.grants import USER, add_api, add_client, add_grant, add_user
from tests.support.throttles import count_one

NOW = 1_800_000_000
LIFETIME = 3600  # Of access tokens without an API.
API_LIFETIME = 7200  # The longest lifetime configured: an API's.
POLICY = PrunePolicy(audit_retention=0, access_token_lifetime=LIFETIME)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=2)
    yield opened
    await opened.close()


def session(sid: str, expires_at: int) -> Session:
    return Session(
        sid=sid, user_id=USER.id, auth_time=NOW - 10, created_at=NOW - 10, expires_at=expires_at
    )


async def count(store: Store, table: str) -> int:
    async with store.transaction() as tx:
        row = await tx.conn.fetch_one(f"SELECT COUNT(*) AS n FROM {table}")
    assert row is not None
    return int(row["n"])


async def test_expired_rows_go_and_live_ones_stay(store: Store) -> None:
    await add_user(store)
    async with store.transaction() as tx:
        await tx.sessions.add(b"a" * 32, session("gone", NOW))
        await tx.sessions.add(b"b" * 32, session("live", NOW + 1))
        await tx.interactions.add(b"c" * 32, "{}", NOW - 900, NOW)
        await tx.interactions.add(b"d" * 32, "{}", NOW - 900, NOW + 1)
        await tx.revocations.revoke("jti-gone", NOW - MARGIN)
        await tx.revocations.revoke("jti-in-margin", NOW - MARGIN + 1)
        window_over = NOW - LONGEST_THROTTLE_WINDOW
        await count_one(tx, "over", window_over, 60)
        await count_one(tx, "counting", window_over + 1, 60)
        await count_one(tx, "blocked", window_over, 60)
        await tx.throttles.block("blocked", NOW + 1)
    deleted = await prune(store.database, NOW, POLICY)
    assert deleted == {
        "sessions": 1,
        "interactions": 1,
        "revoked_access_tokens": 1,
        "throttles": 1,
        "refresh_tokens": 0,
        "grants": 0,
    }
    async with store.transaction() as tx:
        assert await tx.sessions.get(b"b" * 32, NOW) is not None
        assert await tx.interactions.get(b"d" * 32, NOW) == "{}"
        assert await tx.revocations.is_revoked("jti-in-margin")
        assert not await tx.revocations.is_revoked("jti-gone")
        assert await tx.throttles.blocked_until("blocked") == NOW + 1
        assert await count_one(tx, "counting", NOW, LONGEST_THROTTLE_WINDOW) == 2
    assert await prune(store.database, NOW, POLICY) == dict.fromkeys(deleted, 0)


async def add_refresh_token(store: Store, grant_id: str, *, rotated_at: int | None) -> bytes:
    token_hash = digest(new_secret(SecretKind.REFRESH_TOKEN))
    async with store.transaction() as tx:
        await tx.refresh_tokens.add(
            RefreshToken(
                token_hash=token_hash,
                grant_id=grant_id,
                scope=frozenset({"openid", "offline_access"}),
                created_at=NOW - 100 * DAY,
                expires_at=NOW - 70 * DAY,  # Long expired.
            )
        )
        if rotated_at is not None:
            grant = await tx.grants.get(grant_id)
            assert grant is not None
            await tx.refresh_tokens.rotate(token_hash, grant.client_id, rotated_at)
    return token_hash


async def test_spent_grants_go_with_their_refresh_tokens_and_the_others_stay(
    store: Store,
) -> None:
    await add_user(store)
    await add_api(store, lifetime=API_LIFETIME)
    app = await add_client(store, public=True)
    settled = NOW - MARGIN
    revocation_settled = settled - API_LIFETIME

    async def grant(*, code_expires_at: int, expires_at: int, redeem: bool = True) -> str:
        created = code_expires_at - 60
        issued = await add_grant(
            store, app, now=created, code_lifetime=60, family_lifetime=expires_at - created
        )
        if redeem:
            async with store.transaction() as tx:
                await tx.grants.consume_code(digest(issued.code), created)
        return issued.grant.id

    async def revoked(at: int) -> str:
        grant_id = await grant(code_expires_at=NOW - 10 * DAY, expires_at=NOW + DAY)
        async with store.transaction() as tx:
            await tx.grants.revoke(grant_id, at)
        return grant_id

    gone = {
        "never redeemed": await grant(code_expires_at=settled, expires_at=NOW + DAY, redeem=False),
        "ended": await grant(code_expires_at=NOW - 400 * DAY, expires_at=settled),
        "revoked long ago": await revoked(revocation_settled),
    }
    kept = {
        "code still redeemable": await grant(
            code_expires_at=NOW + 30, expires_at=NOW + DAY, redeem=False
        ),
        "unredeemed, inside the margin": await grant(
            code_expires_at=settled + 1, expires_at=NOW + DAY, redeem=False
        ),
        "live": await grant(code_expires_at=NOW - 10 * DAY, expires_at=NOW + DAY),
        "ended inside the margin": await grant(
            code_expires_at=NOW - 400 * DAY, expires_at=settled + 1
        ),
        "revoked, an API's token may be live": await revoked(revocation_settled + 1),
    }
    # Expired refresh tokens, rotated (reuse detection) and not.
    for grant_id in (gone["ended"], gone["revoked long ago"], kept["live"]):
        await add_refresh_token(store, grant_id, rotated_at=NOW - 80 * DAY)
        await add_refresh_token(store, grant_id, rotated_at=None)

    deleted = await prune(store.database, NOW, POLICY)

    assert (deleted["grants"], deleted["refresh_tokens"]) == (3, 4)
    async with store.transaction() as tx:
        for name, grant_id in gone.items():
            assert await tx.grants.get(grant_id) is None, name
        for name, grant_id in kept.items():
            assert await tx.grants.get(grant_id) is not None, name
    assert await count(store, "refresh_tokens") == 2  # The live family's, expired or not.


async def test_audit_events_older_than_the_retention_go(store: Store) -> None:
    retention = 90 * DAY
    async with store.transaction() as tx:
        for at in (NOW - retention - 1, NOW - retention - 1, NOW - retention, NOW):
            await tx.audit.record(Event.LOGIN_SUCCEEDED, at)
    assert "audit_events" not in await prune(store.database, NOW, POLICY)
    assert await count(store, "audit_events") == 4  # Retention 0 keeps everything.
    kept = dataclasses.replace(POLICY, audit_retention=retention, batch_size=2)
    assert (await prune(store.database, NOW, kept))["audit_events"] == 2
    async with store.transaction() as tx:
        assert [event.at for event in await tx.audit.tail(10)] == [NOW - retention, NOW]


async def test_every_batch_is_one_bounded_delete_in_its_own_transaction(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_user(store)
    async with store.transaction() as tx:
        for n in range(7):
            await tx.sessions.add(bytes([n]) * 32, session(f"gone-{n}", NOW - n))
        for n in range(7, 10):
            await tx.sessions.add(bytes([n]) * 32, session(f"live-{n}", NOW + n))
    deletes: list[list[int]] = []  # Rows deleted by each statement, per transaction.
    opened = store.database.transaction

    @asynccontextmanager
    async def recorded() -> AsyncIterator[Any]:
        async with opened() as conn:
            statements: list[int] = []
            deletes.append(statements)
            yield _Counting(conn, statements)

    monkeypatch.setattr(store.database, "transaction", recorded)
    small = dataclasses.replace(POLICY, batch_size=2)
    assert (await prune(store.database, NOW, small))["sessions"] == 7
    session_deletes = [statements for statements in deletes if statements]
    assert all(len(statements) == 1 for statements in session_deletes)
    assert max(count for statements in session_deletes for count in statements) <= 2
    assert await count(store, "sessions") == 3


class _Counting:
    """A connection that notes how many rows each DELETE removed."""

    def __init__(self, conn: Connection, deleted: list[int]) -> None:
        self._conn = conn
        self._deleted = deleted

    async def execute(self, sql: str, params: Any = None) -> int:
        count = await self._conn.execute(sql, params)
        if sql.startswith("DELETE") and count:
            self._deleted.append(count)
        return count

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def test_no_throttle_counts_over_a_longer_window_than_pruning_assumes() -> None:
    def longest(setting: str) -> int:
        bounds = Settings.model_fields[setting].metadata
        return int(max(bound.le for bound in bounds if hasattr(bound, "le")))

    windows = [
        SOURCE_RULE.window,
        LOGIN_NAME_RULE.window,
        CLIENT_IP_RULE.window,
        longest("token_rate_limit_window"),
        longest("interaction_rate_limit_window"),
    ]
    assert max(windows) <= LONGEST_THROTTLE_WINDOW
