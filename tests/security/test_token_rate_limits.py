"""Abuse limits: /oauth/token, /oauth/revoke and /oauth/introspect count each request in
the database, against the client once a confidential client has authenticated, else
against the client IP (public clients, failed authentication). They answer 429 with
Retry-After once a counter is spent, and every worker and node sees the same counts."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from tessera.core.models import GrantType
from tessera.settings import Settings
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.grants import (
    API_ID,
    RegisteredClient,
    add_api,
    add_client,
    add_grant,
    add_user,
    authenticate,
    code_form,
)

PER_CLIENT = 3
PER_IP = 5
WINDOW = 60


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "token_rate_limit_per_client": PER_CLIENT,
            "token_rate_limit_per_ip": PER_IP,
            "token_rate_limit_window": WINDOW,
        }
    )


@pytest.fixture
async def machine(rt: Runtime) -> RegisteredClient:
    await add_api(rt.store)
    return await add_machine(rt)


async def add_machine(rt: Runtime) -> RegisteredClient:
    return await add_client(
        rt.store, grant_types=[GrantType.CLIENT_CREDENTIALS], redirect_uris=(), apis=[API_ID]
    )


async def ask(http: httpx.AsyncClient, machine: RegisteredClient) -> httpx.Response:
    form = {"grant_type": "client_credentials", "audience": API_ID}
    return await http.post("/oauth/token", data=form, headers=authenticate(machine, form))


async def ask_as_public(http: httpx.AsyncClient, app: RegisteredClient) -> httpx.Response:
    """A public client's refresh with a token it does not have: counted, then refused."""
    form = {"grant_type": "refresh_token", "refresh_token": "tsr_rt_unknown"}
    return await http.post("/oauth/token", data=form, headers=authenticate(app, form))


async def manage(http: httpx.AsyncClient, path: str, client: RegisteredClient) -> httpx.Response:
    """Revoke or introspect a token that is not live: 200 when the client is admitted."""
    form = {"token": "tsr_rt_unknown"}
    return await http.post(path, data=form, headers=authenticate(client, form))


MANAGEMENT = ["/oauth/revoke", "/oauth/introspect"]


