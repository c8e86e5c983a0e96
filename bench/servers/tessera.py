"""tessera under test: a fresh embedded SQLite data dir, provisioned through its CLI.

Provisioning goes through `tessera clients|users|apis create` exactly as an operator
would, so the benchmark also proves the documented commands produce a working setup.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import tessera
from bench.servers.process import ServerError, ServerProcess, free_port
from bench.target import (
    ALGORITHMS,
    API_SCOPE,
    PASSWORD,
    REDIRECT_URI,
    USERNAME,
    Target,
    Variant,
    api_identifier,
)

CLI_TIMEOUT = 120
# Every request of a benchmark comes from one address and a few clients, far beyond the
# default token-endpoint limits (1,200 per address per minute). The limits stay on, so
# their counting is part of the measured cost, but set out of reach.
UNREACHED_RATE_LIMIT = str(10**12)


def _cli(env: dict[str, str], *args: str) -> Any:
    """Run `tessera ARGS` with the run's settings; parse --json output if asked for."""
    done = subprocess.run(
        [sys.executable, "-m", "tessera.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ServerError(f"`tessera {' '.join(args[:2])}` failed: {last}")
    return json.loads(done.stdout) if "--json" in args else None


def provision(env: dict[str, str]) -> tuple[dict[str, str], str, str]:
    """One user, one API and one public first-party client per algorithm, one machine
    client. Returns the public client ids by algorithm and the machine client's
    credentials."""
    _cli(env, "db", "upgrade")
    _cli(env, "users", "create", "--username", USERNAME, "--password", PASSWORD, "--name", "B")
    clients = {}
    for alg in ALGORITHMS:
        _cli(env, "apis", "create", "--identifier", api_identifier(alg), "--scope", API_SCOPE,
             "--signing-alg", alg, "--json")  # fmt: skip
        created = _cli(env, "clients", "create", "--name", f"bench-{alg.lower()}",
                       "--redirect-uri", REDIRECT_URI, "--public", "--first-party",
                       "--id-token-alg", alg, "--json")  # fmt: skip
        clients[alg] = created["client_id"]
    granted = [arg for alg in ALGORITHMS for arg in ("--api", api_identifier(alg))]
    machine = _cli(env, "clients", "create", "--name", "bench-machine",
                   "--grant-type", "client_credentials", *granted, "--json")  # fmt: skip
    return clients, machine["client_id"], machine["client_secret"]


def settings_env(data_dir: Path, issuer: str) -> dict[str, str]:
    """The TESSERA_* settings of a benchmark run: a fresh data dir, quiet logs."""
    return {
        "TESSERA_DATA_DIR": str(data_dir),
        "TESSERA_ISSUER": issuer,
        "TESSERA_SECRET_KEY": secrets.token_urlsafe(32),
        "TESSERA_LOG_LEVEL": "warning",
        "TESSERA_TOKEN_RATE_LIMIT_PER_IP": UNREACHED_RATE_LIMIT,
        "TESSERA_TOKEN_RATE_LIMIT_PER_CLIENT": UNREACHED_RATE_LIMIT,
    }


def target_of(
    issuer: str, pid: int, clients: dict[str, str], machine_id: str, machine_secret: str
) -> Target:
    """How the driver sees a provisioned tessera."""
    return Target(
        name="tessera",
        version=f"tessera {tessera.__version__}",
        issuer=issuer,
        pid=pid,
        audience_param="audience",
        variants={alg: Variant(alg, clients[alg], api_identifier(alg)) for alg in ALGORITHMS},
        machine_client_id=machine_id,
        machine_client_secret=machine_secret,
    )


def start(data_dir: Path, logs: Path, core: int | None) -> tuple[ServerProcess, Target]:
    """Provision a fresh data dir, start `tessera serve` (one worker) on a free port."""
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    env = settings_env(data_dir, issuer)
    clients, machine_id, machine_secret = provision(env)
    server = ServerProcess(
        "tessera",
        [sys.executable, "-m", "tessera.cli", "serve", "--port", str(port), "--workers", "1"],
        env,
        logs / "tessera.log",
        core,
    )
    try:
        server.wait_ready(issuer)
    except ServerError:
        server.stop()
        raise
    return server, target_of(issuer, server.pid, clients, machine_id, machine_secret)
