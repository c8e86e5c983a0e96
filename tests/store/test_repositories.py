"""Every repository against both engines: what goes in comes out, and the contracts hold."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tessera.core.audit_events import Event
from tessera.core.keyring import new_stored_key
from tessera.core.models import (
    Api,
    ApiScope,
    AuthMethod,
    Client,
    Consent,
    Grant,
    GrantType,
    RefreshToken,
    Session,
    User,
)
from tessera.core.ports import (
    CodeReusedError,
    RefreshReusedError,
    UnknownCodeError,
    UnknownRefreshTokenError,
)
from tessera.crypto.keys import Algorithm
from tessera.store import Store
from tessera.store.errors import DuplicateError, UnknownAPIError
from tests.conftest import TEST_SECRET_KEY
from tests.support.throttles import count_one

NOW = 1_800_000_000


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    opened = await Store.open(database_url, min_size=1, max_size=4)
    yield opened
    await opened.close()


CLIENT = Client(
    client_id="client-1",
    name="App",
    secret_hash=b"\x01" * 32,
    redirect_uris=("https://app.test/cb", "http://127.0.0.1/cb"),
    post_logout_redirect_uris=("https://app.test/bye",),
    grant_types=frozenset({GrantType.AUTHORIZATION_CODE, GrantType.CLIENT_CREDENTIALS}),
    auth_method=AuthMethod.CLIENT_SECRET_POST,
    first_party=True,
    allowed_scopes=frozenset({"read:x"}),
    id_token_alg=Algorithm.ES256,
    refresh_grace_seconds=30,
    created_at=NOW,
)
USER = User(
    id="user-1",
    username="alice",
    email="alice@example.test",
    email_verified=True,
    name="Alice",
    password_hash="$argon2id$stub",
    created_at=NOW,
)


def grant(grant_id: str = "grant-1", *, code_expires_at: int = NOW + 60) -> Grant:
    return Grant(
        id=grant_id,
        client_id=CLIENT.client_id,
        user_id=USER.id,
        session_id="sid-1",
        redirect_uri="https://app.test/cb",
        scope=frozenset({"openid", "offline_access"}),
        audience="https://api.test",
        code_challenge="c" * 43,
        nonce="n-1",
        auth_time=NOW - 5,
        created_at=NOW,
        code_expires_at=code_expires_at,
        expires_at=NOW + 86400,
    )


async def seed(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.clients.add(CLIENT)
        await tx.users.add(USER)


async def test_clients_round_trip_list_and_delete(store: Store) -> None:
    await seed(store)
    async with store.transaction() as tx:
        assert await tx.clients.get("client-1") == CLIENT
        assert await tx.clients.get("nope") is None
        assert [c.client_id for c in await tx.clients.list()] == ["client-1"]
        with pytest.raises(DuplicateError):
            await tx.clients.add(CLIENT)
    async with store.transaction() as tx:
        assert await tx.clients.delete("client-1") is True
        assert await tx.clients.delete("client-1") is False


async def test_users_are_found_by_username_or_email_case_insensitively(store: Store) -> None:
    await seed(store)
    async with store.transaction() as tx:
        assert await tx.users.get("user-1") == USER
        assert (await tx.users.find_by_login(" ALICE ")) == USER
        assert (await tx.users.find_by_login("Alice@Example.test")) == USER
        assert await tx.users.find_by_login("bob") is None
        await tx.users.set_password_hash("user-1", "$argon2id$new")
        assert (await tx.users.get("user-1")).password_hash == "$argon2id$new"  # type: ignore[union-attr]
        assert len(await tx.users.list()) == 1


async def test_duplicate_username_or_email_is_refused(store: Store) -> None:
    await seed(store)
    for clash in (
        User(id="u2", username="ALICE", password_hash="x", created_at=NOW),
        User(id="u3", username="other", email="ALICE@example.test", password_hash="x"),
    ):
        with pytest.raises(DuplicateError):
            async with store.transaction() as tx:
                await tx.users.add(clash)


async def test_a_client_changed_in_the_database_is_read_as_changed(store: Store) -> None:
    # Parsed clients are reused by row values (store.parsed): a change must show at once.
    await seed(store)
    changed = replace(CLIENT, redirect_uris=("https://app.test/new",), first_party=False)
    async with store.transaction() as tx:
        assert await tx.clients.get(CLIENT.client_id) == CLIENT
        await tx.clients.delete(CLIENT.client_id)
        await tx.clients.add(changed)
    async with store.transaction() as tx:
        assert await tx.clients.get(CLIENT.client_id) == changed


async def test_apis_round_trip(store: Store) -> None:
    api = Api(
        id="api-1",
        identifier="https://api.test",
        name="Test API",
        scopes=(ApiScope(name="read:x", description="Read X"), ApiScope(name="write:x")),
        access_token_lifetime=600,
        signing_alg=Algorithm.ES256,
        created_at=NOW,
    )
    async with store.transaction() as tx:
        await tx.apis.add(api)
        assert await tx.apis.get_by_identifier("https://api.test") == api
        assert api.scope_names() == {"read:x", "write:x"}
        assert await tx.apis.list() == [api]
        assert await tx.apis.delete("https://api.test") is True
        assert await tx.apis.get_by_identifier("https://api.test") is None


async def test_two_current_keys_for_one_algorithm_are_impossible(store: Store) -> None:
    key = new_stored_key(Algorithm.ES256, TEST_SECRET_KEY, NOW)
    with pytest.raises(DuplicateError):
        async with store.transaction() as tx:
            await tx.conn.execute(
                "INSERT INTO signing_keys (kid, alg, sealed_private_key, public_jwk, state, "
                "created_at) VALUES (:kid, 'ES256', :sealed, '{}', 'current', 0)",
                {"kid": key.kid, "sealed": key.sealed_private_key},
            )


async def test_code_is_consumed_once_then_reported_reused_with_its_grant(store: Store) -> None:
    await seed(store)
    async with store.transaction() as tx:
        await tx.grants.add(grant(), b"h" * 32)
    async with store.transaction() as tx:
        consumed = await tx.grants.consume_code(b"h" * 32, NOW + 1)
        assert consumed.id == "grant-1" and consumed.redeemed_at == NOW + 1
        assert consumed.scope == {"openid", "offline_access"} and consumed.nonce == "n-1"
    async with store.transaction() as tx:
        with pytest.raises(CodeReusedError) as reused:
            await tx.grants.consume_code(b"h" * 32, NOW + 2)
        assert reused.value.grant.id == "grant-1"
        with pytest.raises(UnknownCodeError):
            await tx.grants.consume_code(b"x" * 32, NOW + 2)


async def test_expired_or_revoked_codes_cannot_be_consumed(store: Store) -> None:
    await seed(store)
    async with store.transaction() as tx:
        await tx.grants.add(grant("g-exp", code_expires_at=NOW), b"e" * 32)
        await tx.grants.add(grant("g-rev"), b"r" * 32)
        await tx.grants.revoke("g-rev", NOW)
        with pytest.raises(UnknownCodeError):
            await tx.grants.consume_code(b"e" * 32, NOW)
        with pytest.raises(CodeReusedError):
            await tx.grants.consume_code(b"r" * 32, NOW)
        revoked = await tx.grants.get("g-rev")
        assert revoked is not None and revoked.revoked_at == NOW
        assert await tx.grants.get("missing") is None


async def test_concurrent_consumption_succeeds_exactly_once(store: Store) -> None:
    await seed(store)
    async with store.transaction() as tx:
        await tx.grants.add(grant(), b"c" * 32)

    async def redeem() -> str:
        try:
            async with store.transaction() as tx:
                await tx.grants.consume_code(b"c" * 32, NOW + 1)
                await asyncio.sleep(0.01)  # Hold the transaction open across a yield.
                return "ok"
        except CodeReusedError:
            return "reused"

    results = await asyncio.gather(*(redeem() for _ in range(8)))
    assert sorted(results) == ["ok"] + ["reused"] * 7


async def test_refresh_tokens_rotate_once(store: Store) -> None:
    await seed(store)
    token = RefreshToken(
        token_hash=b"t" * 32,
        grant_id="grant-1",
        scope=frozenset({"openid"}),
        created_at=NOW,
        expires_at=NOW + 100,
    )
    async with store.transaction() as tx:
        await tx.grants.add(grant(), b"h" * 32)
        await tx.refresh_tokens.add(token)
        rotated = await tx.refresh_tokens.rotate(b"t" * 32, CLIENT.client_id, NOW + 1)
        assert rotated.grant_id == "grant-1" and rotated.rotated_at == NOW + 1
        with pytest.raises(RefreshReusedError) as reused:
            await tx.refresh_tokens.rotate(b"t" * 32, CLIENT.client_id, NOW + 2)
        assert reused.value.token.rotated_at == NOW + 1
        with pytest.raises(UnknownRefreshTokenError):
            await tx.refresh_tokens.rotate(b"u" * 32, CLIENT.client_id, NOW)


async def test_expired_refresh_token_is_unknown_and_unrotated_ones_can_be_revoked(
    store: Store,
) -> None:
    await seed(store)
    async with store.transaction() as tx:
        await tx.grants.add(grant(), b"h" * 32)
        for value, expires in ((b"a" * 32, NOW), (b"b" * 32, NOW + 100)):
            await tx.refresh_tokens.add(
                RefreshToken(
                    token_hash=value,
                    grant_id="grant-1",
                    scope=frozenset(),
                    created_at=NOW,
                    expires_at=expires,
                )
            )
        with pytest.raises(UnknownRefreshTokenError):
            await tx.refresh_tokens.rotate(b"a" * 32, CLIENT.client_id, NOW)
        await tx.refresh_tokens.revoke_unrotated("grant-1", NOW)
        with pytest.raises(RefreshReusedError):
            await tx.refresh_tokens.rotate(b"b" * 32, CLIENT.client_id, NOW)


async def test_access_token_revocation_list_is_idempotent(store: Store) -> None:
    async with store.transaction() as tx:
        assert not await tx.revocations.is_revoked("jti-1")
        await tx.revocations.revoke("jti-1", NOW)
        await tx.revocations.revoke("jti-1", NOW)
        assert await tx.revocations.is_revoked("jti-1")


async def test_sessions_expire_and_end(store: Store) -> None:
    await seed(store)
    session = Session(
        sid="sid-1", user_id="user-1", auth_time=NOW, created_at=NOW, expires_at=NOW + 10
    )
    async with store.transaction() as tx:
        await tx.sessions.add(b"s" * 32, session)
        assert await tx.sessions.get(b"s" * 32, NOW) == session
        assert await tx.sessions.get(b"s" * 32, NOW + 10) is None
        await tx.sessions.delete("sid-1")
        assert await tx.sessions.get(b"s" * 32, NOW) is None


async def test_consent_accumulates_scopes(store: Store) -> None:
    await seed(store)
    async with store.transaction() as tx:
        assert await tx.consents.get("user-1", "client-1", "") is None
        await tx.consents.grant(
            Consent(
                user_id="user-1",
                client_id="client-1",
                audience="",
                scope=frozenset({"openid"}),
                updated_at=NOW,
            )
        )
        await tx.consents.grant(
            Consent(
                user_id="user-1",
                client_id="client-1",
                audience="",
                scope=frozenset({"email"}),
                updated_at=NOW + 1,
            )
        )
        consent = await tx.consents.get("user-1", "client-1", "")
        assert consent is not None
        assert consent.scope == {"openid", "email"} and consent.updated_at == NOW + 1


async def test_interactions_expire_and_are_deleted(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.interactions.add(b"i" * 32, '{"a": 1}', NOW, NOW + 60)
        assert await tx.interactions.get(b"i" * 32, NOW) == '{"a": 1}'
        assert await tx.interactions.get(b"i" * 32, NOW + 60) is None
        assert await tx.interactions.delete(b"i" * 32)
        assert await tx.interactions.get(b"i" * 32, NOW) is None
        assert not await tx.interactions.delete(b"i" * 32)


async def test_concurrent_finishes_of_one_interaction_succeed_exactly_once(store: Store) -> None:
    async with store.transaction() as tx:
        await tx.interactions.add(b"j" * 32, "{}", NOW, NOW + 60)

    async def finish() -> bool:
        async with store.transaction() as tx:
            return await tx.interactions.delete(b"j" * 32)

    assert sorted(await asyncio.gather(finish(), finish(), finish())) == [False, False, True]


async def test_throttle_counts_in_fixed_windows_and_blocks_until_reset(store: Store) -> None:
    async with store.transaction() as tx:
        assert [await count_one(tx, "k", NOW + i, 60) for i in range(3)] == [1, 2, 3]
        # The window started at NOW; 60 s later a new one starts at 1.
        assert await count_one(tx, "k", NOW + 60, 60) == 1
        assert await count_one(tx, "k", NOW + 61, 60) == 2
        assert await tx.throttles.blocked_until("k") == 0
        await tx.throttles.block("k", NOW + 300)
        await tx.throttles.block("k", NOW + 100)  # A shorter block keeps the longer one.
        assert await tx.throttles.blocked_until("k") == NOW + 300
        await tx.throttles.reset("k")
        assert await tx.throttles.blocked_until("k") == 0
        assert await count_one(tx, "k", NOW + 62, 60) == 1


async def test_concurrent_throttle_counts_are_all_counted(store: Store) -> None:
    async def count() -> int:
        async with store.transaction() as tx:
            return await count_one(tx, "c", NOW, 60)

    assert sorted(await asyncio.gather(*(count() for _ in range(5)))) == [1, 2, 3, 4, 5]


async def test_a_block_is_reported_refused_once(store: Store) -> None:
    async with store.transaction() as tx:
        await count_one(tx, "r", NOW, 60)
        await tx.throttles.block("r", NOW + 10)
        assert [await tx.throttles.mark_refused("r", NOW + 10) for _ in range(2)] == [True, False]
        await tx.throttles.block("r", NOW + 20)  # A longer block is a new one.
        assert await tx.throttles.mark_refused("r", NOW + 20)


async def test_a_refund_takes_back_one_count_and_only_its_own_block(store: Store) -> None:
    async with store.transaction() as tx:
        for _ in range(3):
            (counted,) = await tx.throttles.count_each(["f"], NOW, 60)
        await tx.throttles.block("f", NOW + 2)
        await tx.throttles.refund("f", counted.window_started_at, NOW + 2)
        assert await tx.throttles.blocked_until("f") == 0
        await tx.throttles.block("f", NOW + 4)  # Set by another attempt since.
        await tx.throttles.refund("f", counted.window_started_at, NOW + 2)
        assert await tx.throttles.blocked_until("f") == NOW + 4
        await tx.throttles.refund("f", NOW - 60, 0)  # A window that is over: nothing.
        assert await count_one(tx, "f", NOW, 60) == 2


async def test_a_lease_has_one_holder_until_released_or_over(store: Store) -> None:
    async with store.transaction() as tx:
        assert await tx.throttles.lease("l", NOW, NOW + 10)
        assert not await tx.throttles.lease("l", NOW + 9, NOW + 19)
        await tx.throttles.release("l", NOW + 10)
        assert await tx.throttles.lease("l", NOW + 1, NOW + 11)
        # A dead holder's lease ends by itself; its late release leaves the next alone.
        assert await tx.throttles.lease("l", NOW + 11, NOW + 21)
        await tx.throttles.release("l", NOW + 11)
        assert not await tx.throttles.lease("l", NOW + 12, NOW + 22)


async def test_concurrent_lease_takers_get_one_lease(store: Store) -> None:
    async def take() -> bool:
        async with store.transaction() as tx:
            return await tx.throttles.lease("c", NOW, NOW + 10)

    assert sorted(await asyncio.gather(*(take() for _ in range(5)))) == [False] * 4 + [True]


EVENTS = [
    Event.LOGIN_FAILED,
    Event.LOGIN_SUCCEEDED,
    Event.CONSENT_GRANTED,
    Event.TOKEN_ISSUED,
    Event.LOGOUT,
]


async def test_audit_tail_returns_latest_in_order(store: Store) -> None:
    async with store.transaction() as tx:
        for i, event in enumerate(EVENTS):
            await tx.audit.record(event, NOW + i, user_id="u", detail={"n": str(i)})
        events = await tx.audit.tail(3)
    assert [e.event for e in events] == EVENTS[2:]
    assert events[0].detail == {"n": "2"} and events[0].user_id == "u"


async def test_deleting_a_client_cascades_to_its_grants(store: Store) -> None:
    await seed(store)
    async with store.transaction() as tx:
        await tx.grants.add(grant(), b"h" * 32)
        await tx.clients.delete("client-1")
        assert await tx.grants.get("grant-1") is None


def api(identifier: str) -> Api:
    return Api(id=identifier, identifier=identifier, name="API", created_at=NOW)


async def test_a_clients_api_access_round_trips_and_goes_with_the_api_or_the_client(
    store: Store,
) -> None:
    machine = replace(
        CLIENT,
        apis=frozenset({"https://a.test", "https://b.test"}),
        resource_server_for=frozenset({"https://a.test"}),
    )
    other = replace(CLIENT, client_id="client-2", apis=frozenset({"https://a.test"}))
    async with store.transaction() as tx:
        for identifier in ("https://a.test", "https://b.test"):
            await tx.apis.add(api(identifier))
        await tx.clients.add(machine)
        await tx.clients.add(other)
    async with store.transaction() as tx:
        assert await tx.clients.get(machine.client_id) == machine
        assert await tx.clients.list() == [machine, other]
        await tx.apis.delete("https://a.test")
    async with store.transaction() as tx:
        assert await tx.clients.list() == [
            replace(machine, apis=frozenset({"https://b.test"}), resource_server_for=frozenset()),
            replace(other, apis=frozenset()),
        ]
        await tx.clients.delete(machine.client_id)
        rows = await tx.conn.fetch_all("SELECT client_id FROM client_api_access")
    assert rows == []


async def test_a_client_naming_an_unknown_api_is_refused(store: Store) -> None:
    with pytest.raises(UnknownAPIError, match="https://unknown.test"):
        async with store.transaction() as tx:
            await tx.clients.add(
                replace(CLIENT, resource_server_for=frozenset({"https://unknown.test"}))
            )
    async with store.transaction() as tx:
        assert await tx.clients.get(CLIENT.client_id) is None


async def test_grants_and_consents_of_one_audience_are_revoked_and_forgotten(
    store: Store,
) -> None:
    await seed(store)
    consent = Consent(
        user_id="user-1",
        client_id="client-1",
        audience="https://api.test",
        scope=frozenset({"read:x"}),
        updated_at=NOW,
    )
    async with store.transaction() as tx:
        await tx.grants.add(grant("grant-1"), b"1" * 32)
        await tx.grants.add(replace(grant("grant-2"), audience="https://other.test"), b"2" * 32)
        await tx.grants.add(grant("grant-3"), b"3" * 32)
        await tx.grants.revoke("grant-3", NOW - 1)
        for audience in ("https://api.test", "https://other.test"):
            await tx.consents.grant(replace(consent, audience=audience))
    async with store.transaction() as tx:
        assert await tx.grants.revoke_for_audience("https://api.test", NOW) == 1
        assert await tx.consents.delete_for_audience("https://api.test") == 1
        revoked = [await tx.grants.get(f"grant-{n}") for n in (1, 2, 3)]
        assert [g.revoked_at for g in revoked if g is not None] == [NOW, None, NOW - 1]
        assert await tx.consents.get("user-1", "client-1", "https://api.test") is None
        assert await tx.consents.get("user-1", "client-1", "https://other.test") is not None


async def test_a_clients_web_origins_are_found_by_origin_and_follow_its_updates(
    store: Store,
) -> None:
    spa = replace(
        CLIENT,
        client_id="spa",
        web_origins=("https://spa.test",),
        refresh_sliding_lifetime=3600,
        refresh_absolute_lifetime=86400,
    )
    async with store.transaction() as tx:
        await tx.clients.add(CLIENT)
        await tx.clients.add(spa)
    async with store.transaction() as tx:
        assert await tx.clients.get("spa") == spa
        # CLIENT has no registered origins: its redirect URIs' origins are allowed.
        for origin in ("https://app.test", "http://127.0.0.1", "https://spa.test"):
            assert await tx.clients.is_allowed_anywhere(origin), origin
        assert not await tx.clients.is_allowed_anywhere("https://other.test")
        moved = replace(spa, web_origins=("https://new.test",), refresh_sliding_lifetime=None)
        assert await tx.clients.update(moved) is True
        assert await tx.clients.update(replace(spa, client_id="nope")) is False
    async with store.transaction() as tx:
        assert await tx.clients.get("spa") == moved
        assert not await tx.clients.is_allowed_anywhere("https://spa.test")
        assert await tx.clients.is_allowed_anywhere("https://new.test")
        await tx.clients.delete("spa")
        assert not await tx.clients.is_allowed_anywhere("https://new.test")


async def test_a_client_update_writes_every_field_and_replaces_its_api_access(
    store: Store,
) -> None:
    async with store.transaction() as tx:
        for identifier in ("https://api.test", "https://other.test"):
            await tx.apis.add(Api(id=identifier, identifier=identifier, name="API"))
        await tx.clients.add(replace(CLIENT, apis=frozenset({"https://api.test"})))
    changed = replace(
        CLIENT,
        name="Renamed",
        secret_hash=b"\x02" * 32,
        previous_secret_hash=b"\x01" * 32,
        previous_secret_expires_at=NOW + 60,
        redirect_uris=("https://new.test/cb",),
        post_logout_redirect_uris=(),
        grant_types=frozenset({GrantType.CLIENT_CREDENTIALS}),
        auth_method=AuthMethod.CLIENT_SECRET_BASIC,
        first_party=False,
        allowed_scopes=None,
        id_token_alg=Algorithm.RS256,
        refresh_grace_seconds=0,
        apis=frozenset({"https://other.test"}),
        resource_server_for=frozenset({"https://api.test"}),
    )
    async with store.transaction() as tx:
        assert await tx.clients.update(changed) is True
    async with store.transaction() as tx:
        assert await tx.clients.get(CLIENT.client_id) == changed
    with pytest.raises(UnknownAPIError):
        async with store.transaction() as tx:
            await tx.clients.update(replace(changed, apis=frozenset({"https://gone.test"})))
    async with store.transaction() as tx:
        assert await tx.clients.get(CLIENT.client_id) == changed  # Rolled back whole.
