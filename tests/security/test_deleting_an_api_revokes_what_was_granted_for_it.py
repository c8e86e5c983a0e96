"""Security rule: deleting an API revokes every grant for it (their refresh and access
tokens stop being active) and forgets the consents given for it, in one transaction
with its audit event, so that an API created again under the same identifier (with
fewer scopes, say) honours nothing given for the old one."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.api_deletion import delete_api
from tessera.core.models import Consent
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    API_ID,
    USER,
    RegisteredClient,
    add_api,
    add_client,
    add_user,
    authenticate,
    obtain_tokens,
    refresh,
)
from tests.support.tokens import bearer

OTHER_API = "https://other.example.test"


@pytest.fixture
async def app_client(rt: Runtime) -> RegisteredClient:
    await add_user(rt.store)
    await add_api(rt.store)
    await add_api(rt.store, OTHER_API)
    return await add_client(rt.store)


async def test_deleting_an_api_revokes_its_grants_and_forgets_its_consents(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    now = int(clock.now)
    doomed = await obtain_tokens(client, rt.store, app_client, now=now)
    kept = await obtain_tokens(client, rt.store, app_client, now=now, audience=OTHER_API)
    async with rt.store.transaction() as tx:
        for audience in (API_ID, OTHER_API):
            await tx.consents.grant(
                Consent(
                    user_id=USER.id,
                    client_id=app_client.client_id,
                    audience=audience,
                    scope=frozenset({"openid", "read:x"}),
                    updated_at=now,
                )
            )
    clock.advance(5)
    async with rt.store.transaction() as tx:
        deleted = await delete_api(tx, API_ID, now=int(clock.now), actor="test")
    assert deleted is not None and (deleted.grants_revoked, deleted.consents_deleted) == (1, 1)
    await add_api(rt.store, scopes=("read:x",))  # Created again: it owes nothing.

    assert (await refresh(client, app_client, doomed["refresh_token"])).status_code == 400
    userinfo = await client.get("/userinfo", headers=bearer(doomed["access_token"]))
    assert userinfo.status_code == 401
    for token in (doomed["access_token"], doomed["refresh_token"]):
        form = {"token": token}
        answer = await client.post(
            "/oauth/introspect", data=form, headers=authenticate(app_client, form)
        )
        assert answer.json() == {"active": False}
    assert (await refresh(client, app_client, kept["refresh_token"])).status_code == 200
    async with rt.store.transaction() as tx:
        assert await tx.consents.get(USER.id, app_client.client_id, API_ID) is None
        assert await tx.consents.get(USER.id, app_client.client_id, OTHER_API) is not None
        (event,) = [e for e in await tx.audit.tail(10) if e.event == "api.deleted"]
    assert event.detail == {
        "identifier": API_ID,
        "actor": "test",
        "grants_revoked": "1",
        "consents_deleted": "1",
    }


async def test_an_unknown_api_deletes_nothing(rt: Runtime) -> None:
    async with rt.store.transaction() as tx:
        assert await delete_api(tx, "https://unknown.test", now=0, actor="test") is None
        assert [e for e in await tx.audit.tail(10) if e.event == "api.deleted"] == []
