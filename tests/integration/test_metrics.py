"""Prometheus metrics of a real `tessera serve` with two workers: a flow's requests,
tokens, sign-ins, a refresh token's reuse and rate-limit refusals are counted once per
node whichever worker answers the scrape, parsed with Prometheus' own parser; routes
are templates, never raw paths; with metrics off /metrics is a 404.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import TEST_SECRET_KEY
from tests.support.authorize import (
    PKCE,
    follow,
    request_params,
    sign_in,
    sign_in_and_consent,
)
from tests.support.cluster import provision, redeem_code, token_response
from tests.support.grants import RegisteredClient, refresh
from tests.support.postgres import free_port
from tests.support.server import TesseraServer

pytestmark = pytest.mark.integration

# Failed client authentications one address may make per window before 429s.
PER_IP_LIMIT = 3

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str) -> Samples:
    """Every sample of a scrape, by name and labels."""
    answer = httpx.get(url, timeout=5)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def start(tmp_path: Path, database_url: str, **env: str) -> TesseraServer:
    node = TesseraServer(
        tmp_path / "data",
        database_url,
        TESSERA_SECRET_KEY=TEST_SECRET_KEY,
        TESSERA_TOKEN_RATE_LIMIT_PER_IP=str(PER_IP_LIMIT),
        **env,
    )
    return node.start("--workers", "2")


@pytest.fixture
def counts_dir(tmp_path: Path) -> Path:
    """The directory the workers keep their counts in, holding a file of an earlier run."""
    directory = tmp_path / "metrics"
    directory.mkdir()
    (directory / "counter_1.db").write_bytes(b"")
    return directory


@pytest.fixture
def server(tmp_path: Path, database_url: str, counts_dir: Path) -> Iterator[TesseraServer]:
    node = start(
        tmp_path, database_url, TESSERA_METRICS="1", PROMETHEUS_MULTIPROC_DIR=str(counts_dir)
    )
    yield node
    node.stop()


async def run_flow(node: TesseraServer, app: RegisteredClient) -> list[int]:
    """A wrong password, a sign-in, a code, a refresh, the old refresh token again, then
    failing client authentications until refused; the statuses of those last ones."""
    # A connection per request, so that both workers answer some.
    once = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=node.issuer, timeout=30, limits=once) as http:
        login_page = await follow(
            http, await http.get("/authorize", params=request_params(app.client_id))
        )
        assert (await sign_in(http, login_page, password="wrong password")).status_code == 401
        pkce = PKCE()
        code = await sign_in_and_consent(http, request_params(app.client_id, pkce))
        first = token_response(await redeem_code(http, app, code["code"], pkce))
        token_response(await refresh(http, app, first["refresh_token"]))
        assert (await refresh(http, app, first["refresh_token"])).status_code == 400
        wrong = {"grant_type": "client_credentials", "client_id": app.client_id}
        wrong["client_secret"] = "tsr_cs_" + "x" * 43
        return [
            (await http.post("/oauth/token", data=wrong)).status_code
            for _ in range(PER_IP_LIMIT + 2)
        ]


async def test_a_flow_is_counted_once_per_node_whichever_worker_answers(
    server: TesseraServer, database_url: str, counts_dir: Path
) -> None:
    assert not (counts_dir / "counter_1.db").exists()
    app = await provision(database_url)
    refusals = await run_flow(server, app)
    assert 429 in refusals
    unknown = f"/no/such/{secrets.token_hex(8)}"
    assert httpx.get(server.issuer + unknown).status_code == 404

    scrapes = [scrape(server.issuer + "/metrics") for _ in range(6)]
    samples = scrapes[-1]
    counted = "tessera_http_requests_total"
    assert value(samples, counted, route="/oauth/token", status="200") == 2
    assert value(samples, counted, route="/oauth/token", status="400") == 1
    assert value(samples, counted, route="/oauth/token", status="429") == refusals.count(429)
    assert value(samples, counted, route="/oauth/token", status="401") == refusals.count(401)
    assert value(samples, counted, route="/u/login", status="401") == 1
    assert value(samples, counted, route="unmatched", status="404") == 1
    timed = value(samples, "tessera_http_request_duration_seconds_count", route="/oauth/token")
    assert timed == 3 + len(refusals)
    assert value(samples, "tessera_http_request_duration_seconds_sum", route="/oauth/token") > 0

    issued = "tessera_tokens_issued_total"
    assert value(samples, issued, grant_type="authorization_code", client_id=app.client_id) == 1
    assert value(samples, issued, grant_type="refresh_token", client_id=app.client_id) == 1
    assert value(samples, "tessera_sign_ins_total", outcome="success") == 1
    assert value(samples, "tessera_sign_ins_total", outcome="wrong_password") == 1
    assert value(samples, "tessera_refresh_token_reuse_total") == 1
    refused = value(samples, "tessera_rate_limit_refusals_total", route="/oauth/token")
    assert refused == refusals.count(429)
    assert value(samples, "tessera_database_errors_total") == 0
    pooled = [name for name, _ in samples if name == "tessera_database_pool_connections"]
    if database_url.startswith("postgresql"):
        assert ("tessera_database_pool_connections", frozenset({("state", "in_use")})) in samples
        assert value(samples, "tessera_database_pool_connections", state="idle") >= 1
    else:
        assert pooled == []  # SQLite has no pool.

    ages = {
        dict(labels)["alg"]: age
        for (name, labels), age in samples.items()
        if name == "tessera_signing_key_age_seconds" and ("state", "current") in labels
    }
    assert set(ages) == {"RS256", "ES256"} and min(ages.values()) > 0

    # Both workers counted, and whichever answered a scrape held the node's counts: the
    # scrapes agree but for the scrapes themselves and the key ages, which grow.
    # (A worker's histogram file appears with its first timed request.)
    timing = {path.stem.rsplit("_", 1)[1] for path in counts_dir.glob("histogram_*.db")}
    assert len(timing) == 2
    assert len({frozenset(steady(each).items()) for each in scrapes}) == 1
    routes = {dict(labels).get("route") for _, labels in samples} - {None}
    assert routes <= {
        "/authorize",
        "/u/login",
        "/u/consent",
        "/oauth/token",
        "/metrics",
        "unmatched",
        "/healthz",
    }


def steady(samples: Samples) -> Samples:
    return {
        key: count
        for key, count in samples.items()
        if ("route", "/metrics") not in key[1] and key[0] != "tessera_signing_key_age_seconds"
    }


def test_metrics_are_off_by_default(tmp_path: Path, database_url: str) -> None:
    node = start(tmp_path, database_url)
    try:
        assert httpx.get(node.issuer + "/metrics").status_code == 404
    finally:
        node.stop()


def test_a_separate_listener_serves_the_node_and_the_main_port_does_not(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    node = start(tmp_path, database_url, TESSERA_METRICS_PORT=str(port))
    try:
        for _ in range(3):
            assert httpx.get(node.issuer + "/livez").status_code == 200
        assert httpx.get(node.issuer + "/metrics").status_code == 404
        samples = scrape(f"http://127.0.0.1:{port}/metrics")
        assert value(samples, "tessera_http_requests_total", route="/livez", status="200") == 3
    finally:
        node.stop()
    assert f"  metrics:    http://127.0.0.1:{port}/metrics" in node.log().splitlines()
