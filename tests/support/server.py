"""Run the real `tessera` CLI and a real `tessera serve` process, for integration tests."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

import httpx

from tests.support.postgres import free_port

TESSERA = [sys.executable, "-m", "tessera.cli"]


class TesseraServer:
    """A `tessera serve` subprocess on a free loopback port with its own data dir."""

    def __init__(self, data_dir: Path, database_url: str | None = None, **env: str) -> None:
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "TESSERA_DATA_DIR": str(data_dir),
            "TESSERA_ISSUER": self.issuer,
            "TESSERA_SECRET_KEY": "integration-test-secret-key-0123456789abcdef",
            **env,
        }
        if database_url:
            self.env["TESSERA_DATABASE_URL"] = database_url
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / "server.log"
        self._log_file: IO[bytes] | None = None

    def cli(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a `tessera` command against this server's settings."""
        result = subprocess.run(
            [*TESSERA, *args], env=self.env, capture_output=True, text=True, input=input, timeout=60
        )
        if check and result.returncode != 0:
            raise AssertionError(f"tessera {' '.join(args)} failed: {result.stderr}")
        return result

    def cli_json(self, *args: str, input: str | None = None) -> Any:
        """A command's --json output (its times are ISO 8601 UTC: see `epoch`)."""
        return json.loads(self.cli(*args, "--json", input=input).stdout)

    def start(self, *extra: str) -> TesseraServer:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop().
        self.process = subprocess.Popen(
            [*TESSERA, "serve", "--host", "127.0.0.1", "--port", str(self.port), *extra],
            env=self.env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"tessera serve exited: {self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.issuer}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("tessera serve did not become healthy")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def epoch(iso_time: str) -> int:
    """Unix seconds of a time as the CLI prints it (`2026-01-31T12:00:00Z`)."""
    return int(dt.datetime.fromisoformat(iso_time).timestamp())
