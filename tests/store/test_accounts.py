"""An operator's day-2 use cases on accounts (core.accounts) over a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tessera.core import accounts
from tessera.core.accounts import ProfileChange, SignedOut, UnknownUserError
from tessera.core.audit_events import Event
from tessera.core.login import begin_attempt
from tessera.core.models import Consent
from tessera.core.registration import RegistrationError
from tessera.core.sessions import load_session, start_session
from tessera.crypto.passwords import verify_password
from tessera.store import SQLRepos, Store
from tessera.store.errors import DuplicateError
from tests.support.authorize import add_person
from tests.support.grants import USER, RegisteredClient, add_api, add_client, add_grant, add_user

NOW = 1_800_000_000
ACTOR = "cli:ops"


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=4)
    await add_user(opened)
    await add_api(opened)
    yield opened
    await opened.close()


@pytest.fixture
async def app(store: Store) -> RegisteredClient:
    return await add_client(store)


async def _session(store: Store) -> str:
    async with store.transaction() as tx:
        cookie, _ = await start_session(tx.sessions, USER, now=NOW, lifetime=3600, replacing=None)
    return cookie


async def _events(store: Store) -> list[tuple[str, dict[str, str]]]:
    async with store.transaction() as tx:
        return [(event.event, event.detail) for event in await tx.audit.tail(20)]


async def test_every_use_case_refuses_an_unknown_user(store: Store) -> None:
    calls: list[Callable[[SQLRepos], Awaitable[object]]] = [
        lambda tx: accounts.get_user(tx, "nobody"),
        lambda tx: accounts.update_profile(tx, "nobody", ProfileChange(), actor=ACTOR, now=NOW),
        lambda tx: accounts.set_password(tx, "nobody", "long enough", actor=ACTOR, now=NOW),
        lambda tx: accounts.disable_user(tx, "nobody", actor=ACTOR, now=NOW),
        lambda tx: accounts.enable_user(tx, "nobody", actor=ACTOR, now=NOW),
        lambda tx: accounts.unlock_user(tx, "nobody", actor=ACTOR, now=NOW),
        lambda tx: accounts.sign_out_everywhere(tx, "nobody", actor=ACTOR, now=NOW),
        lambda tx: accounts.delete_user(tx, "nobody", actor=ACTOR, now=NOW),
        lambda tx: accounts.list_consents(tx, "nobody"),
        lambda tx: accounts.list_sessions(tx, "nobody", NOW),
        lambda tx: accounts.revoke_consent(tx, "nobody", "app", actor=ACTOR, now=NOW),
    ]
    for call in calls:
        async with store.transaction() as tx:
            with pytest.raises(UnknownUserError, match="nobody"):
                await call(tx)
    assert await _events(store) == []


async def test_a_profile_change_keeps_what_it_does_not_name(store: Store) -> None:
    async with store.transaction() as tx:
        renamed = await accounts.update_profile(
            tx, USER.id, ProfileChange(name="  Alice B.  "), actor=ACTOR, now=NOW
        )
        assert (renamed.name, renamed.email, renamed.email_verified) == (
            "Alice B.",
            USER.email,
            USER.email_verified,
        )
        stored = await tx.users.get(USER.id)
    assert stored == renamed
    assert (await _events(store))[-1] == (
        Event.USER_UPDATED,
        {"actor": ACTOR, "fields": "name"},
    )


async def test_a_new_email_is_unverified_unless_said_and_clearing_removes_it(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        moved = await accounts.update_profile(
            tx, USER.id, ProfileChange(email="New@Example.test"), actor=ACTOR, now=NOW
        )
        assert (moved.email, moved.email_verified) == ("new@example.test", False)
        vouched = await accounts.update_profile(
            tx, USER.id, ProfileChange(email_verified=True), actor=ACTOR, now=NOW
        )
        assert vouched.email_verified is True
        same = await accounts.update_profile(
            tx, USER.id, ProfileChange(email="new@example.test"), actor=ACTOR, now=NOW
        )
        assert same.email_verified is True  # The same address keeps its verification.
        cleared = await accounts.update_profile(
            tx, USER.id, ProfileChange(clear_email=True, name=""), actor=ACTOR, now=NOW
        )
        assert (cleared.email, cleared.email_verified, cleared.name) == (None, False, None)
        nothing = await accounts.update_profile(
            tx, USER.id, ProfileChange(email_verified=True), actor=ACTOR, now=NOW
        )
        assert nothing.email_verified is False  # No address, nothing to verify.


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (ProfileChange(email="not-an-address"), "not a valid address"),
        (ProfileChange(email="a@b.test", clear_email=True), "not both"),
    ],
)
async def test_a_bad_profile_change_is_refused(
    store: Store, change: ProfileChange, message: str
) -> None:
    async with store.transaction() as tx:
        with pytest.raises(RegistrationError, match=message):
            await accounts.update_profile(tx, USER.id, change, actor=ACTOR, now=NOW)


async def test_another_users_email_is_a_duplicate(store: Store) -> None:
    other = await add_person(store, "bob")
    assert other.email is not None
    with pytest.raises(DuplicateError):
        async with store.transaction() as tx:
            await accounts.update_profile(
                tx, USER.id, ProfileChange(email=other.email), actor=ACTOR, now=NOW
            )


async def test_a_new_password_replaces_the_old_and_is_checked(store: Store) -> None:
    async with store.transaction() as tx:
        with pytest.raises(RegistrationError):
            await accounts.set_password(tx, USER.id, "short", actor=ACTOR, now=NOW)
        await accounts.set_password(tx, USER.id, "a brand new password", actor=ACTOR, now=NOW)
        stored = await tx.users.get(USER.id)
    assert stored is not None
    verify_password(stored.password_hash, "a brand new password")
    assert (await _events(store))[-1] == (Event.USER_PASSWORD_SET, {"actor": ACTOR})


async def test_disabling_ends_sessions_and_grants_and_enabling_only_allows_sign_in(
    store: Store, app: RegisteredClient
) -> None:
    cookie = await _session(store)
    issued = await add_grant(store, app, now=NOW)
    async with store.transaction() as tx:
        assert await accounts.disable_user(tx, USER.id, actor=ACTOR, now=NOW) == SignedOut(1, 1)
        again = await accounts.disable_user(tx, USER.id, actor=ACTOR, now=NOW + 5)
        assert again == SignedOut(0, 0)
        disabled = await accounts.get_user(tx, USER.id)
        assert disabled.disabled_at == NOW  # The first time stays.
        assert await load_session(tx.sessions, cookie, NOW) is None
        grant = await tx.grants.get(issued.grant.id)
        assert grant is not None and grant.revoked_at == NOW
        enabled = await accounts.enable_user(tx, USER.id, actor=ACTOR, now=NOW + 10)
        assert (
            enabled.disabled_at is None and not (await accounts.get_user(tx, USER.id)).is_disabled
        )
        grant = await tx.grants.get(issued.grant.id)
        assert grant is not None and grant.revoked_at == NOW  # Still revoked.
    events = await _events(store)
    assert events[-3:] == [
        (Event.USER_DISABLED, {"actor": ACTOR, "sessions": "1", "grants": "1"}),
        (Event.USER_DISABLED, {"actor": ACTOR, "sessions": "0", "grants": "0"}),
        (Event.USER_ENABLED, {"actor": ACTOR}),
    ]


async def test_unlocking_clears_the_login_names_keys_and_keeps_the_addresses(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        for login in ("alice", "ALICE@example.test"):
            attempt = await begin_attempt(
                tx, login, client_ip="192.0.2.9", client_id="app", now=NOW
            )
            assert attempt.retry_after == 0
            await tx.throttles.release(attempt.lease_key, attempt.lease_until)
        before = [row["key"] for row in await tx.conn.fetch_all("SELECT key FROM throttles")]
        cleared = await accounts.unlock_user(tx, USER.id, actor=ACTOR, now=NOW)
        after = [row["key"] for row in await tx.conn.fetch_all("SELECT key FROM throttles")]
    assert after == ["login-ip:192.0.2.9"]
    assert cleared == len(before) - 1
    assert (await _events(store))[-1] == (
        Event.USER_UNLOCKED,
        {"actor": ACTOR, "keys": str(cleared)},
    )


async def test_signing_out_everywhere_ends_every_session_and_grant(
    store: Store, app: RegisteredClient
) -> None:
    await _session(store)
    await _session(store)
    await add_grant(store, app, now=NOW)
    async with store.transaction() as tx:
        listed = await accounts.list_sessions(tx, USER.id, NOW)
        assert len(listed) == 2 and listed[0].created_at >= listed[1].created_at
        assert await accounts.list_sessions(tx, USER.id, NOW + 3600) == []  # Expired.
        ended = await accounts.sign_out_everywhere(tx, USER.id, actor=ACTOR, now=NOW)
        assert ended == SignedOut(sessions=2, grants=1)
        assert not (await accounts.get_user(tx, USER.id)).is_disabled


async def test_deleting_a_user_takes_everything_granted_to_them(
    store: Store, app: RegisteredClient
) -> None:
    issued = await add_grant(store, app, now=NOW)
    async with store.transaction() as tx:
        await tx.consents.grant(
            Consent(
                user_id=USER.id,
                client_id=app.client_id,
                audience="",
                scope=frozenset({"openid"}),
                updated_at=NOW,
            )
        )
        await accounts.delete_user(tx, USER.id, actor=ACTOR, now=NOW)
        assert await tx.users.get(USER.id) is None
        assert await tx.grants.get(issued.grant.id) is None
        assert await tx.consents.list_for_user(USER.id) == []
    assert (await _events(store))[-1] == (
        Event.USER_DELETED,
        {"actor": ACTOR, "username": USER.username},
    )


async def test_revoking_a_consent_revokes_that_clients_grants_only(
    store: Store, app: RegisteredClient
) -> None:
    other = await add_client(store)
    mine = await add_grant(store, app, now=NOW)
    theirs = await add_grant(store, other, now=NOW)
    async with store.transaction() as tx:
        for client in (app, other):
            for audience in ("", "https://api.example.test"):
                await tx.consents.grant(
                    Consent(
                        user_id=USER.id,
                        client_id=client.client_id,
                        audience=audience,
                        scope=frozenset({"openid"}),
                        updated_at=NOW,
                    )
                )
        listed = await accounts.list_consents(tx, USER.id)
        assert len(listed) == 4
        revoked = await accounts.revoke_consent(tx, USER.id, app.client_id, actor=ACTOR, now=NOW)
        assert revoked == 1
        left = await accounts.list_consents(tx, USER.id)
        assert {c.client_id for c in left} == {other.client_id}
        gone = await tx.grants.get(mine.grant.id)
        kept = await tx.grants.get(theirs.grant.id)
    assert gone is not None and gone.revoked_at == NOW
    assert kept is not None and kept.revoked_at is None
    assert (await _events(store))[-1] == (
        Event.CONSENT_REVOKED,
        {"actor": ACTOR, "consents": "2", "grants": "1"},
    )


async def test_a_throttle_key_pattern_never_holds_a_wildcard(store: Store) -> None:
    async with store.transaction() as tx:
        with pytest.raises(ValueError, match="wildcard"):
            await tx.throttles.reset_matching("login-name:", "%")


async def test_a_lease_taken_elsewhere_between_read_and_take_refuses_unchecked(
    store: Store,
) -> None:
    """The lease is free when read but another node takes it first: the attempt waits."""
    async with store.transaction() as tx:
        real = tx.throttles.lease

        async def taken(key: str, now: int, until: int) -> bool:
            await real(key, now, until)
            return False

        tx.throttles.lease = taken  # type: ignore[method-assign]
        attempt = await begin_attempt(tx, "alice", client_ip="192.0.2.9", client_id="app", now=NOW)
    assert attempt.checking_elsewhere and attempt.retry_after > 0 and attempt.charges == ()
