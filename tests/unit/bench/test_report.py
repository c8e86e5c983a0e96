"""The result table: medians, ratios within a run, and honest gaps."""

from __future__ import annotations

from bench.cli import cases
from bench.driver import RunResult
from bench.ops import Mode
from bench.report import markdown, summarise
from bench.runner import Case, Record

META = {
    "date": "2026-11-24 12:00 UTC",
    "machine": {"cpu": "AMD EPYC", "cores": 2, "kernel": "6.18"},
    "python": "3.11.7",
    "tessera_revision": "abc1234",
    "versions": {"tessera": "tessera 0.1.0", "node-oidc-provider": "oidc-provider 9.13.3"},
    "pinning": {"server_core": 0, "driver_core": 1},
    "settings": "test",
}


def result(ops_per_s: float, cpu_us: float) -> RunResult:
    return RunResult(
        ops=int(ops_per_s),
        errors=0,
        first_error=None,
        wall_s=1.0,
        ops_per_s=ops_per_s,
        p50_ms=10.0,
        p99_ms=40.0,
        server_cpu_us=cpu_us,
        server_util=0.95,
        driver_cpu_us=100.0,
        driver_util=0.2,
        server_rss_mib=80.0,
    )


def test_ratios_are_tessera_over_peer_and_medians_span_repetitions() -> None:
    case = Case(Mode.CLIENT_CREDENTIALS, "RS256", 32)
    records = [
        Record("tessera", case, 0, result(2000, 500)),
        Record("tessera", case, 1, result(1800, 700)),
        Record("node-oidc-provider", case, 0, result(1000, 1200)),
        Record("node-oidc-provider", case, 1, result(1000, 1200)),
    ]
    table = markdown("t", META, summarise(records))
    row = next(line for line in table.splitlines() if line.startswith("| client_credentials"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[3] == "600 [500–700]"
    assert cells[5] == "0.50"  # CPU: half of the peer's
    assert cells[8] == "1.90"  # throughput: 1.9 times the peer's


def test_a_mode_that_cannot_run_says_why_instead_of_a_number() -> None:
    case = Case(Mode.FLOW, "RS256", 32)
    records = [
        Record("tessera", case, 0, None, "signing in failed: GET /authorize answered 404"),
        Record("node-oidc-provider", case, 0, result(700, 1400)),
    ]
    table = markdown("t", META, summarise(records))
    assert "| flow | RS256 | 32 | n/a [^1] | 1400 | – |" in table
    assert "[^1]: signing in failed: GET /authorize answered 404" in table


def test_algorithm_independent_modes_run_once() -> None:
    planned = cases([Mode.FLOW, Mode.USERINFO], ["RS256", "ES256"], [32])
    assert [(c.mode, c.alg) for c in planned] == [
        (Mode.FLOW, "RS256"),
        (Mode.FLOW, "ES256"),
        (Mode.USERINFO, "RS256"),
    ]
