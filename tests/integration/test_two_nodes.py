"""Two real `tessera serve` nodes on one PostgreSQL: any node finishes any flow.

DESIGN.md's scale rule: nodes hold nothing a request depends on. Node A signs the
person in and takes the consent, node B redeems the code; a refresh at A and a reuse of
the old refresh token at B revoke the family on both; a key rotated through A is
published by B within TESSERA_KEY_CACHE_TTL, signs on both once its publish-ahead time
has passed, and is switched to by one node only; failed logins on both count toward
one throttle; X-Forwarded-For is believed only where the proxy is trusted. Then the
same code, and the same refresh token, are fired at both nodes at once, round after
round: one request wins each time.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from tessera.crypto.keys import decode_b64url
from tests.conftest import fresh_postgres_url
from tests.support.authorize import (
    PKCE,
    callback,
    follow,
    request_params,
    sign_in,
    sign_in_and_consent,
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
from tests.support.server import TesseraServer, epoch
from tests.support.tokens import header_of

pytestmark = pytest.mark.integration

KEY_CACHE_TTL = 1.0
KEY_PUBLISH_AHEAD = 4
ROUNDS = 20
PER_NODE = 2  # Requests per node in each round: four racers in all.


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, postgres: PostgresCluster | None
) -> Iterator[Cluster]:
    if postgres is None:
        pytest.skip("PostgreSQL is not available")
    nodes = Cluster(
        tmp_path_factory.mktemp("two-nodes"),
        fresh_postgres_url(postgres),
        TESSERA_KEY_CACHE_TTL=str(KEY_CACHE_TTL),
        TESSERA_KEY_PUBLISH_AHEAD=str(KEY_PUBLISH_AHEAD),
    )
    # Node A believes X-Forwarded-For from the test's address, as from nginx; node B
    # trusts no proxy, so the header must change nothing there.
    nodes.nodes[0].env["TESSERA_TRUSTED_PROXIES"] = "127.0.0.1"
    yield nodes.start()
    nodes.stop()


@pytest.fixture(scope="module")
def web_app(cluster: Cluster) -> RegisteredClient:
    return asyncio.run(provision(cluster.database_url))


@pytest.fixture
async def browser(cluster: Cluster, web_app: RegisteredClient) -> AsyncIterator[httpx.AsyncClient]:
    """A browser signed in, with consent given, whose requests alternate between nodes."""
    async with cluster.client() as http:
        await sign_in_and_consent(http, request_params(web_app.client_id, prompt="consent"))
        yield http


async def silent_code(browser: httpx.AsyncClient, client_id: str, pkce: PKCE) -> str:
    """A code from the signed-in browser's session, without any page."""
    answer = callback(await browser.get("/authorize", params=request_params(client_id, pkce)))
    return answer["code"]


async def published_kids(http: httpx.AsyncClient) -> set[str]:
    document = (await http.get("/.well-known/jwks.json")).json()
    return {key["kid"] for key in document["keys"]}


async def test_flow_crosses_nodes_and_a_reuse_at_one_node_revokes_the_family_at_both(
    cluster: Cluster, web_app: RegisteredClient
) -> None:
    node_a, node_b = cluster.nodes
    pkce = PKCE()
    async with cluster.client(node_a) as at_a, cluster.client(node_b) as at_b:
        params = request_params(web_app.client_id, pkce, prompt="consent")
        answer = await sign_in_and_consent(at_a, params)
        assert answer["iss"] == cluster.issuer
        first = token_response(await redeem_code(at_b, web_app, answer["code"], pkce))
        second = token_response(await refresh(at_a, web_app, first["refresh_token"]))
        assert (await introspect(at_b, web_app, second["access_token"]))["active"] is True

        reuse = await refresh(at_b, web_app, first["refresh_token"])
        assert reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant"
        assert (await refresh(at_a, web_app, second["refresh_token"])).status_code == 400
        for token in (first["access_token"], second["access_token"], second["refresh_token"]):
            assert await introspect(at_a, web_app, token) == {"active": False}


async def token_from(
    node: TesseraServer, cluster: Cluster, browser: httpx.AsyncClient, web_app: RegisteredClient
) -> dict[str, Any]:
    pkce = PKCE()
    code = await silent_code(browser, web_app.client_id, pkce)
    async with cluster.client(node) as http:
        return token_response(await redeem_code(http, web_app, code, pkce))


