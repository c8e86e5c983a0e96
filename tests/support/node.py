"""npm packages the tests run: openid-client for the interop tests, installed once into
.cache/interop, and an example's own dependencies, installed by `npm ci` from its lockfile.

The versions are pinned so a new release cannot change what a test checks; an install
runs only when what it installs is missing. Without node and npm those tests skip,
except under CI, where Node.js is part of the machine and a skip would hide a broken
setup.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGE = "openid-client"
VERSION = "6.9.0"
PREFIX = Path(__file__).resolve().parents[2] / ".cache" / "interop"
INSTALL_TIMEOUT = 300


def _installed() -> bool:
    manifest = PREFIX / "node_modules" / PACKAGE / "package.json"
    return manifest.exists() and json.loads(manifest.read_text())["version"] == VERSION


def node_or_skip() -> str:
    """The path of `node`; a skip (a failure under CI) when node or npm is missing."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node
    reason = "node and npm are needed to run openid-client (apt-get install nodejs npm)"
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must have them")
    pytest.skip(reason)


def openid_client_prefix() -> Path:
    """The npm prefix holding openid-client@VERSION, installed there if missing."""
    node_or_skip()
    if not _installed():
        PREFIX.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["npm", "install", "--prefix", str(PREFIX), "--no-save", "--no-audit", "--no-fund",
             f"{PACKAGE}@{VERSION}"],
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )  # fmt: skip
        if done.returncode != 0 or not _installed():
            pytest.fail(f"npm install {PACKAGE}@{VERSION} failed: {done.stderr[-2000:]}")
    return PREFIX


def npm_ci(directory: Path, installed: Path) -> Path:
    """`npm ci` in `directory` (its package-lock.json) unless `installed`, a file the
    install brings, is there already; returns `directory`."""
    node_or_skip()
    if not installed.exists():
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=INSTALL_TIMEOUT,
        )
        if done.returncode != 0 or not installed.exists():
            pytest.fail(f"npm ci in {directory} failed: {done.stderr[-2000:]}")
    return directory
