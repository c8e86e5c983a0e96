"""Where and with what a result was measured: numbers without this are not comparable."""

from __future__ import annotations

import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

import tessera

REPO = Path(__file__).resolve().parent.parent


def cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _tessera_revision() -> str:
    """The commit of the tessera actually imported (and so served), marked +dirty when
    its sources differ from that commit; a tessera from elsewhere is named by path."""
    source = Path(tessera.__file__).resolve().parent
    if not source.is_relative_to(REPO / "src"):
        return f"from {source}"

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30
        ).stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "unknown"
    return revision + ("+dirty" if git("status", "--porcelain", "--", "src") else "")


def calibrate(rounds: int = 200) -> dict[str, float]:
    """CPU µs of one RS256 and one ES256 signature (`cryptography`) on this core.

    Hosts behind the same CPU name differ (RSA signing here has measured 252 µs on one
    and 675 µs on another), so results from different days are compared through this.
    """
    message = b"x" * 844  # a typical JWT signing input
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    started = time.process_time()
    for _ in range(rounds):
        rsa_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    rsa_us = (time.process_time() - started) / rounds * 1e6
    started = time.process_time()
    for _ in range(rounds * 10):
        ec_key.sign(message, ec.ECDSA(hashes.SHA256()))
    return {
        "rs256_sign_us": rsa_us,
        "es256_sign_us": (time.process_time() - started) / rounds / 10 * 1e6,
    }


def describe(versions: dict[str, str], pinning: dict[str, int | None]) -> dict[str, Any]:
    """Date, machine, software versions and the pinning used, for the result files."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpu": cpu_model(Path("/proc/cpuinfo").read_text()),
            "cores": os.cpu_count(),
            "kernel": platform.release(),
            "loadavg_at_start": os.getloadavg(),
            "calibration": calibrate(),
        },
        "python": platform.python_version(),
        "tessera_revision": _tessera_revision(),
        "versions": versions,
        "pinning": pinning,
    }
