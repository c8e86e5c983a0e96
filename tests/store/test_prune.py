"""`prune_expired` deletes exactly what can no longer change an answer, on both engines."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tessera.core.login import CLIENT_IP_RULE, LOGIN_NAME_RULE, SOURCE_RULE
from tessera.core.models import Session
from tessera.settings import Settings
from tessera.store import Store
from tessera.store.prune import LONGEST_THROTTLE_WINDOW, REVOCATION_MARGIN, prune_expired
from tests.support.grants import USER, add_user

NOW = 1_800_000_000


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=2)
    yield opened
    await opened.close()


def session(sid: str, expires_at: int) -> Session:
    return Session(
        sid=sid, user_id=USER.id, auth_time=NOW - 10, created_at=NOW - 10, expires_at=expires_at
    )


async def test_expired_rows_go_and_live_ones_stay(store: Store) -> None:
    await add_user(store)
    async with store.transaction() as tx:
        await tx.sessions.add(b"a" * 32, session("gone", NOW))
        await tx.sessions.add(b"b" * 32, session("live", NOW + 1))
        await tx.interactions.add(b"c" * 32, "{}", NOW - 900, NOW)
        await tx.interactions.add(b"d" * 32, "{}", NOW - 900, NOW + 1)
        await tx.revocations.revoke("jti-gone", NOW - REVOCATION_MARGIN)
        await tx.revocations.revoke("jti-in-margin", NOW - REVOCATION_MARGIN + 1)
        window_over = NOW - LONGEST_THROTTLE_WINDOW
        await tx.throttles.count("over", window_over, 60)
        await tx.throttles.count("counting", window_over + 1, 60)
        await tx.throttles.count("blocked", window_over, 60)
        await tx.throttles.block("blocked", NOW + 1)
    async with store.transaction() as tx:
        deleted = await prune_expired(tx.conn, NOW)
    assert deleted == {
        "sessions": 1,
        "interactions": 1,
        "revoked_access_tokens": 1,
        "throttles": 1,
    }
    async with store.transaction() as tx:
        assert await tx.sessions.get_by_sid("live", NOW) is not None
        assert await tx.interactions.get(b"d" * 32, NOW) == "{}"
        assert await tx.revocations.is_revoked("jti-in-margin")
        assert not await tx.revocations.is_revoked("jti-gone")
        assert await tx.throttles.blocked_until("blocked") == NOW + 1
        assert await tx.throttles.count("counting", NOW, LONGEST_THROTTLE_WINDOW) == 2
        assert await prune_expired(tx.conn, NOW) == dict.fromkeys(deleted, 0)


def test_no_throttle_counts_over_a_longer_window_than_pruning_assumes() -> None:
    token_window = Settings.model_fields["token_rate_limit_window"].metadata
    longest_token_window = max(bound.le for bound in token_window if hasattr(bound, "le"))
    windows = [
        SOURCE_RULE.window,
        LOGIN_NAME_RULE.window,
        CLIENT_IP_RULE.window,
        longest_token_window,
    ]
    assert max(windows) <= LONGEST_THROTTLE_WINDOW
