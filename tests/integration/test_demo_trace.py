"""`tessera demo --trace`: the seed sequence headless, as a check that cannot lie.

It runs as a subprocess, as a newcomer runs it; it must report every step of the seed's
diagram in order, exit 0 only when all of them worked, and never print a usable secret.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import socket
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tessera.demo.orchestrate import DemoPorts, run_demo
from tessera.demo.provision import DemoSetup
from tessera.demo.trace import STEPS, trace_seed_sequence
from tessera.settings import ensure_secret_key, load_settings
from tests.support.demo import DemoProcess

STEP_LINE = re.compile(r"^\s*(\d+)\. (.+?) -> (.+?): (.+)$", re.M)
# Anything usable if it leaked: codes, refresh tokens, interactions, JWTs, the verifier.
USABLE_SECRET = re.compile(
    r"tsr_[a-z]{2}_[\w-]{20,}|eyJ[\w-]{20,}\.[\w-]+|code_verifier=[\w-]{20,}"
)


def _steps(output: str) -> list[tuple[int, str, str, str]]:
    return [(int(n), src, dst, label) for n, src, dst, label in STEP_LINE.findall(output)]


def test_every_step_of_the_diagram_is_reported_in_order_and_exits_0(tmp_path: Path) -> None:
    demo = DemoProcess(tmp_path / "data")
    result = demo.trace()
    assert result.returncode == 0, result.stdout + result.stderr
    assert _steps(result.stdout) == list(STEPS)
    # The seed diagram's autonumber gives twelve messages, each reported once, in order.
    assert [number for number, *_ in _steps(result.stdout)] == list(range(1, 13))
    assert "All 12 steps of the seed sequence succeeded." in result.stdout
    # The real HTTP lines: the seed's request, the code redirect, the token and API calls.
    assert "> GET http://localhost:" in result.stdout and "/authorize?response_type=code" in (
        result.stdout
    )
    assert "code_challenge_method=S256" in result.stdout
    assert "> POST http://localhost:" in result.stdout and "/oauth/token" in result.stdout
    assert '"token_type": "Bearer", "expires_in": 86400' in result.stdout
    assert f"> GET {demo.api_url} HTTP/1.1" in result.stdout
    assert "this came from the protected API" in result.stdout

    saved = json.loads((tmp_path / "data" / "demo-client.json").read_text())
    assert saved["client_secret"] not in result.stdout
    assert "tessera-demo" not in result.stdout  # The password, masked in the login form.
    assert USABLE_SECRET.findall(result.stdout) == []

    # A second run finds the user's consent remembered and still completes.
    again = demo.trace()
    assert again.returncode == 0, again.stdout + again.stderr
    assert "no consent page" in again.stdout
    assert _steps(again.stdout) == list(STEPS)


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    demo = DemoProcess(tmp_path / "data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", demo.ports[1]))
        taken.listen()
        result = demo.trace()
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: port {demo.ports[1]} is already in use: choose another with --api-port"
    ]


async def _trace_with(
    tmp_path: Path, change: Callable[[DemoSetup], DemoSetup]
) -> tuple[int, list[str]]:
    ports = DemoPorts(*DemoProcess(tmp_path).ports)
    issuer = ports.urls()[0]
    settings = ensure_secret_key(
        load_settings(
            issuer=issuer, data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'db.sqlite'}"
        )
    )
    lines: list[str] = []

    def on_ready(setup: DemoSetup) -> Awaitable[int]:
        return trace_seed_sequence(ports, change(setup), out=lines.append)

    return await run_demo(settings, ports, on_ready=on_ready), lines


@pytest.mark.parametrize(
    ("change", "failed_step", "reason"),
    [
        (lambda s: dataclasses.replace(s, password="not-the-password"), 6, "sign-in stopped"),
        (lambda s: dataclasses.replace(s, client_secret="wrong"), 10, "invalid_client"),
        (
            lambda s: dataclasses.replace(s, api_identifier="https://unknown.test"),
            4,
            "invalid_target",
        ),
    ],
    ids=["wrong-password", "wrong-client-secret", "unknown-audience"],
)
async def test_a_failing_step_is_named_and_the_exit_code_is_1(
    tmp_path: Path, change: Callable[[DemoSetup], DemoSetup], failed_step: int, reason: str
) -> None:
    code, lines = await asyncio.wait_for(_trace_with(tmp_path, change), 60)
    assert code == 1
    assert lines[-1].startswith(f"\nStep {failed_step} FAILED: "), lines[-3:]
    assert reason in lines[-1]
    assert not any("All 12 steps" in line for line in lines)
