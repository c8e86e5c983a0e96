"""Security rule: logins are throttled per account and per client IP, with a growing
delay and then a temporary lock, counted in the database (so every worker and node
sees them), and every attempt is an audit event."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tessera.core import login as login_policy
from tessera.core.login import ThrottleRule
from tessera.core.models import Client
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.support.authorize import (
    PASSWORD,
    add_app,
    add_person,
    callback,
    follow,
    request_params,
    sign_in,
)


@pytest.fixture
async def app_client(rt: Runtime) -> Client:
    await add_person(rt.store)
    return await add_app(rt.store, first_party=True)


async def attempt(
    http: httpx.AsyncClient, app: Client, username: str = "alice", password: str = "wrong"
) -> httpx.Response:
    params = request_params(app.client_id, audience=None, scope="openid", prompt="login")
    page = await follow(http, await http.get("/authorize", params=params))
    return await sign_in(http, page, username=username, password=password)


async def audit_counts(rt: Runtime) -> dict[str, int]:
    async with rt.store.transaction() as tx:
        events = [event.event for event in await tx.audit.tail(100)]
    return {name: events.count(name) for name in set(events)}


async def test_an_account_gets_doubling_delays_then_a_lock(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, clock: Clock
) -> None:
    for _ in range(3):
        assert (await attempt(client, app_client)).status_code == 401
    fourth = await attempt(client, app_client)
    assert fourth.status_code == 429 and fourth.headers["retry-after"] == "2"
    assert "Incorrect username or password. Too many failed attempts." in fourth.text
    assert "Try again in 2 seconds." in fourth.text
    # While blocked, even the right password is refused without being checked.
    blocked = await attempt(client, app_client, password=PASSWORD)
    assert blocked.status_code == 429 and "Incorrect" not in blocked.text
    waits = []
    for _ in range(6):
        clock.advance(int(blocked.headers["retry-after"]))
        blocked = await attempt(client, app_client)
        waits.append(int(blocked.headers["retry-after"]))
    assert waits == [4, 8, 16, 32, 60, 900]
    assert "Try again in 15 minutes." in blocked.text
    clock.advance(899)
    assert (await attempt(client, app_client, password=PASSWORD)).status_code == 429
    clock.advance(1)
    assert callback(await attempt(client, app_client, password=PASSWORD))["code"]
    # Success clears the account's count: the next failure is free again.
    assert (await attempt(client, app_client)).status_code == 401
    counts = await audit_counts(rt)
    assert counts["login.failed"] == 11 and counts["login.succeeded"] == 1
    assert counts["login.throttled"] == 2


async def test_an_unknown_account_is_throttled_the_same_way(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    statuses = [(await attempt(client, app_client, "mallory")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


@pytest.fixture
def tight_ip_rule(monkeypatch: pytest.MonkeyPatch) -> ThrottleRule:
    rule = ThrottleRule(window=3600, free=2, lock_after=4, lock_for=600)
    monkeypatch.setattr(login_policy, "CLIENT_IP_RULE", rule)
    return rule


async def test_one_address_guessing_many_accounts_is_locked_out(
    client: httpx.AsyncClient, app: Starlette, app_client: Client, tight_ip_rule: ThrottleRule
) -> None:
    first = [(await attempt(client, app_client, f"user{n}")).status_code for n in range(2)]
    assert first == [401, 401]
    assert (await attempt(client, app_client, "user3")).status_code == 429
    clock_free = await attempt(client, app_client, "alice", PASSWORD)
    assert clock_free.status_code == 429  # The address, not the account, is blocked.
    other_ip = httpx.ASGITransport(app=app, client=("192.0.2.7", 40000))
    async with httpx.AsyncClient(transport=other_ip, base_url=ISSUER) as elsewhere:
        assert callback(await attempt(elsewhere, app_client, "alice", PASSWORD))["code"]


async def test_the_limits_hold_across_nodes(
    client: httpx.AsyncClient, second_node: httpx.AsyncClient, app_client: Client
) -> None:
    for _ in range(4):
        await attempt(client, app_client)
    refused = await attempt(second_node, app_client, password=PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