@pytest.fixture
async def elsewhere(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """The same server, reached from another address."""
    transport = httpx.ASGITransport(app=app, client=("192.0.2.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url=ISSUER) as http:
        yield http


async def audit_events(rt: Runtime, name: str) -> list[dict[str, str | None]]:
    async with rt.store.transaction() as tx:
        events = await tx.audit.tail(100)
    return [{"client_id": e.client_id, "ip": e.ip, **e.detail} for e in events if e.event == name]


async def test_a_client_over_its_limit_waits_for_the_window_to_end(
    client: httpx.AsyncClient,
    elsewhere: httpx.AsyncClient,
    rt: Runtime,
    machine: RegisteredClient,
    clock: Clock,
) -> None:
    assert [(await ask(client, machine)).status_code for _ in range(PER_CLIENT)] == [200] * 3
    clock.advance(20)
    refused = await ask(client, machine)
    assert refused.status_code == 429
    assert refused.json()["error"] == "slow_down"
    assert refused.headers["retry-after"] == str(WINDOW - 20)
    assert refused.headers["cache-control"] == "no-store"
    # The limit is the client's, from any address; another client is unaffected.
    assert (await ask(elsewhere, machine)).status_code == 429
    assert (await ask(client, await add_machine(rt))).status_code == 200
    clock.advance(WINDOW - 20)
    assert (await ask(client, machine)).status_code == 200
    # One audit event for the window, however many refusals.
    assert await audit_events(rt, "token.rate_limited") == [
        {"client_id": machine.client_id, "ip": "127.0.0.1", "key": "token-client"}
    ]


async def test_one_back_end_is_limited_as_its_client_not_its_address(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient
) -> None:
    # One web back end: one address, every user's exchanges, past the per-IP limit.
    limits = dataclasses.replace(rt.policy.client_limits, per_client=2 * PER_IP)
    rt.policy = dataclasses.replace(rt.policy, client_limits=limits)
    statuses = [(await ask(client, machine)).status_code for _ in range(2 * PER_IP + 1)]
    assert statuses == [200] * 2 * PER_IP + [429]
    # The address itself was not spent.
    public = await add_client(rt.store, public=True)
    assert (await ask_as_public(client, public)).status_code == 400


async def test_public_clients_spend_their_address_not_the_client(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, rt: Runtime
) -> None:
    app, other = [await add_client(rt.store, public=True) for _ in range(2)]
    statuses = [(await ask_as_public(client, app)).status_code for _ in range(PER_IP)]
    assert statuses == [400] * PER_IP
    refused = await ask_as_public(client, other)
    assert refused.status_code == 429 and refused.json()["error"] == "slow_down"
    # Naming a public client proves nothing: its users elsewhere are not refused.
    assert (await ask_as_public(elsewhere, app)).status_code == 400
    assert await audit_events(rt, "token.rate_limited") == [
        {"client_id": other.client_id, "ip": "127.0.0.1", "key": "token-ip"}
    ]


async def test_unauthenticated_requests_spend_the_address_not_the_client(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, machine: RegisteredClient
) -> None:
    forged = {"grant_type": "client_credentials", "client_id": machine.client_id}
    wrong = {**forged, "client_secret": "tsr_cs_guess"}
    answers = [(await elsewhere.post("/oauth/token", data=wrong)).status_code for _ in range(6)]
    assert answers == [401] * PER_IP + [429]
    # Nobody can spend a client's allowance by naming it.
    assert (await ask(client, machine)).status_code == 200


async def test_a_refused_request_leaves_its_code_unspent(
    client: httpx.AsyncClient, rt: Runtime, clock: Clock
) -> None:
    await add_api(rt.store)
    await add_user(rt.store)
    web_app = await add_client(rt.store)
    now = int(clock.now)
    codes = [
        await add_grant(rt.store, web_app, now=now, code_lifetime=600)
        for _ in range(PER_CLIENT + 1)
    ]
    forms = [code_form(issued) for issued in codes]
    statuses = [
        (await client.post("/oauth/token", data=f, headers=authenticate(web_app, f))).status_code
        for f in forms
    ]
    assert statuses == [200] * PER_CLIENT + [429]
    clock.advance(WINDOW)
    redeemed = await client.post(
        "/oauth/token", data=forms[-1], headers=authenticate(web_app, forms[-1])
    )
    assert redeemed.status_code == 200 and redeemed.json()["access_token"]


async def test_the_limits_hold_across_nodes(
    client: httpx.AsyncClient, second_node: httpx.AsyncClient, machine: RegisteredClient
) -> None:
    for http in (client, second_node, client):
        assert (await ask(http, machine)).status_code == 200
    assert (await ask(second_node, machine)).status_code == 429


async def test_zero_turns_a_limit_off(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient
) -> None:
    limits = dataclasses.replace(rt.policy.client_limits, per_client=0, per_ip=0)
    rt.policy = dataclasses.replace(rt.policy, client_limits=limits)
    statuses = {(await ask(client, machine)).status_code for _ in range(PER_IP + 2)}
    assert statuses == {200}


@pytest.mark.parametrize("path", MANAGEMENT)
async def test_revocation_and_introspection_spend_the_clients_allowance(
    client: httpx.AsyncClient, rt: Runtime, machine: RegisteredClient, clock: Clock, path: str
) -> None:
    assert (await ask(client, machine)).status_code == 200
    statuses = [(await manage(client, path, machine)).status_code for _ in range(PER_CLIENT)]
    assert statuses == [200] * (PER_CLIENT - 1) + [429]
    clock.advance(15)
    refused = await manage(client, path, machine)
    assert refused.status_code == 429 and refused.json()["error"] == "slow_down"
    assert refused.headers["retry-after"] == str(WINDOW - 15)
    # One allowance for the three endpoints.
    assert (await ask(client, machine)).status_code == 429


@pytest.mark.parametrize("path", MANAGEMENT)
async def test_failed_authentication_at_revocation_and_introspection_spends_the_address(
    client: httpx.AsyncClient, elsewhere: httpx.AsyncClient, machine: RegisteredClient, path: str
) -> None:
    wrong = {"token": "tsr_rt_unknown", "client_id": machine.client_id, "client_secret": "x"}
    answers = [(await elsewhere.post(path, data=wrong)).status_code for _ in range(PER_IP + 1)]
    assert answers == [401] * PER_IP + [429]
    assert (await manage(client, path, machine)).status_code == 200
