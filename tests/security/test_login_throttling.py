"""Security rule: logins are throttled per source (an address trying one login name),
per login name and per client IP, counted in the database before the password is
checked (so every worker and node sees them, and a burst of parallel attempts gets no
more checks than the same attempts one by one). A source is locked; a login name is
only ever delayed, so that nobody can lock another person out. Every attempt is an
audit event, and a throttled burst one per key and block."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from starlette.applications import Starlette

from tessera.core import login as login_policy
from tessera.core.login import ThrottleRule
from tessera.core.models import Client
from tessera.core.password_checks import PasswordCheckSlots
from tessera.web.runtime import Runtime
from tests.conftest import ISSUER, Clock
from tests.security.conftest import HOLD_LIMIT, CountedChecks
from tests.support.authorize import (
    PASSWORD,
    add_app,
    add_person,
    callback,
    follow,
    request_params,
    sign_in,
)


@pytest.fixture(autouse=True)
def _cheap(cheap_passwords: None) -> None:
    """Before the person is added, so that their hash is a cheap one too."""


@pytest.fixture
async def app_client(rt: Runtime) -> Client:
    await add_person(rt.store)
    return await add_app(rt.store, first_party=True)


async def login_page(http: httpx.AsyncClient, app: Client) -> httpx.Response:
    params = request_params(app.client_id, audience=None, scope="openid", prompt="login")
    return await follow(http, await http.get("/authorize", params=params))


async def attempt(
    http: httpx.AsyncClient, app: Client, username: str = "alice", password: str = "wrong"
) -> httpx.Response:
    return await sign_in(http, await login_page(http, app), username=username, password=password)


def from_address(app: Starlette, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url=ISSUER)


async def audit_counts(rt: Runtime) -> dict[str, int]:
    async with rt.store.transaction() as tx:
        events = [event.event for event in await tx.audit.tail(100)]
    return {name: events.count(name) for name in set(events)}


async def test_a_source_gets_doubling_delays_then_a_lock(
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
    # Success clears the source's count: the next failure is free again.
    assert (await attempt(client, app_client)).status_code == 401
    counts = await audit_counts(rt)
    assert counts["login.failed"] == 11 and counts["login.succeeded"] == 1
    assert counts["login.throttled"] == 2


async def fail_in_turn(clients: list[httpx.AsyncClient], app: Client, clock: Clock) -> list[int]:
    """One wrong password from each client in turn, each as soon as the last one's
    Retry-After allows; the Retry-After of each."""
    waits = [0]
    for http in clients:
        clock.advance(waits[-1])
        failed = await attempt(http, app)
        waits.append(int(failed.headers.get("retry-after", "0")))
    return waits[1:]


async def test_a_locked_source_leaves_the_account_open_to_its_owner(
    client: httpx.AsyncClient, app: Starlette, app_client: Client, clock: Clock
) -> None:
    assert (await fail_in_turn([client] * 10, app_client, clock))[-1] == 900
    locked = await attempt(client, app_client, password=PASSWORD)
    assert locked.status_code == 429 and "15 minutes" in locked.text
    async with from_address(app, "192.0.2.7") as owner:
        assert callback(await attempt(owner, app_client, password=PASSWORD))["code"]


async def test_a_login_name_tried_from_everywhere_is_only_delayed(
    app: Starlette, app_client: Client, clock: Clock
) -> None:
    addresses = [from_address(app, f"198.51.100.{n}") for n in range(12)]
    waits = await fail_in_turn(addresses, app_client, clock)
    assert waits == [0] * 10 + [2, 4]
    async with from_address(app, "192.0.2.7") as owner:
        refused = await attempt(owner, app_client, password=PASSWORD)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "4"
        clock.advance(4)
        assert callback(await attempt(owner, app_client, password=PASSWORD))["code"]


async def test_an_unknown_login_name_is_throttled_the_same_way(
    client: httpx.AsyncClient, app_client: Client
) -> None:
    statuses = [(await attempt(client, app_client, "mallory")).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


async def test_a_throttled_burst_is_audited_once_per_key_and_block(
    client: httpx.AsyncClient, rt: Runtime, app_client: Client, clock: Clock
) -> None:
    for _ in range(4):
        await attempt(client, app_client)
    for _ in range(5):
        assert (await attempt(client, app_client)).status_code == 429
    assert (await audit_counts(rt))["login.throttled"] == 1
    clock.advance(2)
    assert (await attempt(client, app_client)).headers["retry-after"] == "4"
    for _ in range(3):
        assert (await attempt(client, app_client)).status_code == 429
    assert (await audit_counts(rt))["login.throttled"] == 2


async def test_parallel_attempts_at_one_login_name_get_one_password_check(
    client: httpx.AsyncClient,
    second_node: httpx.AsyncClient,
    rt: Runtime,
    second_app: Starlette,
    app_client: Client,
    counted_checks: CountedChecks,
) -> None:
    # Slots for every attempt: this is about the lease, not about the process limit.
    for runtime in (rt, second_app.state.runtime):
        runtime.password_checks = PasswordCheckSlots(8)
    nodes = [client, second_node] * 3
    pages = [await login_page(http, app_client) for http in nodes]
    counted_checks.hold = threading.Event()  # The first check lasts until the rest are answered.
    tasks = [
        asyncio.ensure_future(sign_in(http, page, password="wrong"))
        for http, page in zip(nodes, pages, strict=True)
    ]

    async def all_answered_but_one() -> None:
        while sum(task.done() for task in tasks) < len(tasks) - 1:
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(all_answered_but_one(), HOLD_LIMIT)
    finally:
        counted_checks.hold.set()
    answers = await asyncio.gather(*tasks)
    assert counted_checks.calls == 1
    assert sorted(answer.status_code for answer in answers) == [401] + [429] * 5
    assert {a.headers["retry-after"] for a in answers if a.status_code == 429} == {"1"}
    counts = await audit_counts(rt)
    assert counts["login.failed"] == 1 and counts["login.throttled"] <= 1


async def test_a_sign_in_waits_for_its_login_names_check_elsewhere_then_is_checked(
    client: httpx.AsyncClient,
    second_node: httpx.AsyncClient,
    app_client: Client,
    counted_checks: CountedChecks,
) -> None:
    """A double submit, or two devices at once: the second waits for the first's check
    instead of being told it is throttled."""
    wrong_page = await login_page(client, app_client)
    right_page = await login_page(second_node, app_client)

    async def right_password_while_the_wrong_one_is_checked() -> httpx.Response:
        await asyncio.sleep(counted_checks.seconds / 3)
        return await sign_in(second_node, right_page)

    wrong, right = await asyncio.gather(
        sign_in(client, wrong_page, password="wrong"),
        right_password_while_the_wrong_one_is_checked(),
    )
    assert (wrong.status_code, right.status_code) == (401, 303)
    assert counted_checks.calls == 2


async def test_a_burst_is_counted_before_its_passwords_are_checked(
    client: httpx.AsyncClient,
    second_node: httpx.AsyncClient,
    app_client: Client,
    counted_checks: CountedChecks,
) -> None:
    for _ in range(3):
        await attempt(client, app_client)
    wrong_page = await login_page(client, app_client)
    right_page = await login_page(second_node, app_client)

    async def right_password_while_the_wrong_one_is_checked() -> httpx.Response:
        await asyncio.sleep(counted_checks.seconds / 3)
        return await sign_in(second_node, right_page)

    wrong, right = await asyncio.gather(
        sign_in(client, wrong_page, password="wrong"),
        right_password_while_the_wrong_one_is_checked(),
    )
    # The fourth failure blocks the source for 2 seconds from the moment it was tried.
    assert wrong.status_code == 429 and wrong.headers["retry-after"] == "2"
    assert right.status_code == 429 and right.headers["retry-after"] == "2"
    assert counted_checks.calls == 4


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
    async with from_address(app, "192.0.2.7") as elsewhere:
        assert callback(await attempt(elsewhere, app_client, "alice", PASSWORD))["code"]


async def test_the_limits_hold_across_nodes(
    client: httpx.AsyncClient, second_node: httpx.AsyncClient, app_client: Client
) -> None:
    for _ in range(4):
        await attempt(client, app_client)
    refused = await attempt(second_node, app_client, password=PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "2"


async def test_a_right_password_gives_the_address_its_count_back(
    client: httpx.AsyncClient, app: Starlette, app_client: Client, tight_ip_rule: ThrottleRule
) -> None:
    for _ in range(3):
        assert callback(await attempt(client, app_client, password=PASSWORD))["code"]
    # Three sign-ins counted two free failures and a blocking one, had they stayed.
    assert (await attempt(client, app_client, "user1")).status_code == 401
