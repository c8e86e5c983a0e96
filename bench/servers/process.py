"""A server child process: pinned with taskset, logged to a file, stopped for sure."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench.procstat import ProcessTree

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


class ServerError(Exception):
    """A server did not start, or a provisioning step failed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(argv: Sequence[str], core: int | None) -> list[str]:
    """`taskset -c CORE argv...`: taskset execs the server, so its pid is the server's."""
    if core is None:
        return list(argv)
    taskset = shutil.which("taskset")
    if taskset is None:
        raise ServerError("taskset (util-linux) is needed to pin the server to a core")
    return [taskset, "-c", str(core), *argv]


class ServerProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        env: Mapping[str, str],
        log_path: Path,
        core: int | None,
    ) -> None:
        self.name = name
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            self.popen = subprocess.Popen(
                pinned(argv, core),
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def wait_ready(self, issuer: str) -> None:
        """Poll discovery until it answers, within STARTUP_TIMEOUT."""
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise ServerError(f"{self.name} exited: {self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    json.load(response)
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise ServerError(f"{self.name} not ready after {STARTUP_TIMEOUT:.0f} s: {self.log_tail()}")

    def tree(self) -> ProcessTree:
        return ProcessTree(self.pid)

    def log_tail(self, lines: int = 15) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(STOP_TIMEOUT)
