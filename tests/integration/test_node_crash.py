"""`kill -9` one of two nodes in the middle of a bounded load of full flows.

Each flow is the seed's sequence through a load balancer that alternates the nodes
(`RoundRobin`): /authorize, the login page and form, the consent page and form, the code
at the token endpoint, then a refresh. Node A gets SIGKILL once a few flows have
completed. Afterwards every flow either completed or failed on a connection the kill
cut; every token response a client received is live at introspection; the database
holds no code redeemed twice and no refresh token rotated twice; node B still serves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tessera.store import Store
from tests.conftest import fresh_postgres_url
from tests.support.authorize import (
    PKCE,
    add_person,
    callback,
    follow,
    request_params,
    sign_in,
    submit,
)
from tests.support.cluster import (
    Cluster,
    introspect,
    provision,
    query,
    redeem_code,
    token_response,
)
from tests.support.grants import RegisteredClient, refresh
from tests.support.postgres import PostgresCluster

pytestmark = pytest.mark.integration

FLOWS = 24
WORKERS = 4
KILL_AFTER = 6  # Completed flows before node A is killed.
DEADLINE = 60.0
# A login name whose check node A was running stays held until its lease runs out
# (core.login.LEASE_SECONDS); the person is told to wait (429, Retry-After) meanwhile.
SIGN_IN_TRIES = 20


@dataclass
class Load:
    """What the clients saw: token responses per completed flow, errors per failed one."""

    started: int = 0
    completed: list[list[dict[str, Any]]] = field(default_factory=list)
    failed: list[Exception] = field(default_factory=list)

    @property
    def in_flight(self) -> int:
        return self.started - len(self.completed) - len(self.failed)


@pytest.fixture
def cluster(tmp_path: Path, postgres: PostgresCluster | None) -> Iterator[Cluster]:
    if postgres is None:
        pytest.skip("PostgreSQL is not available")
    nodes = Cluster(tmp_path, fresh_postgres_url(postgres))
    yield nodes.start()
    nodes.stop()


async def full_flow(
    http: httpx.AsyncClient, client: RegisteredClient, username: str = "alice"
) -> list[dict[str, Any]]:
    """Sign in, consent, redeem the code and refresh once: the token responses received."""
    pkce = PKCE()
    params = request_params(client.client_id, pkce, prompt="consent")
    answer = await sign_in_patiently(http, params, username)
    first = token_response(await redeem_code(http, client, answer["code"], pkce))
    second = token_response(await refresh(http, client, first["refresh_token"]))
    return [first, second]


async def sign_in_patiently(
    http: httpx.AsyncClient, params: dict[str, str], username: str
) -> dict[str, str]:
    """Sign in and consent as a person does: told to wait, wait and send the form again."""
    page = await follow(http, await http.get("/authorize", params=params))
    for _ in range(SIGN_IN_TRIES):
        signed_in = await sign_in(http, page, username)
        if signed_in.status_code != 429:
            break
        await asyncio.sleep(float(signed_in.headers["retry-after"]))
        page = signed_in
    consent_page = await follow(http, signed_in)
    return callback(await submit(http, consent_page, decision="allow"), params["redirect_uri"])


async def worker(
    cluster: Cluster, client: RegisteredClient, load: Load, deadline: float, username: str
) -> None:
    """One person's browser after another's: one password of a login name is checked at
    a time, and a node killed during a check holds its login name for a few seconds."""
    async with cluster.client() as http:
        while load.started < FLOWS and time.monotonic() < deadline:
            load.started += 1
            http.cookies.clear()  # A new browser for every flow.
            try:
                load.completed.append(await full_flow(http, client, username))
            except httpx.TransportError as exc:
                load.failed.append(exc)


async def test_killing_a_node_mid_load_loses_no_issued_token_and_redeems_no_code_twice(
    cluster: Cluster,
) -> None:
    node_a, node_b = cluster.nodes
    client = await provision(cluster.database_url)
    people = [f"person{n}" for n in range(WORKERS)]
    store = await Store.open(cluster.database_url, min_size=1, max_size=1)
    try:
        for username in people:
            await add_person(store, username)
    finally:
        await store.close()
    load = Load()
    deadline = time.monotonic() + DEADLINE
    workers = [
        asyncio.create_task(worker(cluster, client, load, deadline, username))
        for username in people
    ]
    while len(load.completed) < KILL_AFTER and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert node_a.process is not None
    in_flight_at_kill, completed_at_kill = load.in_flight, len(load.completed)
    node_a.process.kill()
    node_a.process.wait()  # Blocks the loop: no request leaves before node A is gone.
    await asyncio.gather(*workers)

    assert in_flight_at_kill > 0 and completed_at_kill >= KILL_AFTER
    assert load.started == FLOWS and load.in_flight == 0
    # Only a request node A was answering when it died can have failed.
    assert len(load.failed) <= in_flight_at_kill, load.failed
    assert len(load.completed) > completed_at_kill  # Node B took over the later flows.

    async with cluster.client(node_b) as at_b:
        for first, second in load.completed:
            for token in (first["access_token"], second["access_token"], second["refresh_token"]):
                assert (await introspect(at_b, client, token))["active"] is True
        survivor = await full_flow(at_b, client)
        assert (await introspect(at_b, client, survivor[1]["access_token"]))["active"] is True

    chains = await query(
        cluster.database_url,
        "SELECT grant_id, count(*) AS issued, count(*) FILTER (WHERE rotated_at IS NULL) AS live "
        "FROM refresh_tokens GROUP BY grant_id",
    )
    # A code redeemed twice, or a refresh token rotated twice, would leave a third
    # token or a second live one in its grant.
    assert all(row["issued"] <= 2 and row["live"] == 1 for row in chains)
    assert len(chains) >= len(load.completed) + 1
    reuse = await query(
        cluster.database_url,
        "SELECT event FROM audit_events WHERE event IN ('code.reused', 'refresh_token.reused')",
    )
    assert reuse == []
    assert (
        await query(cluster.database_url, "SELECT id FROM grants WHERE revoked_at IS NOT NULL")
        == []
    )
