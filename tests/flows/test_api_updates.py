"""Changing an API (core.api_updates) as clients see it next: new scopes can be asked
for and removed ones cannot, and new tokens carry the new lifetime and algorithm."""

from __future__ import annotations

import httpx
import pytest

from tessera.core.api_updates import ApiChange, UnknownApiError, update_api
from tessera.core.audit_events import Event
from tessera.core.models import GrantType
from tessera.core.registration import RegistrationError
from tessera.crypto.keys import Algorithm
from tessera.web.runtime import Runtime
from tests.support.grants import API_ID, RegisteredClient, add_api, add_client, authenticate
from tests.support.tokens import header_of

ACTOR = "cli:ops"
ENABLED = (Algorithm.RS256, Algorithm.ES256)


@pytest.fixture
async def machine(rt: Runtime) -> RegisteredClient:
    await add_api(rt.store, scopes=("read:x", "write:x"))
    return await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )


async def _token(http: httpx.AsyncClient, client: RegisteredClient, **extra: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", "audience": API_ID, **extra}
    return await http.post("/oauth/token", data=form, headers=authenticate(client, form))


async def test_new_tokens_follow_the_changed_api(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient
) -> None:
    change = ApiChange(
        name="  ",
        scopes=[("read:x", "Read X"), ("admin:x", "")],
        access_token_lifetime=600,
        signing_alg=Algorithm.ES256,
    )
    async with rt.store.transaction() as tx:
        api = await update_api(tx, API_ID, change, algorithms=ENABLED, actor=ACTOR, now=0)
        (event,) = [e for e in await tx.audit.tail(5) if e.event == Event.API_UPDATED]
    assert api.name == API_ID  # An empty name falls back to the identifier.
    assert event.detail == {
        "identifier": API_ID,
        "actor": ACTOR,
        "fields": "name scopes access_token_lifetime signing_alg",
    }
    body = (await _token(client, machine)).json()
    assert body["scope"] == "admin:x read:x" and body["expires_in"] == 600
    assert header_of(body["access_token"])["alg"] == "ES256"
    refused = await _token(client, machine, scope="write:x")
    assert refused.json()["error"] == "invalid_scope"


async def test_what_a_change_does_not_name_stays(rt: Runtime, machine: RegisteredClient) -> None:
    async with rt.store.transaction() as tx:
        before = await tx.apis.get_by_identifier(API_ID)
        after = await update_api(tx, API_ID, ApiChange(), algorithms=ENABLED, actor=ACTOR, now=0)
    assert after == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (ApiChange(access_token_lifetime=0), "lifetime"),
        (ApiChange(signing_alg=Algorithm.EDDSA), "EdDSA"),
        (ApiChange(scopes=[("bad scope", "")]), "scope"),
    ],
    ids=["lifetime", "algorithm-not-enabled", "scope-name"],
)
async def test_a_bad_change_is_refused_and_nothing_changes(
    rt: Runtime, machine: RegisteredClient, change: ApiChange, message: str
) -> None:
    async with rt.store.transaction() as tx:
        before = await tx.apis.get_by_identifier(API_ID)
        with pytest.raises(RegistrationError, match=message):
            await update_api(tx, API_ID, change, algorithms=ENABLED, actor=ACTOR, now=0)
        assert await tx.apis.get_by_identifier(API_ID) == before


async def test_an_unknown_api_is_refused(rt: Runtime) -> None:
    async with rt.store.transaction() as tx:
        with pytest.raises(UnknownApiError, match="nowhere"):
            await update_api(
                tx, "https://nowhere.test", ApiChange(), algorithms=ENABLED, actor=ACTOR, now=0
            )
