"""Where and with what a result was measured: numbers without this are not comparable."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _git_revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30
        ).stdout.strip()

    revision = git("rev-parse", "--short", "HEAD") or "unknown"
    return revision + ("+dirty" if git("status", "--porcelain", "--", "src") else "")


def describe(versions: dict[str, str], pinning: dict[str, int | None]) -> dict[str, Any]:
    """Date, machine, software versions and the pinning used, for the result files."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": {
            "cpu": cpu_model(Path("/proc/cpuinfo").read_text()),
            "cores": os.cpu_count(),
            "kernel": platform.release(),
            "loadavg_at_start": os.getloadavg(),
        },
        "python": platform.python_version(),
        "tessera_revision": _git_revision(),
        "versions": versions,
        "pinning": pinning,
    }
