"""node-oidc-provider, the peer: installed from npm at a pinned version, started pinned.

The install goes into bench/.cache/node (gitignored) with `npm install --prefix`, once,
together with the Node.js 22 LTS runtime from npm's `node` package: the runtime
node-oidc-provider 9 supports (it warns on Node 20), and measured here 10-20% cheaper
per flow than Debian's Node 20, so the peer is not handicapped. The configuration is
bench/node/provider.mjs, provisioned like tessera (bench/target.py).
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from pathlib import Path

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

PACKAGE = "oidc-provider"
VERSION = "9.13.3"
SPEC = f"{PACKAGE}@{VERSION}"
NODE_SPEC = "node@22.23.3"
BENCH_DIR = Path(__file__).resolve().parent.parent
PREFIX = BENCH_DIR / ".cache" / "node"
PROVIDER_SCRIPT = BENCH_DIR / "node" / "provider.mjs"
INSTALL_TIMEOUT = 300
MACHINE_CLIENT = "bench-machine"


def node_binary() -> Path:
    return PREFIX / "node_modules" / ".bin" / "node"


def node_version() -> str:
    """The peer's runtime version, or why there is none yet."""
    if not node_binary().exists():
        return "Node.js not installed"
    return subprocess.run(
        [node_binary(), "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def _installed(package: str, version: str) -> bool:
    manifest = PREFIX / "node_modules" / package / "package.json"
    return manifest.exists() and json.loads(manifest.read_text())["version"] == version


def ensure_installed() -> None:
    """`npm install --prefix bench/.cache/node oidc-provider@9.13.3 node@22...`, once."""
    if _installed(PACKAGE, VERSION) and _installed("node", NODE_SPEC.split("@")[1]):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise ServerError("npm (with Node.js) is needed to install the peer")
    PREFIX.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(PREFIX), "--no-audit", "--no-fund", SPEC, NODE_SPEC],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
    )
    if done.returncode != 0 or not node_binary().exists():
        raise ServerError(f"npm install {SPEC} {NODE_SPEC} failed: {done.stderr[-2000:]}")


def _peer_config(issuer: str, port: int, secret: str) -> dict[str, object]:
    public = [
        {
            "client_id": f"bench-{alg.lower()}",
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "redirect_uris": [REDIRECT_URI],
            "id_token_signed_response_alg": alg,
        }
        for alg in ALGORITHMS
    ]
    machine = {
        "client_id": MACHINE_CLIENT,
        "client_secret": secret,
        "token_endpoint_auth_method": "client_secret_basic",
        "grant_types": ["client_credentials"],
        "response_types": [],
        "redirect_uris": [],
    }
    return {
        "issuer": issuer,
        "port": port,
        "modules": str(PREFIX),
        "user": {"sub": "bench-user", "username": USERNAME, "password": PASSWORD, "name": "B"},
        "clients": [*public, machine],
        "apis": [
            {"identifier": api_identifier(alg), "scope": API_SCOPE, "alg": alg}
            for alg in ALGORITHMS
        ],
    }


def start(logs: Path, core: int | None) -> tuple[ServerProcess, Target]:
    """Install if needed, start the peer on a free port, and describe it to the driver."""
    ensure_installed()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    secret = secrets.token_urlsafe(32)
    config = json.dumps(_peer_config(issuer, port, secret))
    server = ServerProcess(
        "node-oidc-provider",
        [str(node_binary()), str(PROVIDER_SCRIPT)],
        {"BENCH_PEER_CONFIG": config, "NODE_ENV": "production"},
        logs / "node-oidc-provider.log",
        core,
    )
    try:
        server.wait_ready(issuer)
    except ServerError:
        server.stop()
        raise
    target = Target(
        name="node-oidc-provider",
        version=f"{PACKAGE} {VERSION} on Node.js {node_version()}",
        issuer=issuer,
        pid=server.pid,
        audience_param="resource",
        variants={
            alg: Variant(alg, f"bench-{alg.lower()}", api_identifier(alg)) for alg in ALGORITHMS
        },
        machine_client_id=MACHINE_CLIENT,
        machine_client_secret=secret,
    )
    return server, target
