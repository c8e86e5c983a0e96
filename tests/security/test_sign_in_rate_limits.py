"""Abuse limits: each client IP may start only so many sign-ins (parked requests, a row
each) per window at /authorize, counted in the database so that every node agrees; the
rest get a 429 page with Retry-After, and the returning, consented user is never
counted."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from tessera.core.models import Client
from tessera.settings import Settings
from tessera.web.runtime import Runtime
from tests.conftest import Clock
from tests.support.authorize import (
    add_app,
    add_person,
    callback,
    request_params,
    sign_in_and_consent,
)
from tests.support.grants import add_api

PER_IP = 3
WINDOW = 60


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"interaction_rate_limit_per_ip": PER_IP, "interaction_rate_limit_window": WINDOW}
    )


@pytest.fixture
async def registered(rt: Runtime) -> Client:
    """The user, the API and a public client."""
    await add_api(rt.store)
    await add_person(rt.store)
    return await add_app(rt.store)


async def start(http: httpx.AsyncClient, app: Client) -> httpx.Response:
    return await http.get("/authorize", params=request_params(app.client_id))


async def count(rt: Runtime, sql: str) -> int:
    async with rt.store.transaction() as tx:
        row = await tx.conn.fetch_one(sql)
    assert row is not None
    return int(next(iter(row)))


async def test_an_address_over_its_limit_gets_a_429_page_and_parks_nothing(
    client: httpx.AsyncClient, rt: Runtime, registered: Client, clock: Clock
) -> None:
    for _ in range(PER_IP):
        assert (await start(client, registered)).headers["location"].startswith("/u/login?")
    refused = [await start(client, registered) for _ in range(3)]

    for page in refused:
        assert page.status_code == 429
        assert page.headers["content-type"].startswith("text/html")
        assert 1 <= int(page.headers["retry-after"]) <= WINDOW
        assert "location" not in page.headers  # Shown to the person, not redirected.
        assert "Too many sign-in requests" in page.text
    assert await count(rt, "SELECT COUNT(*) FROM interactions") == PER_IP
    # One audit event for the window, however long the flood.
    events = "SELECT COUNT(*) FROM audit_events WHERE event = 'authorize.rate_limited'"
    assert await count(rt, events) == 1

    clock.advance(WINDOW)
    assert (await start(client, registered)).status_code == 302


async def test_a_consented_returning_user_is_not_counted(
    client: httpx.AsyncClient, rt: Runtime, registered: Client
) -> None:
    params = request_params(registered.client_id)
    await sign_in_and_consent(client, params)  # Parks twice: login, then consent.
    again = {**params, "prompt": "login"}
    assert (await client.get("/authorize", params=again)).status_code == 302  # The third.
    assert (await client.get("/authorize", params=again)).status_code == 429
    for _ in range(PER_IP):
        assert callback(await client.get("/authorize", params=params))["code"]


async def test_the_limit_holds_across_nodes(
    client: httpx.AsyncClient, second_node: httpx.AsyncClient, registered: Client
) -> None:
    for http in (client, second_node, client):
        assert (await start(http, registered)).status_code == 302
    assert (await start(second_node, registered)).status_code == 429


async def test_zero_turns_the_limit_off(
    client: httpx.AsyncClient, rt: Runtime, registered: Client
) -> None:
    authorization = rt.policy.authorization
    interactions = dataclasses.replace(authorization.interactions, per_ip=0)
    rt.policy = dataclasses.replace(
        rt.policy, authorization=dataclasses.replace(authorization, interactions=interactions)
    )
    statuses = {(await start(client, registered)).status_code for _ in range(PER_IP + 2)}
    assert statuses == {302}
    assert await count(rt, "SELECT COUNT(*) FROM throttles") == 0