async def test_key_rotated_through_one_node_is_published_and_used_by_the_other_within_ttl(
    cluster: Cluster, web_app: RegisteredClient, browser: httpx.AsyncClient
) -> None:
    node_a, node_b = cluster.nodes
    rotated = node_a.cli_json("keys", "rotate", "--alg", "RS256")
    activates_at = epoch(rotated["activates_at"])
    committed = time.monotonic()  # The command has exited: the new key is in the database.
    async with cluster.client(node_b) as at_b:
        while rotated["kid"] not in await published_kids(at_b):
            # The bound is the TTL; the rest allows for a slow request on a busy machine.
            assert time.monotonic() - committed < KEY_CACHE_TTL + 2, "rotation not seen by B"
            await asyncio.sleep(0.05)
    early = await token_from(node_b, cluster, browser, web_app)
    signed_at = json.loads(decode_b64url(early["access_token"].split(".")[1]))["iat"]
    if header_of(early["access_token"])["kid"] == rotated["kid"]:  # A slow machine.
        assert signed_at >= activates_at
    # Past the switch and every node's TTL: whichever node switched, both sign with it.
    await asyncio.sleep(max(0.0, activates_at - time.time()) + KEY_CACHE_TTL + 0.5)
    for node in (node_b, node_a):
        tokens = await token_from(node, cluster, browser, web_app)
        assert header_of(tokens["access_token"])["kid"] == rotated["kid"]
        assert header_of(tokens["id_token"])["kid"] == rotated["kid"]
    switches = await query(  # A kid is base64url: nothing in it needs quoting.
        cluster.database_url,
        f"SELECT at FROM audit_events WHERE event = 'key.activated' "
        f"AND detail LIKE '%{rotated['kid']}%'",
    )
    assert len(switches) == 1 and switches[0]["at"] >= activates_at


async def test_failed_logins_on_either_node_count_toward_one_throttle(
    cluster: Cluster, web_app: RegisteredClient
) -> None:
    statuses = []
    async with cluster.client() as http:  # The form posts alternate: A, B, A, B, A.
        for _ in range(5):
            login_page = await follow(
                http, await http.get("/authorize", params=request_params(web_app.client_id))
            )
            failed = await sign_in(http, login_page, username="mallory", password="guess")
            statuses.append(failed.status_code)
    assert statuses == [401, 401, 401, 429, 429]


async def test_client_ip_is_taken_from_x_forwarded_for_only_from_a_trusted_proxy(
    cluster: Cluster, web_app: RegisteredClient
) -> None:
    for node, address in zip(cluster.nodes, ("203.0.113.7", "203.0.113.8"), strict=True):
        async with cluster.client(node) as http:
            http.headers["X-Forwarded-For"] = address
            params = request_params(web_app.client_id)
            login_page = await follow(http, await http.get("/authorize", params=params))
            await sign_in(http, login_page, username="eve", password="guess")
    rows = await query(
        cluster.database_url,
        "SELECT ip FROM audit_events WHERE event = 'login.failed' AND ip <> '127.0.0.1' "
        "ORDER BY id",
    )
    assert [row["ip"] for row in rows] == ["203.0.113.7"]


async def test_one_code_fired_at_both_nodes_at_once_is_redeemed_exactly_once(
    cluster: Cluster, web_app: RegisteredClient, browser: httpx.AsyncClient
) -> None:
    node_a, node_b = cluster.nodes
    outcomes = []
    async with cluster.client(node_a) as at_a, cluster.client(node_b) as at_b:
        for _ in range(ROUNDS):
            pkce = PKCE()
            code = await silent_code(browser, web_app.client_id, pkce)
            racers = [redeem_code(http, web_app, code, pkce) for http in (at_a, at_b) * PER_NODE]
            responses = await asyncio.gather(*racers)
            outcomes.append(sorted(response.status_code for response in responses))
    assert outcomes == [[200] + [400] * (2 * PER_NODE - 1)] * ROUNDS


async def test_one_refresh_token_fired_at_both_nodes_at_once_rotates_exactly_once(
    cluster: Cluster, web_app: RegisteredClient, browser: httpx.AsyncClient
) -> None:
    node_a, node_b = cluster.nodes
    outcomes, successors = [], []
    async with cluster.client(node_a) as at_a, cluster.client(node_b) as at_b:
        for _ in range(ROUNDS):
            pkce = PKCE()
            code = await silent_code(browser, web_app.client_id, pkce)
            token = token_response(await redeem_code(at_a, web_app, code, pkce))["refresh_token"]
            racers = [refresh(http, web_app, token) for http in (at_a, at_b) * PER_NODE]
            responses = await asyncio.gather(*racers)
            outcomes.append(sorted(response.status_code for response in responses))
            successors += [r.json()["refresh_token"] for r in responses if r.status_code == 200]
        assert outcomes == [[200] + [400] * (2 * PER_NODE - 1)] * ROUNDS
        # The losers presented a rotated token: the winner's successor is revoked with it.
        for successor in successors:
            assert await introspect(at_b, web_app, successor) == {"active": False}
