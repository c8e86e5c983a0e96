"""Run `tessera demo` as a person does: a subprocess on free ports with its own data dir."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.support.postgres import free_port
from tests.support.server import TESSERA


class DemoProcess:
    """`tessera demo` (or `demo --trace`) with three free ports; stopped with Ctrl-C."""

    def __init__(self, data_dir: Path) -> None:
        self.ports = (free_port(), free_port(), free_port())
        self.issuer = f"http://localhost:{self.ports[0]}"
        self.api_url = f"http://localhost:{self.ports[1]}/api"
        self.client_url = f"http://localhost:{self.ports[2]}"
        self.data_dir = data_dir
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        # The demo sets its own issuer and database: the test run's settings must not leak.
        self.env = {name: value for name, value in os.environ.items() if "TESSERA_" not in name}

    def args(self, *extra: str) -> list[str]:
        server, api, client = self.ports
        return [
            *TESSERA, "demo", "--port", str(server), "--api-port", str(api),
            "--client-port", str(client), "--data-dir", str(self.data_dir), *extra,
        ]  # fmt: skip

    def trace(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.args("--trace"), env=self.env, capture_output=True, text=True, timeout=120
        )

    def start(self) -> DemoProcess:
        """Start and wait for the welcome text, which is printed once all three listen."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.args(), env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "Press Ctrl-C" in self.output():
                return self
            if self.process.poll() is not None:
                raise AssertionError(f"tessera demo exited: {self.output()}")
            time.sleep(0.1)
        raise AssertionError(f"tessera demo did not start: {self.output()}")

    def interrupt(self) -> int:
        """Ctrl-C, as a person stops the demo; the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
