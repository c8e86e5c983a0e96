"""Security rule: a reused refresh token revokes its whole family and is audited."""

from __future__ import annotations

import httpx

from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import add_api, add_client, add_user, obtain_tokens, refresh
from tests.support.tokens import bearer


async def test_reusing_an_old_refresh_token_kills_every_descendant(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, public=True)
    first = await obtain_tokens(client, rt.store, app, now=int(clock.now))
    second = (await refresh(client, app, first["refresh_token"])).json()
    third = (await refresh(client, app, second["refresh_token"])).json()
    clock.advance(1)

    stolen = await refresh(client, app, first["refresh_token"])
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"

    assert (await refresh(client, app, third["refresh_token"])).status_code == 400
    for access_token in (first["access_token"], third["access_token"]):
        userinfo = await client.get("/userinfo", headers=bearer(access_token))
        assert userinfo.status_code == 401
    async with rt.store.transaction() as tx:
        events = [event.event for event in await tx.audit.tail(5)]
    assert events.count("refresh_token.reused") == 1


async def test_a_reused_token_revokes_its_family_whatever_scope_it_asks_for(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    # Asking for more than was granted must not let a replayed token slip past the
    # reuse check, nor tell the one replaying it that the family is still live.
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, public=True)
    first = await obtain_tokens(client, rt.store, app, now=int(clock.now))
    second = (await refresh(client, app, first["refresh_token"])).json()
    clock.advance(1)

    stolen = await refresh(client, app, first["refresh_token"], scope="openid write:x admin")
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    assert (await refresh(client, app, second["refresh_token"])).status_code == 400
