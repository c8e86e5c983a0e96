"""Every token answer is recorded as a `token.issued` audit event in the token
request's own transaction: who got what, for which grant and API; never a token."""

from __future__ import annotations

import json

import httpx

from tessera.core.models import AuditEvent, GrantType
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.grants import (
    API_ID,
    USER,
    RegisteredClient,
    add_api,
    add_client,
    add_grant,
    authenticate,
    code_form,
    refresh,
)


async def issued_events(rt: Runtime) -> list[AuditEvent]:
    async with rt.store.transaction() as tx:
        return [event for event in await tx.audit.tail(50) if event.event == "token.issued"]


def holds_no_token(event: AuditEvent, body: dict[str, str]) -> bool:
    recorded = json.dumps([event.user_id, event.client_id, event.ip, event.detail])
    tokens = [value for name, value in body.items() if name.endswith("_token")]
    return bool(tokens) and not [token for token in tokens if token[:16] in recorded]


async def test_a_code_redemption_records_what_was_issued_to_whom(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    issued = await add_grant(rt.store, app_client, now=int(clock.now))
    form = code_form(issued, app_client.client_id)
    response = await client.post("/oauth/token", data=form)
    assert response.status_code == 200, response.text
    [event] = await issued_events(rt)
    assert (event.at, event.user_id, event.client_id) == (
        int(clock.now),
        USER.id,
        app_client.client_id,
    )
    assert event.ip is not None
    assert event.detail == {
        "grant_type": "authorization_code",
        "grant_id": issued.grant.id,
        "scope": "email offline_access openid profile read:x",
        "audience": API_ID,
        "tokens": "access_token id_token refresh_token",
    }
    assert holds_no_token(event, response.json())


async def test_a_refresh_records_the_narrowed_scope_of_the_same_grant(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    issued = await add_grant(rt.store, app_client, now=int(clock.now))
    first = await client.post("/oauth/token", data=code_form(issued, app_client.client_id))
    form = {"client_id": app_client.client_id, "scope": "offline_access read:x"}
    response = await refresh(client, app_client, first.json()["refresh_token"], **form)
    assert response.status_code == 200, response.text
    _, event = await issued_events(rt)
    assert event.user_id == USER.id and event.client_id == app_client.client_id
    assert event.detail == {
        "grant_type": "refresh_token",
        "grant_id": issued.grant.id,
        "scope": "offline_access read:x",
        "audience": API_ID,
        "tokens": "access_token refresh_token",
    }
    assert holds_no_token(event, response.json())


async def test_a_client_credentials_token_is_recorded_without_user_or_grant(
    client: httpx.AsyncClient, rt: Runtime
) -> None:
    await add_api(rt.store)
    machine = await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )
    form = {"grant_type": "client_credentials", "audience": API_ID, "scope": "read:x"}
    response = await client.post("/oauth/token", data=form, headers=authenticate(machine, form))
    assert response.status_code == 200, response.text
    [event] = await issued_events(rt)
    assert event.user_id is None and event.client_id == machine.client_id
    assert event.detail == {
        "grant_type": "client_credentials",
        "scope": "read:x",
        "audience": API_ID,
        "tokens": "access_token",
    }
    assert holds_no_token(event, response.json())


async def test_a_refused_token_request_records_no_issuance(
    client: httpx.AsyncClient, rt: Runtime, app_client: RegisteredClient, clock: Clock
) -> None:
    issued = await add_grant(rt.store, app_client, now=int(clock.now))
    wrong = code_form(issued, app_client.client_id, code_verifier="x" * 43)
    assert (await client.post("/oauth/token", data=wrong)).status_code == 400
    assert await issued_events(rt) == []
