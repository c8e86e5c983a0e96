"""Security rule: a reused authorization code revokes what it issued (RFC 6749 4.1.2)."""

from __future__ import annotations

import httpx

from tessera.core.models import AuthMethod
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    API_ID,
    add_api,
    add_client,
    add_grant,
    add_user,
    authenticate,
    code_form,
)
from tests.support.tokens import bearer


async def test_reused_code_revokes_issued_tokens_and_the_revocation_sticks(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    await add_user(rt.store)
    await add_api(rt.store)
    app = await add_client(rt.store, public=True)
    resource_server = await add_client(
        rt.store, auth_method=AuthMethod.CLIENT_SECRET_POST, resource_server_for=[API_ID]
    )
    issued = await add_grant(rt.store, app, now=int(clock.now))
    form = code_form(issued, app.client_id)
    tokens = (await client.post("/oauth/token", data=form)).json()
    clock.advance(5)

    replay = await client.post("/oauth/token", data=form)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

    # The error answer did not roll the revocation back.
    async with rt.store.transaction() as tx:
        grant = await tx.grants.get(issued.grant.id)
        events = [(e.event, e.detail) for e in await tx.audit.tail(5)]
    assert grant is not None and grant.revoked_at == int(clock.now)
    assert ("code.reused", {"grant_id": issued.grant.id}) in events

    assert (
        await client.get("/userinfo", headers=bearer(tokens["access_token"]))
    ).status_code == 401
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    refreshed = await client.post("/oauth/token", data=refresh | {"client_id": app.client_id})
    assert refreshed.status_code == 400
    probe = {"token": tokens["access_token"]}
    answer = await client.post(
        "/oauth/introspect", data=probe, headers=authenticate(resource_server, probe)
    )
    assert answer.json() == {"active": False}
